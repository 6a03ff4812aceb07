"""Blobs the index lists in more than one pack (`snap stats --duplicates`).

Two hosts that upload the same new data at the same moment both store it (neither could know
of the other's copy); the index resolves each blob to one copy and the next prune collects the
other (docs/design.md §6.3, "Duplicates"). This counts the extra copies, reading every live
index file once. A blob listed twice for the same pack (a pack re-indexed by a backup or a
prune) is one copy, not two. The sets of blobs and locations seen are kept on disk, so memory
does not grow with the repository.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from snapstore.backend import Backend
from snapstore.index import DiskBlobSet, Sealing, decode_index


@dataclass
class DuplicateCount:
    index_files: int = 0
    blobs: int = 0  # distinct blob ids indexed
    stored_bytes: int = 0  # of the first copy of each blob
    duplicate_blobs: int = 0  # blob ids indexed in more than one pack
    duplicate_copies: int = 0  # extra copies (a blob in three packs counts two)
    duplicate_bytes: int = 0  # stored bytes of the extra copies


def count_duplicates(
    backend: Backend, sealer: Sealing, live_files: Iterable[str]
) -> DuplicateCount:
    """`live_files`: the index files not superseded (those a freshly synced cache merged).
    Raises IntegrityError for a damaged index file, NotFoundError if one vanished meanwhile."""
    count = DuplicateCount()
    with tempfile.TemporaryDirectory(prefix="snap-stats-") as folder:
        blobs = DiskBlobSet(Path(folder) / "blobs")
        locations = DiskBlobSet(Path(folder) / "locations")
        duplicated = DiskBlobSet(Path(folder) / "duplicated")
        try:
            for name in sorted(live_files):
                count.index_files += 1
                for entry in decode_index(backend.load(name), sealer, name).entries:
                    location = entry.blob_id + entry.pack_id
                    if location in locations:
                        continue
                    locations.add(location)
                    if entry.blob_id not in blobs:
                        blobs.add(entry.blob_id)
                        count.blobs += 1
                        count.stored_bytes += entry.length
                        continue
                    if entry.blob_id not in duplicated:
                        duplicated.add(entry.blob_id)
                        count.duplicate_blobs += 1
                    count.duplicate_copies += 1
                    count.duplicate_bytes += entry.length
        finally:
            for opened in (blobs, locations, duplicated):
                opened.close()
    return count
