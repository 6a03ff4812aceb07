"""Error paths of the engines, in-process on the memory backend: a file that cannot be opened
during a backup, and a full disk during a restore (also through `snap`, on a tiny tmpfs)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from snapstore import browser
from snapstore.archiver import Archiver, BackupOptions, ExcludeRules
from snapstore.repository import Repository
from snapstore.restorer import RestoreError, RestoreOptions, Restorer
from tests.e2e.conftest import SNAP_TIMEOUT, Snap, assert_one_line_error


def archiver_for(repo: Repository, src: Path) -> Archiver:
    options = BackupOptions(paths=(src,), hostname="host", username="user")
    return Archiver(repo, options, ExcludeRules(), None)


def test_file_that_cannot_be_opened_is_a_warning(
    memory_repo: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(b"first\n")
    (src / "locked.txt").write_bytes(b"secret\n")
    (src / "z.txt").write_bytes(b"last\n")
    locked = os.fsencode(src / "locked.txt")
    real_open = os.open

    def refusing_open(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if os.fsencode(path) == locked:  # type: ignore[arg-type]
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refusing_open)
    result = archiver_for(memory_repo, src).run()
    monkeypatch.undo()

    assert result.warnings == [f"{src}/locked.txt: Permission denied"]
    assert result.counters.errors == 1
    assert result.counters.files_new == 2
    assert result.snapshot_id is not None
    ((saved_id, saved),) = memory_repo.list_snapshots()
    assert saved_id == result.snapshot_id
    assert saved.summary is not None and saved.summary.errors == 1
    _, tree = browser.find(memory_repo, memory_repo.load_tree(saved.tree), os.fsencode(src))
    assert [node.name for node in tree] == [b"a.txt", b"z.txt"]
    assert b"".join(memory_repo.load_data(c) for c in tree[1].content) == b"last\n"


def test_restore_on_full_disk_is_a_restore_error(
    memory_repo: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "data.bin").write_bytes(os.urandom(10_000))
    snapshot = archiver_for(memory_repo, src).run().snapshot

    def full(fd: int, data: object, offset: int) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", full)
    target = tmp_path / "target"
    with pytest.raises(RestoreError) as caught:
        Restorer(memory_repo, snapshot, RestoreOptions(target)).run()
    assert str(caught.value) == f"target disk full while writing {target}{src}/data.bin"


def test_restore_on_full_disk_through_snap(snap: Snap, tmp_path: Path) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed")
    src = tmp_path / "src"
    src.mkdir()
    (src / "small").write_bytes(b"fits\n")
    (src / "large").write_bytes(os.urandom(2_000_000))
    snap.backup(src)
    target = tmp_path / "tiny"
    target.mkdir()
    # A private mount namespace: the 1 MiB tmpfs disappears with the command.
    script = 'mount -t tmpfs -o size=1m tmpfs "$1" || exit 99; shift; exec snap "$@"'
    done = subprocess.run(
        ["unshare", "--mount", "sh", "-c", script, "sh", str(target),
         "restore", "latest", "--target", str(target)],
        capture_output=True, env=snap.env, stdin=subprocess.DEVNULL, timeout=SNAP_TIMEOUT,
        check=False,
    )  # fmt: skip
    if done.returncode == 99:
        pytest.skip("cannot mount a tmpfs in a private mount namespace here")
    assert done.returncode == 1
    stderr = done.stderr.decode()
    assert_one_line_error(stderr)
    assert stderr.strip() == f"snap: error: target disk full while writing {target}{src}/large"
    assert done.stdout == b""
