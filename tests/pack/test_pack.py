"""Pack round trips: what the writer builds, the reader lists from the tail alone."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snapstore.backend import MemoryBackend
from snapstore.crypto import Sealer
from snapstore.errors import IntegrityError
from snapstore.pack import (
    MAX_PACK_SIZE,
    BlobType,
    PackWriter,
    load_pack_header,
    pack_id_from_name,
    pack_id_of,
    pack_object_name,
    read_header,
    verify_pack_id,
)
from snapstore.pack.reader import TAIL_GUESS
from tests.pack.conftest import blob_id, build_pack


class RecordingLoader:
    """A tail loader over bytes that records each (offset, length) requested."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.calls: list[tuple[int, int]] = []

    def __call__(self, offset: int, length: int) -> bytes:
        self.calls.append((offset, length))
        return self.data[offset : offset + length]


def test_round_trip(sealer: Sealer) -> None:
    pack = build_pack(sealer, [100, 1, 5000, 77])
    loader = RecordingLoader(pack.data)
    entries = read_header(loader, len(pack.data), sealer, pack.name)
    assert entries == list(pack.entries)
    assert [(e.offset, e.length) for e in entries] == [(0, 100), (100, 1), (101, 5000), (5101, 77)]
    assert [e.blob_type for e in entries] == [0, 1, 0, 1]
    assert [e.compression for e in entries] == [0, 0, 1, 1]
    assert [e.raw_length for e in entries] == [300, 3, 15000, 231]
    assert all(e.pack_id == pack.pack_id for e in entries)
    for n, e in enumerate(entries):
        assert pack.data[e.offset : e.offset + e.length] == bytes([n]) * e.length


def test_blobs_are_stored_verbatim_in_order(sealer: Sealer) -> None:
    writer = PackWriter()
    writer.add(BlobType.DATA, blob_id(1), b"first", 5, 0)
    writer.add(BlobType.TREE, blob_id(2), bytearray(b"second"), 6, 0)
    pack = writer.finish(sealer)
    assert pack.data.startswith(b"firstsecond")
    assert (writer.count, writer.size) == (2, 11)


def test_empty_pack(sealer: Sealer) -> None:
    pack = PackWriter().finish(sealer)
    assert pack.entries == ()
    assert read_header(RecordingLoader(pack.data), len(pack.data), sealer, pack.name) == []


def test_many_blobs_need_a_second_read(sealer: Sealer) -> None:
    sizes = [1 + n % 97 for n in range(2000)]  # header about 84 KiB, beyond the guessed tail
    pack = build_pack(sealer, sizes)
    loader = RecordingLoader(pack.data)
    entries = read_header(loader, len(pack.data), sealer, pack.name)
    assert entries == list(pack.entries)
    assert len(loader.calls) == 2
    assert loader.calls[0] == (len(pack.data) - TAIL_GUESS, TAIL_GUESS)


def test_small_header_needs_one_read_of_the_tail_only(sealer: Sealer) -> None:
    pack = build_pack(sealer, [50_000, 20_000])
    loader = RecordingLoader(pack.data)
    read_header(loader, len(pack.data), sealer, pack.name)
    assert loader.calls == [(len(pack.data) - TAIL_GUESS, TAIL_GUESS)]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 300), st.integers(0, 1), st.integers(0, 1)), max_size=60))
def test_round_trip_property(blobs: list[tuple[int, int, int]]) -> None:
    sealer = Sealer(os.urandom(32))
    writer = PackWriter()
    for n, (size, blob_type, compression) in enumerate(blobs):
        writer.add(blob_type, blob_id(n), os.urandom(size), size + n, compression)
    pack = writer.finish(sealer)
    assert read_header(RecordingLoader(pack.data), len(pack.data), sealer, pack.name) == list(
        pack.entries
    )
    verify_pack_id(pack.data, pack.pack_id)


def test_load_pack_header_from_a_backend(sealer: Sealer) -> None:
    backend = MemoryBackend()
    pack = build_pack(sealer, [10, 20])
    backend.save(pack.name, pack.data)
    assert load_pack_header(backend, pack.name, sealer) == list(pack.entries)
    assert load_pack_header(backend, pack.name, sealer, len(pack.data)) == list(pack.entries)


def test_pack_id_is_the_unkeyed_hash_and_names_the_object(sealer: Sealer) -> None:
    import blake3

    pack = build_pack(sealer, [10])
    assert pack.pack_id == blake3.blake3(pack.data).digest() == pack_id_of(pack.data)
    hex_id = pack.pack_id.hex()
    assert pack.name == pack_object_name(pack.pack_id) == f"data/{hex_id[:2]}/{hex_id}"
    assert pack_id_from_name(pack.name) == pack.pack_id


@pytest.mark.parametrize(
    "name",
    [
        "data/ab",
        "data/00/" + "ab" * 32,
        "index/ab/" + "ab" * 32,
        "data/AB/" + "AB" * 32,
        "data/ab/xyz",
    ],
)
def test_pack_id_from_name_rejects_other_names(name: str) -> None:
    with pytest.raises(ValueError, match="not a pack object name"):
        pack_id_from_name(name)


def test_verify_pack_id(sealer: Sealer) -> None:
    pack = build_pack(sealer, [10, 20])
    verify_pack_id(pack.data, pack.pack_id)
    damaged = bytearray(pack.data)
    damaged[3] ^= 0x10
    with pytest.raises(IntegrityError, match=pack.name):
        verify_pack_id(damaged, pack.pack_id)
    with pytest.raises(IntegrityError, match=pack.name):
        verify_pack_id(pack.data[:-1], pack.pack_id)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"blob_type": 2}, "unknown blob type"),
        ({"compression": 7}, "unknown compression"),
        ({"blob_id": b"short"}, "blob id of 5 bytes"),
        ({"envelope": b""}, "never empty"),
        ({"raw_length": 2**32}, "does not fit"),
        ({"raw_length": -1}, "does not fit"),
    ],
)
def test_writer_rejects_what_the_format_cannot_hold(
    kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {
        "blob_type": 0,
        "blob_id": blob_id(0),
        "envelope": b"x",
        "raw_length": 1,
        "compression": 0,
    }
    with pytest.raises(ValueError, match=message):
        PackWriter().add(**{**args, **kwargs})  # type: ignore[arg-type]


def test_writer_refuses_a_pack_past_4_gib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("snapstore.pack.writer.MAX_PACK_SIZE", (1 << 20) + 100)
    writer = PackWriter()
    writer.add(0, blob_id(0), b"x" * 100, 100, 0)
    with pytest.raises(ValueError, match="finish it first"):
        writer.add(0, blob_id(1), b"x", 1, 0)
    assert MAX_PACK_SIZE == 2**32 - 1


def test_writer_is_done_after_finish(sealer: Sealer) -> None:
    writer = PackWriter()
    writer.finish(sealer)
    with pytest.raises(ValueError, match="already finished"):
        writer.add(0, blob_id(0), b"x", 1, 0)
    with pytest.raises(ValueError, match="already finished"):
        writer.finish(sealer)
