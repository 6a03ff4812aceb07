"""`repair index`: rebuild the index files from the pack headers alone (docs/design.md §5.3).

New index files are written before any old one is removed, so a repair interrupted at any point
leaves every pack indexed at least once (duplicates are harmless: they name the same places)."""

from __future__ import annotations

from dataclasses import dataclass, field

from snapstore.backend import Backend
from snapstore.errors import IntegrityError
from snapstore.index import IndexCache, IndexEntry, Sealing, encode_index, sync_cache
from snapstore.pack import load_pack_header
from snapstore.repository import layout

ENTRIES_PER_INDEX_FILE = 100_000


@dataclass
class RebuildReport:
    packs: int = 0
    blobs: int = 0
    index_files_written: int = 0
    index_files_removed: int = 0
    damaged_packs: list[str] = field(default_factory=list)


def rebuild_index(backend: Backend, sealer: Sealing, cache: IndexCache) -> RebuildReport:
    report = RebuildReport()
    old = {info.name for info in backend.list(layout.INDEX)}
    written: set[str] = set()
    batch: list[IndexEntry] = []
    for info in backend.list(layout.DATA):
        try:
            entries = load_pack_header(backend, info.name, sealer, info.size)
        except (IntegrityError, ValueError) as error:
            report.damaged_packs.append(f"{info.name}: {error}")
            continue
        report.packs += 1
        report.blobs += len(entries)
        batch += entries
        if len(batch) >= ENTRIES_PER_INDEX_FILE:
            written.add(_write(backend, sealer, batch))
            batch = []
    if batch:
        written.add(_write(backend, sealer, batch))
    for name in sorted(old - written):
        backend.remove(name)
    report.index_files_written = len(written)
    report.index_files_removed = len(old - written)
    cache.clear()
    sync_cache(cache, backend, sealer)
    return report


def _write(backend: Backend, sealer: Sealing, entries: list[IndexEntry]) -> str:
    name, data = encode_index(entries, (), sealer)
    backend.save(name, data)
    return name
