"""Which packs hold what: one streaming pass over the live index files (the truth), counting for
each pack the bytes of blobs the kept snapshots use and of those they do not. Memory holds one
index file and a few numbers per pack, never the whole index.

A blob stored twice (two hosts uploaded it at the same moment) has one *kept* copy, used, and
*extra* copies, garbage like any unused blob. The kept copy is the one the index cache resolves
the blob to, unless that copy is in a pack marked for deletion and an unmarked pack holds the
blob too: then the first such copy is kept. Caches resolve a blob to the first copy they merged,
which differs between hosts and between rebuilds; without this rule a rebuild could move the kept
copy into a marked pack, and the next prune would rescue that pack (and its extra copies)
instead of deleting it, so duplicates would never go away.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from snapstore.backend import Backend
from snapstore.index import DiskBlobSet, IndexCache, IndexEntry, Sealing, decode_index
from snapstore.repository import layout


@dataclass
class PackUsage:
    pack_id: bytes
    blob_type: int
    used_bytes: int = 0
    unused_bytes: int = 0
    used_blobs: int = 0
    blobs: int = 0
    extra_copies: int = 0  # used blobs whose kept copy is in another pack

    @property
    def total_bytes(self) -> int:
        return self.used_bytes + self.unused_bytes


@dataclass
class KeptCopies:
    """Which copy of each blob is kept: the cache's, or `moved` for blobs whose cached copy is
    in a marked pack while an unmarked pack holds them too."""

    cache: IndexCache
    moved: dict[bytes, bytes] = field(default_factory=dict)  # blob id -> pack id

    def pack_of(self, blob_id: bytes) -> bytes | None:
        moved = self.moved.get(blob_id)
        if moved is not None:
            return moved
        entry = self.cache.lookup(blob_id)
        return None if entry is None else entry.pack_id

    def is_used_copy(self, entry: IndexEntry, used: DiskBlobSet) -> bool:
        return entry.blob_id in used and self.pack_of(entry.blob_id) == entry.pack_id

    def is_extra_copy(self, entry: IndexEntry) -> bool:
        kept = self.pack_of(entry.blob_id)
        return kept is not None and kept != entry.pack_id


@dataclass
class IndexScan:
    kept: KeptCopies
    packs: dict[bytes, PackUsage] = field(default_factory=dict)
    files: dict[str, set[bytes]] = field(default_factory=dict)  # live index file -> its packs


def scan_packs(
    backend: Backend, sealer: Sealing, cache: IndexCache, used: DiskBlobSet, marked: set[bytes]
) -> IndexScan:
    """`cache` must be freshly synced: its merged files are the live (not superseded) ones.
    `marked`: the packs in the trash."""
    live = cache.known_files() & {info.name for info in backend.list(layout.INDEX)}
    scan = IndexScan(KeptCopies(cache))
    # Entries of used blobs whose cached copy is in a marked pack are counted after the pass,
    # once every copy has been seen (a handful: marked packs hold garbage, or blobs a backup
    # reused while they were being marked).
    contested: list[IndexEntry] = []
    for name in sorted(live):
        entries = decode_index(backend.load(name), sealer, name).entries
        scan.files[name] = {e.pack_id for e in entries}
        # Where the cache keeps each used blob, asked per file in one transaction each.
        cached = cache.packs_of(used.present(e.blob_id for e in entries))
        for entry in entries:
            kept = cached.get(entry.blob_id)
            if kept is not None and kept in marked:
                if entry.pack_id not in marked:
                    scan.kept.moved.setdefault(entry.blob_id, entry.pack_id)
                contested.append(entry)
            else:
                _count(scan, entry, kept)
    for entry in contested:
        _count(scan, entry, scan.kept.pack_of(entry.blob_id))
    return scan


def _count(scan: IndexScan, entry: IndexEntry, kept: bytes | None) -> None:
    """`kept`: the pack of the blob's kept copy if the blob is used, else None."""
    usage = scan.packs.setdefault(entry.pack_id, PackUsage(entry.pack_id, entry.blob_type))
    usage.blobs += 1
    if kept == entry.pack_id:
        usage.used_bytes += entry.length
        usage.used_blobs += 1
    else:
        usage.unused_bytes += entry.length
        usage.extra_copies += kept is not None
