"""Fixtures of the garbage-collection tests: repositories on one memory backend (several
"hosts" = several opened repositories with their own caches), an injected clock, and helpers to
back up a folder and to restore and compare a snapshot."""

from __future__ import annotations

import filecmp
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from snapstore.archiver import Archiver, BackupOptions, ExcludeRules
from snapstore.backend import MemoryBackend
from snapstore.crypto import KdfParams
from snapstore.repository import Repository, RepositoryConfig
from snapstore.restorer import RestoreOptions, Restorer

CHEAP_KDF = KdfParams(memory_kib=64, iterations=1, lanes=1)
PASSWORD = b"gc test"
T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def backend() -> MemoryBackend:
    return MemoryBackend()


@pytest.fixture
def host(backend: MemoryBackend, tmp_path: Path) -> Iterator[Callable[..., Repository]]:
    """`host()` opens the repository as a new host would (own cache); the first call creates it."""
    opened: list[Repository] = []

    def make(config: RepositoryConfig | None = None) -> Repository:
        cache = tmp_path / f"cache-{len(opened)}"
        if not opened:
            repo = Repository.init(backend, PASSWORD, cache, config=config, kdf=CHEAP_KDF)
        else:
            repo = Repository.open(backend, PASSWORD, cache)
        opened.append(repo)
        return repo

    yield make
    for repo in opened:
        repo.blobs.close()
        repo.cache.close()


def backup(repo: Repository, source: Path) -> str:
    options = BackupOptions(paths=(source,), hostname="h", username="u")
    result = Archiver(repo, options, ExcludeRules(), None).run()
    assert result.snapshot_id is not None
    return result.snapshot_id


def restores_identically(repo: Repository, snapshot_id: str, source: Path, target: Path) -> bool:
    snapshot = repo.load_snapshot(snapshot_id)
    Restorer(repo, snapshot, RestoreOptions(target=target)).run()
    restored = Path(str(target) + str(source))
    comparison = filecmp.dircmp(source, restored)
    return not (comparison.left_only or comparison.right_only or comparison.diff_files) and all(
        (source / name).read_bytes() == (restored / name).read_bytes()
        for name in os.listdir(source)
    )


def write_random(path: Path, size: int) -> None:
    path.write_bytes(os.urandom(size))


def forget(repo: Repository, snapshot_id: str) -> None:
    repo.backend.remove(f"snapshots/{snapshot_id}")


def names(backend: MemoryBackend, prefix: str) -> set[str]:
    return {info.name for info in backend.list(prefix)}
