"""The copy engine: chooses the snapshots, copies each one's trees and data, and records the
copy. Never prints; reports through `on_progress`.

Write ordering (docs/design.md §6.1 and §11): a copied snapshot is saved only after every blob it
needs is stored and indexed in the target (`flush`), one snapshot at a time, so a copy stopped at
any point leaves the target consistent, and the next copy skips the snapshots already saved and
stores again none of the blobs already indexed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Protocol

from snapstore.copier.content_copier import DEFAULT_WORKERS, ContentCopier
from snapstore.copier.options import (
    BY_ID,
    RECHUNK,
    CopiedSnapshot,
    CopyCounters,
    CopyOptions,
    CopyResult,
)
from snapstore.copier.selection import Catalog, Pair, choose, original_id, reference
from snapstore.copier.tree_copier import Progress, Reference, TreeCopier
from snapstore.repository.config import RepositoryConfig
from snapstore.repository.locks import BACKUP
from snapstore.repository.protocols import BlobLoader, BlobSaver, Locking, SnapshotStore

# The shared lock a copy holds on its source, so that a prune there waits for it (§6.3).
COPY_SOURCE = "copy"


class CopySource(BlobLoader, SnapshotStore, Locking, Protocol):
    config: RepositoryConfig  # its file chunker's minimum tells streams from files

    def content_fingerprint(self) -> bytes: ...


class CopyTarget(BlobSaver, BlobLoader, SnapshotStore, Locking, Protocol):
    def content_fingerprint(self) -> bytes: ...


class Copier:
    def __init__(
        self, source: CopySource, target: CopyTarget, options: CopyOptions,
        on_progress: Progress | None = None, on_snapshot: Callable[[Pair], None] | None = None,
        workers: int = DEFAULT_WORKERS,
    ) -> None:  # fmt: skip
        self.source = source
        self.target = target
        self.options = options
        self.on_progress = on_progress
        self.on_snapshot = on_snapshot  # told before each snapshot is copied
        self.counters = CopyCounters()
        by_id = source.content_fingerprint() == target.content_fingerprint()
        self.mode = BY_ID if by_id else RECHUNK
        self._contents = ContentCopier(
            source, target, self.counters, rechunk=not by_id, workers=workers,
            stream_below=source.config.chunker.min_size,
        )  # fmt: skip
        self._trees = TreeCopier(source, target, self._contents, self.counters, by_id, on_progress)

    def run(self) -> CopyResult:
        try:
            if self.options.dry_run:
                return self._run()
            # The source lock keeps a prune there from deleting what is being read; the target
            # lock is a backup's: a prune there keeps the packs this copy deduplicates against.
            with self.source.lock(COPY_SOURCE), self.target.lock(BACKUP):
                return self._run()
        finally:
            self._contents.close()

    def _run(self) -> CopyResult:
        result = CopyResult(self.mode, self.options.dry_run, self.counters)
        source_snapshots = self.source.list_snapshots()
        chosen = choose(source_snapshots, self.options.snapshots, self.options.where)
        catalog = Catalog.of(self.target.list_snapshots())
        source_index = {sid: (sid, snapshot) for sid, snapshot in source_snapshots}
        for pair in chosen:
            existing = catalog.copy_of(pair)
            if existing is not None:
                self.counters.snapshots_skipped += 1
                result.skipped.append(CopiedSnapshot(pair[0], existing[0]))
                continue
            target_id = None if self.options.dry_run else self._copy(pair, source_index, catalog)
            if target_id is None:  # a dry run: later duplicates of the same original are skips
                catalog.add(original_id(pair), (pair[0], pair[1]))
            self.counters.snapshots_copied += 1
            result.copied.append(CopiedSnapshot(pair[0], target_id))
        return result

    def _copy(self, pair: Pair, source_index: dict[str, Pair], catalog: Catalog) -> str:
        if self.on_snapshot:
            self.on_snapshot(pair)
        snapshot = pair[1]
        ref = reference(pair, source_index, catalog) if self.mode == RECHUNK else None

        def root_reference() -> Reference | None:
            if ref is None:
                return None
            return self.source.load_tree(ref[0][1].tree), self.target.load_tree(ref[1][1].tree)

        root = self._trees.copy(snapshot.tree, b"", root_reference)
        self.target.flush()  # every blob durable and indexed before the snapshot names it
        parent = source_index.get(snapshot.parent) if snapshot.parent else None
        parent_copy = catalog.copy_of(parent) if parent else None
        copied = dataclasses.replace(
            snapshot, tree=root, original=original_id(pair),
            parent=parent_copy[0] if parent_copy else None,
        )  # fmt: skip
        target_id = self.target.save_snapshot(copied)
        catalog.add(original_id(pair), (target_id, copied))
        return target_id
