"""Taking packs out of the index: the index files that mention them are replaced by new files
without their entries. The new files are written first; the last one written supersedes every
replaced file, so readers switch over at one moment; only then are the old files removed.
Interrupted anywhere, the index still lists every kept blob (at worst twice)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from snapstore.backend import Backend
from snapstore.errors import NotFoundError
from snapstore.index import IndexEntry, Sealing, decode_index, encode_index, index_file_id

ENTRIES_PER_FILE = 100_000


def rewrite_without(
    backend: Backend, sealer: Sealing, files: dict[str, set[bytes]], packs: set[bytes],
    drop: Callable[[IndexEntry], bool] | None = None,
) -> int:  # fmt: skip
    """Replace the files (name -> packs) that mention a pack in `packs`, leaving out the entries
    `drop` selects (default: every entry of those packs); return how many files were replaced."""
    affected = sorted(name for name, mentioned in files.items() if mentioned & packs)
    if not affected:
        return 0
    leave_out = drop or (lambda e: e.pack_id in packs)
    kept: list[IndexEntry] = []
    # What the replaced files superseded is carried forward: once they are gone, nothing else
    # would say that files left behind by an interrupted rewrite are stale.
    replaced = {index_file_id(name) for name in affected}
    for name in affected:
        index = decode_index(backend.load(name), sealer, name)
        kept += [e for e in index.entries if not leave_out(e)]
        replaced |= set(index.supersedes)
    batches = [kept[i : i + ENTRIES_PER_FILE] for i in range(0, len(kept), ENTRIES_PER_FILE)] or [[]]
    for batch in batches[:-1]:
        _save(backend, sealer, batch, ())
    _save(backend, sealer, batches[-1], sorted(replaced))
    for name in affected:
        try:
            backend.remove(name)
        except NotFoundError:
            pass
    return len(affected)


def _save(backend: Backend, sealer: Sealing, entries: list[IndexEntry], supersedes: Iterable[bytes]) -> None:
    name, data = encode_index(entries, supersedes, sealer)
    backend.save(name, data)
