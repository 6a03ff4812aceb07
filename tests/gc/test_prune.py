"""Prune: marking, the grace period, the lock rule, rescue by backups, repacking, dry runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from snapstore.backend import MemoryBackend
from snapstore.errors import LockedError
from snapstore.gc import PruneOptions, prune
from snapstore.repository import Repository, RepositoryConfig
from snapstore.repository.blob_store import ConcurrentPruneError
from snapstore.repository.locks import BACKUP, PRUNE, Lock
from tests.gc.conftest import Clock, backup, forget, names, restores_identically, write_random

GRACE = PruneOptions(grace=timedelta(hours=1))


def two_versions(repo: Repository, source: Path) -> tuple[str, str]:
    source.mkdir()
    write_random(source / "a", 600_000)
    write_random(source / "keep", 300_000)
    first = backup(repo, source)
    write_random(source / "a", 600_000)
    return first, backup(repo, source)


def one_file_source(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    source.mkdir()
    write_random(source / "a", 700_000)
    return source


def test_garbage_is_marked_then_deleted_after_the_grace_period(
    host: Callable[..., Repository], backend: MemoryBackend, clock: Clock, tmp_path: Path
) -> None:
    repo = host()
    first, second = two_versions(repo, tmp_path / "src")
    forget(repo, first)
    packs_before = names(backend, "data")
    report = prune(repo, GRACE, clock)
    assert report.marked_packs >= 1 and report.deleted_packs == 0
    assert packs_before <= names(backend, "data")  # nothing deleted yet
    marked = {n.rsplit("/", 1)[1] for n in names(backend, "trash")}
    # Marked packs stay in the index until deleted: a running backup never loses an entry.
    assert all(repo.cache.knows_pack(bytes.fromhex(p)) for p in marked)
    clock.advance(minutes=30)
    assert prune(repo, GRACE, clock).waiting_packs == len(marked)
    clock.advance(minutes=31)
    report = prune(repo, GRACE, clock)
    assert report.deleted_packs == len(marked) and report.deleted_bytes > 600_000
    assert names(backend, "trash") == set()
    assert {n.rsplit("/", 1)[1] for n in names(backend, "data")}.isdisjoint(marked)
    assert not any(repo.cache.knows_pack(bytes.fromhex(p)) for p in marked)
    assert restores_identically(repo, second, tmp_path / "src", tmp_path / "out")


def test_an_operation_that_started_before_the_mark_holds_deletion(
    host: Callable[..., Repository], backend: MemoryBackend, clock: Clock, tmp_path: Path
) -> None:
    repo = host()
    first, _ = two_versions(repo, tmp_path / "src")
    forget(repo, first)
    running = Lock(backend, BACKUP, False, clock).acquire()
    clock.advance(minutes=1)
    marked = prune(repo, GRACE, clock).marked_packs
    clock.advance(hours=2)
    running.refresh()  # its owner is alive and refreshing
    assert prune(repo, GRACE, clock).waiting_packs == marked
    running.release()
    assert prune(repo, GRACE, clock).deleted_packs == marked


def test_a_stale_lock_does_not_hold_deletion(
    host: Callable[..., Repository], backend: MemoryBackend, clock: Clock, tmp_path: Path
) -> None:
    repo = host()
    first, _ = two_versions(repo, tmp_path / "src")
    forget(repo, first)
    Lock(backend, BACKUP, False, clock).acquire()._stop.set()  # never refreshed again
    marked = prune(repo, GRACE, clock).marked_packs
    clock.advance(hours=2)
    assert prune(repo, GRACE, clock).deleted_packs == marked


def test_a_backup_that_reused_a_marked_pack_puts_it_back(
    host: Callable[..., Repository], backend: MemoryBackend, clock: Clock, tmp_path: Path
) -> None:
    source = one_file_source(tmp_path)
    repo = host()
    first = backup(repo, source)
    other_host = host()  # its cache still lists the pack that is about to be marked
    forget(repo, first)
    assert prune(repo, GRACE, clock).marked_packs >= 1
    second = backup(other_host, source)  # deduplicates against the marked pack
    # A third host, with a fresh cache, can restore at once: the backup re-indexed the pack.
    assert restores_identically(host(), second, source, tmp_path / "out1")
    clock.advance(hours=2)
    report = prune(repo, GRACE, clock)
    assert report.rescued_packs >= 1  # the re-indexed data pack left the trash
    assert restores_identically(host(), second, source, tmp_path / "out2")


def test_a_backup_whose_pack_was_deleted_saves_no_snapshot(
    host: Callable[..., Repository], backend: MemoryBackend, clock: Clock, tmp_path: Path
) -> None:
    source = one_file_source(tmp_path)
    repo = host()
    first = backup(repo, source)
    slow = host()
    data = (source / "a").read_bytes()
    scanner = slow.new_scanner()
    cuts = scanner.feed(data) + scanner.finish()
    chunk = data[: cuts[0]]
    assert slow.save_data(chunk) == 0  # deduplicated against the first backup's pack
    forget(repo, first)
    prune(repo, PruneOptions(grace=timedelta(0)), clock)
    clock.advance(seconds=1)
    assert prune(repo, PruneOptions(grace=timedelta(0)), clock).deleted_packs >= 1
    with pytest.raises(ConcurrentPruneError, match="deleted by a concurrent prune"):
        slow.flush()


def test_partly_used_packs_are_repacked(
    host: Callable[..., Repository], backend: MemoryBackend, clock: Clock, tmp_path: Path
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    write_random(source / "a", 400_000)
    write_random(source / "b", 400_000)
    repo = host(RepositoryConfig(pack_size=8 << 20))
    first = backup(repo, source)  # a and b share one data pack
    (source / "b").unlink()
    second = backup(repo, source)
    forget(repo, first)
    report = prune(repo, GRACE, clock)
    assert report.repacked_packs == 1 and report.copied_blobs >= 1
    assert restores_identically(repo, second, source, tmp_path / "out1")
    clock.advance(hours=2)
    assert prune(repo, GRACE, clock).deleted_bytes > 400_000
    assert restores_identically(host(), second, source, tmp_path / "out2")


def test_dry_run_reports_and_changes_nothing(
    host: Callable[..., Repository], backend: MemoryBackend, clock: Clock, tmp_path: Path
) -> None:
    repo = host()
    first, _ = two_versions(repo, tmp_path / "src")
    forget(repo, first)
    before = names(backend, "")
    report = prune(repo, PruneOptions(dry_run=True), clock)
    assert report.dry_run and report.marked_packs >= 1 and report.marked_bytes > 600_000
    assert names(backend, "") == before


def test_two_prunes_do_not_run_at_once(
    host: Callable[..., Repository], backend: MemoryBackend, clock: Clock, tmp_path: Path
) -> None:
    repo = host()
    holder = Lock(backend, PRUNE, True, clock).acquire()
    clock.advance(seconds=1)
    with pytest.raises(LockedError, match="prune lock"):
        prune(repo, GRACE, clock)
    holder.release()
    prune(repo, GRACE, clock)


def test_a_blob_two_hosts_uploaded_at_once_is_stored_once_after_prune(
    host: Callable[..., Repository], backend: MemoryBackend, clock: Clock, tmp_path: Path
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    write_random(source / "same", 500_000)
    one, two = host(), host()
    two.cache.clear()  # neither host knows what the other is uploading
    first = backup(one, source)
    second = backup(two, source)
    assert len(names(backend, "data")) >= 3  # the data was stored twice
    prune(one, PruneOptions(max_unused=0.0, grace=timedelta(hours=1)), clock)
    clock.advance(hours=2)
    report = prune(one, PruneOptions(max_unused=0.0, grace=timedelta(hours=1)), clock)
    assert report.deleted_bytes >= 500_000
    for snapshot_id, out in ((first, "o1"), (second, "o2")):
        assert restores_identically(host(), snapshot_id, source, tmp_path / out)
