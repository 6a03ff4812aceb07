"""Bad input and damaged repositories through `snap`: each is one line on stderr, never a
traceback, with the documented exit code (README: exit codes)."""

from __future__ import annotations

import json
import os
import resource
from pathlib import Path

import pytest

from snapstore import browser
from tests.e2e.conftest import Snap, assert_one_line_error

FATAL, PARTIAL, NO_REPOSITORY, WRONG_PASSWORD = 1, 3, 10, 12


def test_wrong_password(snap: Snap, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not the password\n")
    error = snap.fails("snapshots", "--password-file", wrong, code=WRONG_PASSWORD)
    assert error == "snap: error: wrong password or no key found"


def test_missing_password_sources(snap: Snap, tmp_path: Path) -> None:
    error = snap.fails("snapshots", "--password-file", tmp_path / "absent", code=FATAL)
    assert error.startswith(f"snap: error: cannot read password file {tmp_path / 'absent'}")
    error = snap.fails("snapshots", env={"SNAP_PASSWORD_FILE": ""}, code=FATAL)
    assert error.startswith("snap: error: no password given")


def test_no_repository_at_path(snap_env: Snap) -> None:
    error = snap_env.fails("snapshots", code=NO_REPOSITORY)
    assert error == f"snap: error: no repository at {snap_env.repo}"
    assert not snap_env.repo.exists()
    error = snap_env.fails("backup", snap_env.root, code=NO_REPOSITORY)
    assert error == f"snap: error: no repository at {snap_env.repo}"
    assert not snap_env.repo.exists()


def test_init_creates_once_and_refuses_a_second_time(snap_env: Snap) -> None:
    created = snap_env.json("init")
    assert created["repository"] == str(snap_env.repo)
    assert len(created["id"]) == 64
    keys = list((snap_env.repo / "keys").iterdir())
    config = (snap_env.repo / "config").read_bytes()

    error = snap_env.fails("init", code=FATAL)
    assert error == f"snap: error: a repository already exists at {snap_env.repo}"
    assert list((snap_env.repo / "keys").iterdir()) == keys  # no stray key file
    assert (snap_env.repo / "config").read_bytes() == config
    assert snap_env.json("snapshots") == []


def test_backup_of_missing_path(snap: Snap, tmp_path: Path) -> None:
    (tmp_path / "here").mkdir()
    error = snap.fails("backup", tmp_path / "here", tmp_path / "not-here", code=FATAL)
    assert error == f"snap: error: {tmp_path / 'not-here'} does not exist"
    assert snap.json("snapshots") == []
    assert snap.data_files() == set()


# A sysfs file that even root cannot open for reading (write-only: the kernel refuses).
WRITE_ONLY_SYSFS = "/sys/bus/pci/rescan"


def test_unreadable_file_gives_partial_backup_exit_code(snap: Snap, tmp_path: Path) -> None:
    try:
        os.close(os.open(WRITE_ONLY_SYSFS, os.O_RDONLY))
    except PermissionError:
        pass
    except OSError:
        pytest.skip(f"{WRITE_ONLY_SYSFS} is not available here")
    else:
        pytest.skip(f"{WRITE_ONLY_SYSFS} can be read here")
    src = tmp_path / "src"
    src.mkdir()
    (src / "fine.txt").write_text("fine\n")
    result = snap.run("backup", "--json", src, WRITE_ONLY_SYSFS)
    assert result.returncode == PARTIAL, result.err
    assert "Traceback" not in result.err
    assert result.err.splitlines() == [f"warning: {WRITE_ONLY_SYSFS}: Permission denied"]
    report = json.loads(result.stdout)
    assert report["errors"] == 1
    assert report["files_new"] == 1
    (listed,) = snap.json("snapshots")
    assert listed["id"] == report["snapshot_id"]
    assert listed["summary"]["errors"] == 1
    assert snap.ok("dump", "latest", src / "fine.txt").stdout == b"fine\n"
    # The unreadable file is left out of the snapshot, not recorded empty.
    error = snap.fails("dump", "latest", WRITE_ONLY_SYSFS, code=FATAL)
    assert error.endswith("rescan is not in the snapshot")


def test_restore_write_failure_is_one_line(snap: Snap, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "big").write_bytes(os.urandom(300_000))
    snap.backup(src)

    def small_file_limit() -> None:  # Python ignores SIGXFSZ, so write() fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    result = snap.run(
        "restore", "latest", "--target", tmp_path / "out", preexec_fn=small_file_limit
    )
    assert result.returncode == FATAL
    assert_one_line_error(result.err)
    assert (
        result.err.strip()
        == f"snap: error: cannot write {tmp_path / 'out'}{src}/big: File too large"
    )
    assert result.stdout == b""


def flip_bit(path: Path, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([byte ^ 0x10]))


def test_corrupted_pack_fails_restore_naming_blob_and_pack(snap: Snap, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    content = os.urandom(600_000)
    (src / "file").write_bytes(content)
    (src / "other").write_bytes(b"small\n")
    report = snap.backup(src)
    repo = snap.open()
    try:
        node, _ = browser.find(
            repo, repo.load_tree(repo.load_snapshot(report["snapshot_id"]).tree),
            os.fsencode(src / "file"),
        )  # fmt: skip
        assert node is not None
        blob_id = node.content[-1]
        entry = repo.blobs.lookup(blob_id)
    finally:
        repo.close()
    assert entry is not None
    pack = entry.pack_id.hex()
    flip_bit(snap.repo / "data" / pack[:2] / pack, entry.offset + entry.length // 2)

    for verify in ((), ("--verify",)):
        result = snap.run("restore", "latest", *verify, "--target", tmp_path / f"out{len(verify)}")
        assert result.returncode == FATAL
        assert_one_line_error(result.err)
        assert f"data blob {blob_id.hex()}" in result.err
        assert f"pack {pack}" in result.err
        assert "authentication failed" in result.err
        assert result.stdout == b""  # no "restored ..." line

    result = snap.run("dump", "latest", src / "file")
    assert result.returncode == FATAL
    assert_one_line_error(result.err)
    assert result.stdout != content


def test_tampered_snapshot_file(snap: Snap, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    snapshot_id = snap.backup(tmp_path / "src")["snapshot_id"]
    path = snap.repo / "snapshots" / snapshot_id
    flip_bit(path, path.stat().st_size // 2)
    error = snap.fails("snapshots", code=FATAL)
    assert error == f"snap: error: snapshot {snapshot_id}: content does not match its name"
    error = snap.fails("restore", "latest", "--target", tmp_path / "out", code=FATAL)
    assert snapshot_id in error
    assert not (tmp_path / "out").exists()


def test_non_utf8_backup_path_is_a_clear_error(snap: Snap, tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path) + b"/caf\xe9"
    os.mkdir(folder)
    assert "must be valid UTF-8" in snap.fails("backup", os.fsdecode(folder), code=1)
