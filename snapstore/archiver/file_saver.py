"""Store one regular file's content: read, chunk, deduplicate, save; return the chunk ids."""

from __future__ import annotations

import os

from snapstore.archiver.options import Counters
from snapstore.chunker.stream import iter_chunks
from snapstore.repository.protocols import BlobSaver

# O_NOATIME keeps a backup from touching access times; only the owner (or root) may use it.
_NOATIME = getattr(os, "O_NOATIME", 0)


def open_for_reading(path: bytes) -> int:
    flags = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags | _NOATIME)
    except PermissionError:
        if not _NOATIME:
            raise
        return os.open(path, flags)


def save_file_content(path: bytes, repo: BlobSaver, counters: Counters, dry_run: bool) -> tuple[bytes, ...]:
    """Raises OSError when the file cannot be read; nothing is half-recorded in that case."""
    fd = open_for_reading(path)
    with os.fdopen(fd, "rb", buffering=0) as f:
        ids = []
        for chunk in iter_chunks(f.readinto, repo.new_scanner()):
            counters.bytes_read += len(chunk)
            blob_id = repo.blob_id(chunk)
            ids.append(blob_id)
            if dry_run:
                if not repo.has_data(blob_id):
                    counters.data_added += len(chunk)
                continue
            added = repo.save_data(chunk, blob_id)
            if added:
                counters.data_blobs += 1
                counters.data_added += len(chunk)
                counters.data_added_packed += added
        return tuple(ids)
