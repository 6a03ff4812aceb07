"""The content writer: runs of data between zero blocks, holes, and packs read once each."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from snapstore.index import IndexEntry
from snapstore.restorer.content_writer import ContentWriter
from snapstore.restorer.pack_run import HOLE_BLOCK, _data_runs


@settings(max_examples=80, deadline=None)
@given(
    parts=st.lists(st.tuples(st.booleans(), st.integers(1, 3 * HOLE_BLOCK)), max_size=8),
    offset=st.integers(0, 3 * HOLE_BLOCK),
)
def test_runs_cover_every_nonzero_byte_and_skip_only_aligned_zero_blocks(
    parts: list[tuple[bool, int]], offset: int
) -> None:
    data = b"".join((b"\x01" if filled else b"\x00") * n for filled, n in parts)
    rebuilt = bytearray(len(data))
    for start, end in _data_runs(data, offset):
        rebuilt[start:end] = data[start:end]
    assert bytes(rebuilt) == data
    written = set()
    for start, end in _data_runs(data, offset):
        written.update(range(start, end))
    for position in set(range(len(data))) - written:
        block = (offset + position) // HOLE_BLOCK
        lo = max(block * HOLE_BLOCK - offset, 0)
        hi = min((block + 1) * HOLE_BLOCK - offset, len(data))
        assert data[lo:hi] == bytes(hi - lo)  # skipped bytes lie in an all-zero file block


class FakePacks:
    """Two packs of blobs in memory; counts how often each pack is read."""

    def __init__(self, blobs: dict[bytes, tuple[bytes, bytes]]) -> None:
        self.blobs = blobs  # blob id -> (pack id, data)
        self.reads: list[bytes] = []

    def lookup_many(self, blob_ids: Collection[bytes]) -> dict[bytes, IndexEntry]:
        found = {}
        for blob_id in blob_ids:
            pack, data = self.blobs[blob_id]
            found[blob_id] = IndexEntry(blob_id, 0, pack, 0, len(data), len(data), 0)
        return found

    def load_from_pack(self, entries: list[IndexEntry]) -> Iterator[tuple[IndexEntry, bytes]]:
        self.reads.append(entries[0].pack_id)
        for entry in entries:
            yield entry, self.blobs[entry.blob_id][1]


def test_each_pack_is_read_once_and_shared_blobs_are_written_everywhere(tmp_path: Path) -> None:
    a, b, hole = bytes([1]) * 32, bytes([2]) * 32, bytes([3]) * 32
    packs = FakePacks({
        a: (b"P" * 32, os.urandom(10_000)),
        b: (b"Q" * 32, b"x" * 5000),
        hole: (b"P" * 32, bytes(1 << 20)),
    })  # fmt: skip
    writer = ContentWriter(packs, readers=2)
    first, second = os.fsencode(tmp_path / "one"), os.fsencode(tmp_path / "two")
    writer.add_file(first, (a, hole, b, a))
    writer.add_file(second, (b,))
    writer.submit()
    stats = writer.wait()
    writer.close()
    assert sorted(packs.reads) == [b"P" * 32, b"Q" * 32]
    expected = packs.blobs[a][1] + bytes(1 << 20) + b"x" * 5000 + packs.blobs[a][1]
    assert Path(os.fsdecode(first)).read_bytes() == expected
    assert Path(os.fsdecode(second)).read_bytes() == b"x" * 5000
    assert stats.holes_bytes >= (1 << 20) - 2 * HOLE_BLOCK
    assert os.stat(first).st_blocks * 512 < len(expected) - (1 << 19)
