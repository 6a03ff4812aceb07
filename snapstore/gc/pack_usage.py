"""Which packs hold what: one streaming pass over the live index files (the truth), counting for
each pack the bytes of blobs the kept snapshots use and of those they do not. A blob stored twice
(two hosts uploaded it at the same moment) counts as used only in the copy the index cache
resolves it to, so the other copy is garbage like any unused blob. Memory holds one index file
and a few numbers per pack, never the whole index."""

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

    @property
    def total_bytes(self) -> int:
        return self.used_bytes + self.unused_bytes


@dataclass
class IndexScan:
    packs: dict[bytes, PackUsage] = field(default_factory=dict)
    files: dict[str, set[bytes]] = field(default_factory=dict)  # live index file -> its packs


def is_used_copy(entry: IndexEntry, used: DiskBlobSet, cache: IndexCache) -> bool:
    if entry.blob_id not in used:
        return False
    canonical = cache.lookup(entry.blob_id)
    return canonical is not None and canonical.pack_id == entry.pack_id


def scan_packs(backend: Backend, sealer: Sealing, cache: IndexCache, used: DiskBlobSet) -> IndexScan:
    """`cache` must be freshly synced: its merged files are the live (not superseded) ones."""
    live = cache.known_files() & {info.name for info in backend.list(layout.INDEX)}
    scan = IndexScan()
    for name in sorted(live):
        entries = decode_index(backend.load(name), sealer, name).entries
        scan.files[name] = {e.pack_id for e in entries}
        for entry in entries:
            usage = scan.packs.setdefault(entry.pack_id, PackUsage(entry.pack_id, entry.blob_type))
            usage.blobs += 1
            if is_used_copy(entry, used, cache):
                usage.used_bytes += entry.length
                usage.used_blobs += 1
            else:
                usage.unused_bytes += entry.length
    return scan
