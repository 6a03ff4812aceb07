"""Prune: delete or repack what no snapshot needs, without ever blocking a backup
(docs/design.md §6.3). One run does two things:

A. Finish earlier marks: a marked pack that a snapshot now uses, or that is back in the index
   (a backup re-indexed it), leaves the trash; one that is still unneeded is deleted once the
   safety margins of `safety.py` allow, else it waits for a later run.
B. Mark new garbage: packs with no used blob, packs in no index (left by crashed backups), packs
   holding an extra copy of a used blob (two hosts uploaded it at once), and, while more than
   `max_unused` of the repository is garbage, the packs with the most garbage, after copying
   their used blobs into new packs. Copied blobs and extra copies leave the index; the rest of
   a marked pack stays indexed until its deletion.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from snapstore.errors import IntegrityError, NotFoundError, SnapError
from snapstore.gc.index_rewrite import rewrite_without
from snapstore.gc.pack_usage import IndexScan, PackUsage, scan_packs
from snapstore.gc.repacker import Repacker
from snapstore.gc.safety import CLOCK_SKEW, DEFAULT_MAX_UNUSED, GRACE_PERIOD
from snapstore.gc.used_blobs import mark_used
from snapstore.index import DiskBlobSet, IndexEntry, encode_index, sync_cache
from snapstore.pack import load_pack_header, pack_id_from_name, pack_object_name
from snapstore.backend import Backend
from snapstore.repository import Repository, layout, trash
from snapstore.repository.locks import PRUNE, Lock, LockInfo, list_locks, utc_now


@dataclass(frozen=True)
class PruneOptions:
    max_unused: float = DEFAULT_MAX_UNUSED  # share of the repository's pack bytes
    dry_run: bool = False
    grace: timedelta = GRACE_PERIOD


@dataclass
class PruneReport:
    dry_run: bool = False
    snapshots: int = 0
    trees_read: int = 0
    packs: int = 0
    pack_bytes: int = 0
    marked_packs: int = 0  # newly put in the trash (their bytes free after the grace period)
    marked_bytes: int = 0
    repacked_packs: int = 0
    copied_blobs: int = 0
    copied_bytes: int = 0
    deleted_packs: int = 0  # deleted in this run
    deleted_bytes: int = 0
    waiting_packs: int = 0  # in the trash, not yet safe to delete
    waiting_bytes: int = 0
    rescued_packs: int = 0
    index_files_rewritten: int = 0
    messages: list[str] = field(default_factory=list)


class PruneError(SnapError):
    """Prune stopped before deleting anything, because the repository is not consistent."""


class Pruner:
    def __init__(self, repo: Repository, options: PruneOptions, clock: Callable[[], datetime]) -> None:
        self.repo = repo
        self.options = options
        self.clock = clock
        self.report = PruneReport(dry_run=options.dry_run)
        self.backend = repo.backend
        self._trashed: dict[bytes, int] = {}  # marked packs no index lists -> size

    def run(self) -> PruneReport:
        lock = None if self.options.dry_run else Lock(self.backend, PRUNE, True, self.clock).acquire()
        try:
            with tempfile.TemporaryDirectory(prefix="snap-prune-") as folder:
                used = DiskBlobSet(folder)
                try:
                    self._prune(used, lock)
                finally:
                    used.close()
        finally:
            if lock is not None:
                lock.release()
        return self.report

    def _prune(self, used: DiskBlobSet, lock: Lock | None) -> None:
        # Locks first, before the index and the snapshots are read: a backup that re-indexes a
        # marked pack and saves its snapshot after they were read must still hold deletion, also
        # when it has finished (and released its lock) by the time the deletions start.
        locks_at_start = self._live_locks(lock)
        sync_cache(self.repo.cache, self.backend, self.repo.sealer)
        self._remove_superseded()
        sizes = {pack_id_from_name(i.name): i.size for i in self.backend.list(layout.DATA)}
        marks = trash.list_marks(self.backend, self.clock())
        self._trashed = {p: sizes[p] for p in marks if p in sizes and not self.repo.cache.knows_pack(p)}
        snapshots = [snap for _, snap in self.repo.list_snapshots()]
        self.report.snapshots = len(snapshots)
        self.report.trees_read = mark_used(_RescuingLoader(self), snapshots, used)
        scan = scan_packs(self.backend, self.repo.sealer, self.repo.cache, used, set(marks))
        if self._finish_marks(marks, sizes, used, locks_at_start + self._live_locks(lock), scan):
            # Deleting replaced index files: look again, so repacking rewrites the current ones.
            still_marked = set(trash.list_marks(self.backend, self.clock()))
            scan = scan_packs(self.backend, self.repo.sealer, self.repo.cache, used, still_marked)
            sizes = {pack_id_from_name(i.name): i.size for i in self.backend.list(layout.DATA)}
        self._mark_new(scan, sizes, set(marks), used)

    def _remove_superseded(self) -> None:
        """Index files another file supersedes are left by an interrupted rewrite; remove them
        (their replacement exists: that is how they are known to be superseded)."""
        listed = {info.name for info in self.backend.list(layout.INDEX)}
        for name in sorted(self.repo.cache.superseded_files() & listed):
            self._write(lambda: _remove_quietly(self.backend, name))

    # -- A: earlier marks ------------------------------------------------------------------------

    def _live_locks(self, lock: Lock | None) -> list[LockInfo]:
        return [
            l for l in list_locks(self.backend)
            if not l.is_stale(self.clock()) and (lock is None or l.name != lock.info.name)
        ]  # fmt: skip

    def _finish_marks(self, marks: dict[bytes, trash.TrashMark], sizes: dict[bytes, int],
                      used: DiskBlobSet, live_locks: list[LockInfo], scan: IndexScan) -> bool:  # fmt: skip
        """`live_locks`: those live when the prune started and those live now. Marked packs
        stay in the index until they are deleted, so nothing a running backup refers to ever
        drops out of the index; deletion takes them out of the index first."""
        deletable: list[bytes] = []
        for pack_id, mark in sorted(marks.items()):
            size = sizes.get(pack_id)
            if size is None:  # deleted by an earlier run that stopped before removing the mark
                self._write(lambda: trash.unmark(self.backend, pack_id))
                continue
            usage = scan.packs.get(pack_id)
            in_use = usage.used_blobs > 0 if usage is not None else self._rescue_if_used(pack_id, size, used)
            if in_use:
                self.report.rescued_packs += 1
                if usage is not None:  # a repacked pack is only partly indexed: make it whole
                    self._reindex_if_partial(pack_id, size, usage.blobs)
                self._write(lambda: trash.unmark(self.backend, pack_id))
            elif self._deletable(mark, live_locks):
                deletable.append(pack_id)
                self.report.deleted_packs += 1
                self.report.deleted_bytes += size
            else:
                self.report.waiting_packs += 1
                self.report.waiting_bytes += size
        if deletable and not self.options.dry_run:
            self.report.index_files_rewritten += rewrite_without(
                self.backend, self.repo.sealer, scan.files, set(deletable)
            )
            for pack_id in deletable:
                self._delete(pack_id)
            self.repo.cache.clear()
            sync_cache(self.repo.cache, self.backend, self.repo.sealer)
        return bool(deletable) and not self.options.dry_run

    def _rescue_if_used(self, pack_id: bytes, size: int, used: DiskBlobSet) -> bool:
        """A marked pack holding a blob some snapshot needs (and no index lists) goes back into
        the index: a backup used it while it was being marked."""
        entries = self._header(pack_id, size)
        if not any(e.blob_id in used and not self.repo.cache.contains(e.blob_id) for e in entries):
            return False
        self._reindex(pack_id, entries)
        return True

    def _reindex_if_partial(self, pack_id: bytes, size: int, indexed: int) -> None:
        entries = self._header(pack_id, size)
        if len(entries) > indexed:
            self._reindex(pack_id, entries)

    def _header(self, pack_id: bytes, size: int) -> list[IndexEntry]:
        try:
            return load_pack_header(self.backend, pack_object_name(pack_id), self.repo.sealer, size)
        except IntegrityError:
            return []

    def _reindex(self, pack_id: bytes, entries: list[IndexEntry]) -> None:
        name, data = encode_index(entries, (), self.repo.sealer)
        self._write(lambda: self.backend.save(name, data))
        # Also in a dry run: the cache is only a copy, and a later sync drops a name that the
        # repository does not have.
        self.repo.cache.merge(name, entries)
        self._trashed.pop(pack_id, None)

    def rescue_blob(self, blob_id: bytes) -> bool:
        """Find a blob the mark needs in a marked pack that left the index, and re-index it."""
        for pack_id, size in list(self._trashed.items()):
            entries = self._header(pack_id, size)
            if any(e.blob_id == blob_id for e in entries):
                self._reindex(pack_id, entries)
                return True
        return False

    def _deletable(self, mark: trash.TrashMark, live_locks: list[LockInfo]) -> bool:
        if self.clock() - mark.marked_at < self.options.grace:
            return False
        return not any(l.created <= mark.marked_at + CLOCK_SKEW for l in live_locks)

    def _delete(self, pack_id: bytes) -> None:
        try:
            self.backend.remove(pack_object_name(pack_id))
        except NotFoundError:
            pass
        trash.unmark(self.backend, pack_id)

    # -- B: new garbage --------------------------------------------------------------------------

    def _mark_new(self, scan: IndexScan, sizes: dict[bytes, int], marked: set[bytes],
                  used: DiskBlobSet) -> None:  # fmt: skip
        packs = [u for p, u in scan.packs.items() if p in sizes and p not in marked]
        self.report.packs = len(sizes)
        self.report.pack_bytes = sum(sizes.values())
        unused = [u.pack_id for u in packs if u.used_blobs == 0]
        orphans = [p for p in sizes if p not in scan.packs and p not in marked]
        partly = [u for u in packs if 0 < u.used_blobs]
        repack = self._choose_repack(partly)
        # Extra copies of used blobs (uploaded by two hosts at once) go at the first prune that
        # sees them, whatever --max-unused says: they are rare, and otherwise they could stay.
        repack += [u.pack_id for u in partly if u.extra_copies and u.pack_id not in set(repack)]
        self.report.repacked_packs = len(repack)
        drop = set(unused) | set(repack) | set(orphans)
        self.report.marked_packs = len(drop)
        self.report.marked_bytes = sum(sizes[p] for p in drop)
        if self.options.dry_run or not drop:
            return
        # Marks first: a pack is marked before any of its entries leaves the index.
        now = self.clock()
        for pack_id in sorted(drop):
            trash.mark(self.backend, pack_id, now)
        with_extra = {u.pack_id for u in packs if u.extra_copies and u.pack_id in drop}
        if not repack and not with_extra:
            return
        result = Repacker(self.repo, used, scan.kept).repack(repack)
        self.report.copied_blobs, self.report.copied_bytes = result.blobs_copied, result.bytes_copied
        # The copies are indexed: the originals of copied blobs leave the index now, so lookups
        # find the copies, and so do the extra copies in marked packs (the kept copy stays
        # indexed, or its copy), so no cache can resolve a blob to a pack that is going away.
        # The rest of a marked pack stays indexed until its deletion.
        copied = result.copied
        self.report.index_files_rewritten += rewrite_without(
            self.backend, self.repo.sealer, scan.files, set(repack) | with_extra,
            drop=lambda e: (e.pack_id, e.blob_id) in copied or (
                e.pack_id in drop and e.blob_id in used and scan.kept.is_extra_copy(e)),
        )  # fmt: skip
        self.repo.cache.clear()
        sync_cache(self.repo.cache, self.backend, self.repo.sealer)

    def _choose_repack(self, partly: list[PackUsage]) -> list[bytes]:
        """Most-garbage packs first, until the garbage left is within max_unused."""
        total = sum(u.total_bytes for u in partly) or 1
        garbage = sum(u.unused_bytes for u in partly)
        chosen = []
        for usage in sorted(partly, key=lambda u: u.unused_bytes / u.total_bytes, reverse=True):
            if garbage <= self.options.max_unused * total:
                break
            chosen.append(usage.pack_id)
            garbage -= usage.unused_bytes
        return chosen

    def _write(self, action: Callable[[], object]) -> None:
        if not self.options.dry_run:
            action()


def _remove_quietly(backend: Backend, name: str) -> None:
    try:
        backend.remove(name)
    except NotFoundError:
        pass


class _RescuingLoader:
    """Loads trees for the mark. A tree the cache does not know may belong to a backup that
    saved its index files and its snapshot after the cache was synced (the snapshots are listed
    later): its index files exist by now, so the cache is synced again. A tree still missing is
    looked for in the trash."""

    def __init__(self, pruner: Pruner) -> None:
        self.pruner = pruner

    def load_tree_references(self, tree_id: bytes) -> tuple[list[bytes], list[bytes]]:
        repo = self.pruner.repo
        if not repo.cache.contains(tree_id):
            sync_cache(repo.cache, repo.backend, repo.sealer)
        if not repo.cache.contains(tree_id) and not self.pruner.rescue_blob(tree_id):
            raise PruneError(f"tree {tree_id.hex()} of a snapshot is missing: run 'snap check'; "
                             "nothing was deleted")  # fmt: skip
        return repo.load_tree_references(tree_id)


def prune(repo: Repository, options: PruneOptions, clock: Callable[[], datetime] = utc_now) -> PruneReport:
    return Pruner(repo, options, clock).run()
