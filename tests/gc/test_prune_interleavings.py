"""Prune and a backup of another host interleaved at one chosen moment, replayed
deterministically with a backend wrapper that runs the backup when the prune reaches it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from snapstore.backend import MemoryBackend
from snapstore.backend.faulty import FaultyBackend
from snapstore.gc import PruneOptions, prune
from snapstore.repository import Repository
from tests.gc.conftest import CHEAP_KDF, PASSWORD, Clock, backup, restores_identically, write_random


def test_a_backup_that_finishes_after_the_index_sync_is_marked_in_full(
    backend: MemoryBackend, clock: Clock, tmp_path: Path
) -> None:
    """Found by tests/e2e/test_many_hosts.py on S3: a backup saved its index files and its
    snapshot after the prune had synced its index cache and before it listed the snapshots; the
    mark could not find the new snapshot's trees and the prune stopped with "tree ... of a
    snapshot is missing: run 'snap check'", though nothing was wrong."""
    Repository.init(backend, PASSWORD, tmp_path / "c0", kdf=CHEAP_KDF).close()
    source = tmp_path / "src"
    source.mkdir()
    write_random(source / "a", 400_000)
    other_host = Repository.open(backend, PASSWORD, tmp_path / "c1")
    saved: list[str] = []

    def backup_before_the_snapshots_are_listed(kind: str, name: str) -> None:
        if kind == "list" and name == "snapshots" and not saved:
            saved.append(backup(other_host, source))

    pruning = Repository.open(
        FaultyBackend(backend, backup_before_the_snapshots_are_listed), PASSWORD, tmp_path / "c2"
    )
    report = prune(pruning, PruneOptions(grace=timedelta(0)), clock)
    assert saved and report.snapshots == 1 and report.marked_packs == 0
    clock.advance(seconds=1)
    assert prune(pruning, PruneOptions(grace=timedelta(0)), clock).deleted_packs == 0
    assert restores_identically(Repository.open(backend, PASSWORD, tmp_path / "c3"), saved[0],
                                source, tmp_path / "out")  # fmt: skip
