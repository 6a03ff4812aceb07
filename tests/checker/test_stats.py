"""`collect_stats` on repositories whose numbers can be computed by hand: duplicate files,
compressible text and random data, several snapshots, and the snapshot selection."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from snapstore.archiver import Archiver, BackupOptions, ExcludeRules
from snapstore.backend import MemoryBackend
from snapstore.checker import StatsOptions, collect_stats
from snapstore.crypto import ENVELOPE_OVERHEAD
from snapstore.errors import InputError
from snapstore.repository import Repository
from snapstore.repository.snapshot_filter import SnapshotFilter
from tests.e2e.conftest import CHEAP_KDF, PASSWORD

SIZE = 100_000  # below the chunker's minimum: one blob per file


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    repository = Repository.init(MemoryBackend(), PASSWORD, tmp_path / "cache", kdf=CHEAP_KDF)
    yield repository
    repository.close()


def backup(repo: Repository, src: Path, host: str = "host") -> str:
    options = BackupOptions(paths=(src,), hostname=host, username="user")
    snapshot_id = Archiver(repo, options, ExcludeRules(), None).run().snapshot_id
    assert snapshot_id is not None
    return snapshot_id


def three_copies(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    data = os.urandom(SIZE)
    for path in ("a.bin", "b.bin", "sub/c.bin"):
        (src / path).write_bytes(data)
    return src


def test_duplicate_files_are_stored_once(repo: Repository, tmp_path: Path) -> None:
    src = three_copies(tmp_path)
    backup(repo, src)
    stats = collect_stats(repo, StatsOptions())
    assert (stats.snapshots, stats.files, stats.restore_size) == (1, 3, 3 * SIZE)
    assert (stats.data_blobs, stats.raw_data) == (1, SIZE)
    assert stats.stored_data == SIZE + ENVELOPE_OVERHEAD  # random data is stored uncompressed
    assert stats.dedup_ratio == 3.0
    assert stats.compression_ratio == SIZE / (SIZE + ENVELOPE_OVERHEAD)
    # One tree per folder from / down to src, and sub.
    assert stats.tree_blobs == len(src.parts) + 1
    assert stats.packs == 2  # data and trees in separate packs
    assert stats.missing_blobs == 0


def test_each_snapshot_counts_its_files(repo: Repository, tmp_path: Path) -> None:
    src = three_copies(tmp_path)
    first = backup(repo, src)
    second = backup(repo, src)
    both = collect_stats(repo, StatsOptions())
    assert both.snapshot_ids == [first, second]
    assert (both.files, both.restore_size, both.raw_data) == (6, 6 * SIZE, SIZE)
    assert both.dedup_ratio == 6.0
    latest = collect_stats(repo, StatsOptions(("latest",)))
    assert (latest.snapshot_ids, latest.restore_size) == ([second], 3 * SIZE)
    by_prefix = collect_stats(repo, StatsOptions((first[:8], second, first)))
    assert by_prefix.snapshot_ids == [first, second]  # each snapshot once


def test_filters_select_snapshots(repo: Repository, tmp_path: Path) -> None:
    src = three_copies(tmp_path)
    backup(repo, src, host="alpha")
    beta = backup(repo, src, host="beta")
    stats = collect_stats(repo, StatsOptions(where=SnapshotFilter(hosts=("beta",))))
    assert stats.snapshot_ids == [beta]
    with pytest.raises(InputError):
        collect_stats(repo, StatsOptions(("ffffffff",)))


def test_compressible_and_random_data(repo: Repository, tmp_path: Path) -> None:
    text, noise = tmp_path / "text", tmp_path / "noise"
    text.mkdir()
    noise.mkdir()
    (text / "log.txt").write_bytes(b"GET /index.html 200\n" * (SIZE // 20))
    (noise / "random.bin").write_bytes(os.urandom(SIZE))
    backup(repo, text)
    backup(repo, noise)
    compressible = collect_stats(repo, StatsOptions(where=SnapshotFilter(paths=(str(text),))))
    random_data = collect_stats(repo, StatsOptions(where=SnapshotFilter(paths=(str(noise),))))
    assert compressible.raw_data == random_data.raw_data == SIZE
    assert compressible.compression_ratio > 50
    assert random_data.stored_data == SIZE + ENVELOPE_OVERHEAD
    assert compressible.dedup_ratio == random_data.dedup_ratio == 1.0


def test_backend_usage_by_folder(repo: Repository, tmp_path: Path) -> None:
    backup(repo, three_copies(tmp_path))
    stats = collect_stats(repo, StatsOptions())
    assert set(stats.backend) == {"config", "data", "index", "keys", "snapshots"}
    for folder, usage in stats.backend.items():
        listed = [info.size for info in repo.backend.list(folder)] or [
            repo.backend.stat(folder).size
        ]
        assert (usage.objects, usage.bytes) == (len(listed), sum(listed))
    assert stats.backend_bytes == sum(info.size for info in repo.backend.list(""))


def test_empty_repository(repo: Repository) -> None:
    stats = collect_stats(repo, StatsOptions())
    assert (stats.snapshots, stats.restore_size, stats.dedup_ratio) == (0, 0, 0.0)
