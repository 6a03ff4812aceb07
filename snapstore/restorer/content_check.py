"""Checking a restored file against its snapshot node: the file is cut where the stored chunks
end (their lengths come from the index), not where a chunker would cut it, so files stored with
either chunker (files or streams, docs/design.md §7) are checked the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from snapstore.index import IndexEntry

READ_LIMIT = 1 << 30  # more than any chunk; a longer file fails the length check first


class ChunkLengths(Protocol):
    def lookup(self, blob_id: bytes) -> IndexEntry | None: ...

    def blob_id(self, data: bytes | memoryview) -> bytes: ...


def content_matches(
    repo: ChunkLengths,
    path: bytes,
    content: tuple[bytes, ...],
    first: Callable[[bytes], None] | None = None,
) -> bool:
    """Do the bytes of `path` hash, piece by piece, to exactly `content`? `first`, if given,
    receives the first chunk's bytes (to recognise file types). Raises OSError if unreadable."""
    with open(path, "rb", buffering=0) as f:
        for i, blob_id in enumerate(content):
            entry = repo.lookup(blob_id)
            if entry is None:
                return False
            piece = f.read(entry.raw_length)
            if i == 0 and first is not None:
                first(piece)
            if len(piece) != entry.raw_length or repo.blob_id(piece) != blob_id:
                return False
        return f.read(1) == b""
