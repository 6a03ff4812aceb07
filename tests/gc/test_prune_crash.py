"""A prune stopped at any write leaves a repository whose snapshots all restore, and a later
prune finishes the work."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from snapstore.backend import MemoryBackend
from snapstore.backend.faulty import FaultyBackend, fail_nth_write
from snapstore.errors import BackendError
from snapstore.gc import PruneOptions, prune
from snapstore.repository import Repository, RepositoryConfig
from snapstore.repository.index_rebuild import rebuild_index
from tests.gc.conftest import CHEAP_KDF, PASSWORD, Clock, backup, forget, names, restores_identically, write_random

OPTIONS = PruneOptions(grace=timedelta(hours=1))


def clone(backend: MemoryBackend) -> MemoryBackend:
    twin = MemoryBackend()
    for info in backend.list(""):
        twin.save(info.name, backend.load(info.name))
    return twin


def build(tmp_path: Path) -> tuple[MemoryBackend, str, Path]:
    """Three backups, the first two forgotten: there is garbage to mark, to repack and (after a
    first prune) to delete."""
    backend = MemoryBackend()
    repo = Repository.init(backend, PASSWORD, tmp_path / "c0", RepositoryConfig(pack_size=4 << 20), kdf=CHEAP_KDF)
    source = tmp_path / "src"
    source.mkdir()
    for name in ("a", "b", "c"):
        write_random(source / name, 300_000)
    ids = [backup(repo, source)]
    write_random(source / "a", 300_000)
    ids.append(backup(repo, source))
    (source / "b").unlink()
    ids.append(backup(repo, source))
    for snapshot_id in ids[:2]:
        forget(repo, snapshot_id)
    # One index file for all packs, so that taking packs out rewrites a file with kept entries.
    assert rebuild_index(backend, repo.sealer, repo.cache).index_files_written == 1
    repo.close()
    return backend, ids[2], source


def writes_of_a_prune(backend: MemoryBackend, tmp_path: Path, clock: Clock) -> int:
    counted = [0]

    def count(kind: str, name: str) -> None:
        counted[0] += kind in ("save", "create", "remove")

    repo = Repository.open(FaultyBackend(backend, lambda k, n: count(k, n)), PASSWORD, tmp_path / "count")
    prune(repo, OPTIONS, clock)
    return counted[0]


@pytest.mark.parametrize("phase", ["mark", "delete"])
def test_prune_killed_at_every_write(tmp_path: Path, phase: str) -> None:
    pristine, latest, source = build(tmp_path)
    clock = Clock()
    if phase == "delete":  # a first, complete prune marks; the interrupted one deletes
        prune(Repository.open(pristine, PASSWORD, tmp_path / "first"), OPTIONS, clock)
        clock.advance(hours=2)
    total = writes_of_a_prune(clone(pristine), tmp_path, Clock(clock.now))
    assert total >= 3
    for n in range(1, total + 1):
        backend = clone(pristine)
        broken = Repository.open(FaultyBackend(backend, fail_nth_write(n)), PASSWORD, tmp_path / f"b{n}")
        with pytest.raises(BackendError):
            prune(broken, OPTIONS, Clock(clock.now))
        repo = Repository.open(backend, PASSWORD, tmp_path / f"r{n}")
        assert restores_identically(repo, latest, source, tmp_path / f"out{n}"), n
        later = Clock(clock.now + timedelta(hours=3))
        for _ in range(3):  # mark, then delete after the grace period: nothing left behind
            prune(repo, OPTIONS, later)
            later.advance(hours=2)
        assert names(backend, "trash") == set()
        assert restores_identically(
            Repository.open(backend, PASSWORD, tmp_path / f"f{n}"), latest, source, tmp_path / f"o{n}"
        ), n
