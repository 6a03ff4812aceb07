"""Bringing the local index cache up to date with the repository's index files (docs/design.md
§5 index).

Each host writes new index files and never changes old ones, so a sync lists `index/` once and
merges only the files it has not seen: hosts pick up each other's work without a rebuild. Two
events invalidate what was merged, and both lead to a clear and a rebuild:

- a merged file disappeared: a prune elsewhere replaced it, and its packs may be gone;
- a new file supersedes a merged one: the prune has not deleted the old file yet, but its entries
  may already point at packs that are about to go.

Files superseded by another file are recorded and never merged, so a prune that crashed before
deleting them does not bring their entries back; superseding is transitive (a file that replaced
one that replaced another replaces both). Files are merged in name order, so two rebuilds
of the same repository keep the same copy of a blob stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from snapstore.backend import Backend
from snapstore.errors import NotFoundError
from snapstore.index.entry import Sealing
from snapstore.index.index_file import INDEX_FOLDER, decode_index, index_object_name
from snapstore.index.lmdb_cache import IndexCache


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What a sync did: index files merged (after a rebuild: all the cache now holds), whether
    the cache was cleared and rebuilt, and how many listed files are superseded."""

    merged: int
    rebuilt: bool
    superseded: int


SYNC_ATTEMPTS = 5


def sync_cache(cache: IndexCache, backend: Backend, sealer: Sealing) -> SyncReport:
    """Merge the index files of `backend` not yet in `cache`; rebuild when merged files went
    stale. Raises IntegrityError for a damaged index file, BackendError if storage fails.
    A file that vanishes between listing and reading (a concurrent prune replaced it) makes the
    sync start over from a new listing, a bounded number of times."""
    for attempt in range(SYNC_ATTEMPTS):
        try:
            return _sync_once(cache, backend, sealer)
        except NotFoundError:
            if attempt == SYNC_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _sync_once(cache: IndexCache, backend: Backend, sealer: Sealing) -> SyncReport:
    # Known before listed: a file is merged only after it was saved, so everything known now is
    # listed unless removed. Read after the listing, `known` could hold a file that another
    # process sharing this cache saved and merged meanwhile, which would look removed and cost a
    # needless rebuild (and empty the cache under that process's feet).
    known = cache.known_files()
    listed = {info.name for info in backend.list(INDEX_FOLDER)}
    # A merged file that is gone, or recorded as superseded (by a sync interrupted before its
    # rebuild), may list packs a prune deleted: its entries cannot be picked out, so start over.
    rebuilt = not known <= listed or bool(known & cache.superseded_files())
    if rebuilt:
        cache.clear()
    merged, stale = _merge_new(cache, backend, sealer, listed)
    if stale:
        # Every listed file has been read, now or when it was merged, so every supersedes is
        # recorded and the second pass cannot go stale.
        superseded = cache.superseded_files()
        cache.clear()
        cache.mark_superseded(superseded)
        rebuilt = True
        merged, _ = _merge_new(cache, backend, sealer, listed)
    superseded = cache.superseded_files()
    cache.forget_superseded(superseded - listed)
    return SyncReport(merged, rebuilt, len(superseded & listed))


def _merge_new(
    cache: IndexCache, backend: Backend, sealer: Sealing, listed: set[str]
) -> tuple[int, bool]:
    """Read listed files neither merged nor recorded as superseded, in name order, and merge
    those no file supersedes. Returns how many were merged and whether a file read here
    supersedes one merged (the cache is then stale)."""
    merged_names = cache.known_files()
    superseded = cache.superseded_files()
    merged = 0
    stale = False
    for name in sorted(listed - merged_names - superseded):
        # Read even if a file read earlier supersedes it: replacing is transitive, and what this
        # file replaced (left behind by a prune that crashed) must not be merged either.
        index = decode_index(backend.load(name), sealer, name)
        replaced = {index_object_name(file_id) for file_id in index.supersedes}
        cache.mark_superseded(replaced)
        superseded |= replaced
        stale = stale or bool(replaced & merged_names)
        if name not in superseded and cache.merge(name, index.entries):
            merged += 1
            merged_names.add(name)
    return merged, stale
