"""Index files: canonical plaintext, sealed and named by hash; damage is an IntegrityError."""

from __future__ import annotations

import dataclasses
import os
import re
from random import Random

import blake3
import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from snapstore.crypto import Sealer
from snapstore.errors import IntegrityError
from snapstore.index import (
    INDEX_ASSOCIATED,
    IndexEntry,
    decode_index,
    encode_index,
    index_file_id,
    index_object_name,
)
from snapstore.index.index_file import encode_plaintext
from tests.index.conftest import make_entries, make_id

ids = st.binary(min_size=32, max_size=32)
u32 = st.integers(0, 2**32 - 1)
entries_strategy = st.lists(
    st.builds(
        IndexEntry,
        ids,
        st.integers(0, 1),
        st.sampled_from([make_id("pack", n) for n in range(4)]),
        u32,
        u32,
        u32,
        st.integers(0, 1),
    ),
    max_size=40,
    unique_by=lambda e: (e.pack_id, e.offset),
)


def canonical(entries: list[IndexEntry]) -> list[IndexEntry]:
    return sorted(entries, key=lambda e: (e.pack_id, e.offset))


@settings(max_examples=60, deadline=None)
@given(entries_strategy, st.lists(ids, max_size=3))
def test_round_trip(entries: list[IndexEntry], supersedes: list[bytes]) -> None:
    sealer = Sealer(os.urandom(32))
    name, data = encode_index(entries, supersedes, sealer)
    index = decode_index(data, sealer, name)
    assert list(index.entries) == canonical(entries)
    assert index.supersedes == tuple(sorted(set(supersedes)))


@settings(max_examples=30, deadline=None)
@given(entries_strategy, st.randoms(use_true_random=False))
def test_plaintext_is_deterministic(entries: list[IndexEntry], random: Random) -> None:
    shuffled = list(entries)
    random.shuffle(shuffled)
    assert encode_plaintext(shuffled, [b"b" * 32, b"a" * 32]) == encode_plaintext(
        entries, [b"a" * 32, b"b" * 32, b"a" * 32]
    )


def test_empty_index(sealer: Sealer) -> None:
    name, data = encode_index([], [], sealer)
    index = decode_index(data, sealer, name)
    assert (index.entries, index.supersedes) == ((), ())


def test_supersedes_are_kept(sealer: Sealer) -> None:
    old = [make_id("old index", n) for n in range(3)]
    name, data = encode_index(make_entries(1, 2), old, sealer)
    assert decode_index(data, sealer, name).supersedes == tuple(old)


def test_name_is_the_hash_of_the_stored_bytes(sealer: Sealer) -> None:
    name, data = encode_index(make_entries(1, 5), [], sealer)
    assert name == "index/" + blake3.blake3(data).hexdigest()
    assert index_object_name(index_file_id(name)) == name


def test_the_stored_bytes_are_sealed_zstd(sealer: Sealer) -> None:
    entries = make_entries(1, 5)
    name, data = encode_index(entries, [], sealer)
    plaintext = zstandard.ZstdDecompressor().decompress(sealer.open(data, INDEX_ASSOCIATED, name))
    assert plaintext == encode_plaintext(entries, [])


def test_entries_of_many_packs_are_grouped(sealer: Sealer) -> None:
    entries = make_entries(3, 4) + make_entries(1, 2, first_blob=10) + make_entries(2, 3, 20)
    name, data = encode_index(reversed(entries), [], sealer)
    decoded = decode_index(data, sealer, name).entries
    assert [e.pack_id for e in decoded] == sorted(e.pack_id for e in entries)
    assert set(decoded) == set(entries)


def test_duplicates_are_written_once_and_conflicts_refused(sealer: Sealer) -> None:
    entries = make_entries(1, 3)
    assert encode_plaintext(entries + entries[:1], []) == encode_plaintext(entries, [])
    clash = IndexEntry(make_id("other", 0), 0, entries[0].pack_id, 0, 100, 1, 0)
    with pytest.raises(ValueError, match="two different entries at offset 0"):
        encode_plaintext([*entries, clash], [])


