"""A backup killed at any moment leaves the repository consistent, and the next backup completes
and reuses what was uploaded: an index file is written after every pack (docs/design.md §6)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from snapstore.archiver import Archiver, BackupOptions, ExcludeRules
from snapstore.backend import LocalBackend
from snapstore.index import BlobType
from snapstore.repository import Repository, RepositoryConfig
from snapstore.restorer import RestoreOptions, Restorer
from tests.e2e.conftest import CHEAP_KDF, PASSWORD

MiB = 1 << 20
FILES = 15
FILE_SIZE = 4 * MiB  # 60 MiB of random data in all
PACK_SIZE = 2 * MiB

CHILD = """
import sys
from pathlib import Path
from snapstore.archiver import Archiver, BackupOptions, ExcludeRules
from snapstore.backend import LocalBackend
from snapstore.repository import Repository

repo_path, cache, src, password = sys.argv[1:]
repo = Repository.open(LocalBackend(repo_path), password.encode(), Path(cache))
options = BackupOptions(paths=(Path(src),), hostname="host", username="user")
Archiver(repo, options, ExcludeRules(), None).run()
print("finished", flush=True)
"""


def listed(folder: Path) -> list[Path]:
    """Objects in a repository folder, temporary files of unfinished saves left out."""
    if not folder.exists():
        return []
    return [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]


def test_killed_backup_leaves_consistent_repository(tmp_path: Path) -> None:
    repo_path, cache, src = tmp_path / "repo", tmp_path / "cache", tmp_path / "src"
    config = RepositoryConfig(pack_size=PACK_SIZE)
    Repository.init(LocalBackend(repo_path), PASSWORD, cache, config=config, kdf=CHEAP_KDF).close()
    src.mkdir()
    contents = {f"file-{i:02}": os.urandom(FILE_SIZE) for i in range(FILES)}
    for name, data in contents.items():
        (src / name).write_bytes(data)

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(repo_path), str(cache), str(src), PASSWORD.decode()],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        # Two index files: at least one pack is complete and indexed; kill in the middle.
        while len(listed(repo_path / "index")) < 2 and child.poll() is None:
            assert time.monotonic() < deadline, "the backup wrote no index file in 30 s"
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
    finally:
        out, err = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL, (out, err)
    assert b"finished" not in out
    packs_before = {p.name for p in listed(repo_path / "data")}
    assert len(packs_before) >= 2
    assert len(packs_before) < FILES * FILE_SIZE // PACK_SIZE  # killed well before the end

    repo = Repository.open(LocalBackend(repo_path), PASSWORD, cache)
    try:
        # Consistent: no snapshot, and every indexed blob is in a pack that exists and loads.
        assert repo.list_snapshots() == []
        entries = list(repo.cache)
        assert entries and {e.blob_type for e in entries} == {BlobType.DATA}
        assert {e.pack_id.hex() for e in entries} <= packs_before
        for entry in entries:
            assert len(repo.load_data(entry.blob_id)) == entry.raw_length
        reused = sum(e.raw_length for e in entries)

        options = BackupOptions(paths=(src,), hostname="host", username="user")
        result = Archiver(repo, options, ExcludeRules(), None).run()
        total = FILES * FILE_SIZE
        assert result.snapshot_id is not None
        assert result.counters.files_new == FILES
        assert result.counters.bytes_read == total
        # What was indexed before the kill was not stored again (random data: no other dedup).
        assert result.counters.data_added == total - reused
        assert result.counters.data_added < total

        target = tmp_path / "restored"
        restored = Restorer(repo, result.snapshot, RestoreOptions(target, verify=True)).run()
        assert restored.verified_files == FILES
    finally:
        repo.close()
    for name, data in contents.items():
        assert (target / src.relative_to("/") / name).read_bytes() == data
