"""`check_repository`: the order of the checks and the narrow view of a repository they need.

Order: index files, then packs against the index, then (with read_data) pack contents, then
snapshots and trees last, so that a file whose data was found missing or damaged by the earlier
steps can be named with its snapshot and path.
"""

from __future__ import annotations

from typing import Protocol

from snapstore.backend import Backend
from snapstore.checker.index_view import load_index
from snapstore.checker.options import CheckOptions, CheckReport
from snapstore.checker.packs import check_packs
from snapstore.checker.read_data import BlobOpener, read_packs
from snapstore.checker.subset import select_packs
from snapstore.checker.trees import TreeWalker, load_snapshots
from snapstore.index import Sealing
from snapstore.model import Snapshot
from snapstore.repository.protocols import Locking

__all__ = ["BlobOpener", "CheckSource", "check_repository"]


class CheckSource(Locking, Protocol):
    """What a check reads (`snapstore.repository.Repository` provides it). Not the index
    cache: the check reads the index files themselves."""

    @property
    def backend(self) -> Backend: ...

    @property
    def sealer(self) -> Sealing: ...

    @property
    def blobs(self) -> BlobOpener: ...

    def snapshot_ids(self) -> list[str]: ...

    def load_snapshot(self, snapshot_id: str) -> Snapshot: ...


CHECK_LOCK = "check"


def check_repository(repo: CheckSource, options: CheckOptions) -> CheckReport:
    """Holds a shared lock meanwhile, so that a prune does not delete the packs it marked
    while this check may still read them (docs/design.md §6.3)."""
    with repo.lock(CHECK_LOCK):
        return _check(repo, options)


def _check(repo: CheckSource, options: CheckOptions) -> CheckReport:
    report = CheckReport()
    view = load_index(repo.backend, repo.sealer, report)
    present = check_packs(repo.backend, repo.sealer, view, report)
    if options.read_data:
        chosen = select_packs(present, options.subset, options.seed)
        read_packs(repo.backend, repo.blobs, view, chosen, report)
    walker = TreeWalker(repo.backend, repo.blobs, view, report)
    for snapshot_id, snapshot in load_snapshots(repo, report):
        walker.walk(snapshot_id, snapshot)
    return report