@pytest.mark.parametrize(
    "change,message",
    [
        ({"blob_type": 5}, "unknown blob type"),
        ({"compression": 2}, "unknown compression"),
        ({"offset": 2**32}, "does not fit"),
        ({"length": -1}, "does not fit"),
        ({"blob_id": b"x"}, "blob id of 1 bytes"),
        ({"pack_id": b"x"}, "pack id must be 32 bytes"),
    ],
)
def test_encode_rejects_what_the_format_cannot_hold(
    change: dict[str, object], message: str
) -> None:
    entry = dataclasses.replace(make_entries(1, 1)[0], **change)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        encode_plaintext([entry], [])


def test_encode_rejects_bad_superseded_ids() -> None:
    with pytest.raises(ValueError, match="superseded"):
        encode_plaintext([], [b"short"])


@pytest.fixture
def stored(sealer: Sealer) -> tuple[str, bytes]:
    return encode_index(make_entries(1, 3), [make_id("old", 1)], sealer)


def test_damage_is_caught_by_the_name(sealer: Sealer, stored: tuple[str, bytes]) -> None:
    name, data = stored
    for damaged in (data[:-1], data + b"\0", bytes([data[0] ^ 1]) + data[1:], b""):
        with pytest.raises(IntegrityError, match=re.escape(f"index file {name}: content hashes")):
            decode_index(damaged, sealer, name)


def test_a_file_under_another_name_is_refused(sealer: Sealer, stored: tuple[str, bytes]) -> None:
    _, data = stored
    other, _ = encode_index([], [], sealer)
    with pytest.raises(IntegrityError, match=re.escape(other)):
        decode_index(data, sealer, other)
    with pytest.raises(IntegrityError, match="not an index object name"):
        decode_index(data, sealer, "index/stray-file")


def test_another_key_fails_authentication(stored: tuple[str, bytes]) -> None:
    name, data = stored
    with pytest.raises(IntegrityError, match=re.escape(f"index file {name}: authentication")):
        decode_index(data, Sealer(bytes(32)), name)


def reseal(
    sealer: Sealer, payload: bytes, associated: bytes = INDEX_ASSOCIATED
) -> tuple[str, bytes]:
    """Store `payload` as an index file would be: authentic, correctly named, whatever it says."""
    data = sealer.seal(payload, associated)
    return "index/" + blake3.blake3(data).hexdigest(), data


def zstd(plaintext: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=3).compress(plaintext)


GOOD = encode_plaintext(make_entries(1, 2), [make_id("old", 1)])
MALFORMED = {
    "not zstd": (GOOD, "bad zstd frame"),
    "wrong magic": (zstd(b"SNPK" + GOOD[4:]), "not an index file"),
    "unknown version": (zstd(GOOD[:4] + b"\x02" + GOOD[5:]), "unsupported index version 2"),
    "cut short": (zstd(GOOD[:-1]), "ends early"),
    "cut in the preamble": (zstd(GOOD[:6]), "ends early"),
    "trailing byte": (zstd(GOOD + b"\0"), "1 trailing bytes"),
    "huge entry count": (zstd(GOOD[: 9 + 32 + 4 + 32] + b"\xff\xff\xff\x7f"), "ends early"),
    "unknown type": (zstd(GOOD[:-46] + b"\x07" + GOOD[-45:]), "unknown blob type 7"),
    "unknown compression": (zstd(GOOD[:-45] + b"\x07" + GOOD[-44:]), "unknown compression 7"),
}


@pytest.mark.parametrize("payload,message", MALFORMED.values(), ids=MALFORMED.keys())
def test_authentic_but_malformed_files(sealer: Sealer, payload: bytes, message: str) -> None:
    name, data = reseal(sealer, payload)
    with pytest.raises(IntegrityError, match=re.escape(f"index file {name}: ") + ".*" + message):
        decode_index(data, sealer, name)


def test_a_file_sealed_as_something_else_fails(sealer: Sealer) -> None:
    name, data = reseal(sealer, zstd(GOOD), associated=b"snapstore pack header v1")
    with pytest.raises(IntegrityError, match="authentication failed"):
        decode_index(data, sealer, name)
