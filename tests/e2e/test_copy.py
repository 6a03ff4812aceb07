"""`snap copy` between two local repositories with different passwords and keys (contents
re-chunked), and into a repository made with `snap init --from-repo` (blobs copied by id):
every copied snapshot restores exactly as from its source, a second copy copies nothing,
filters choose, only missing data is stored, and a killed copy resumes without storing again
what it had stored."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from snapstore.backend import LocalBackend
from snapstore.repository import Repository, RepositoryConfig
from tests.e2e.conftest import CHEAP_KDF, Snap
from tests.e2e.sample_tree import build_sample_tree
from tests.e2e.tree_compare import assert_same_tree

OTHER_PASSWORD = b"another password for the off-site copy"
MiB = 1 << 20


def destination(root: Path, source: Snap | None = None, config: RepositoryConfig | None = None) -> Snap:
    """A second repository with its own password: made with `snap init --from-repo source`
    when `source` is given, else created in-process with its own keys."""
    dst = Snap(root)
    dst.password_file.write_bytes(OTHER_PASSWORD + b"\n")
    if source is not None:
        dst.ok("init", "--from-repo", source.repo, "--from-password-file", source.password_file)
    else:
        Repository.init(LocalBackend(dst.repo), OTHER_PASSWORD, dst.cache, config=config,
                        kdf=CHEAP_KDF).close()  # fmt: skip
    return dst


def copy(dst: Snap, src: Snap, *args: str) -> dict[str, Any]:
    document: dict[str, Any] = dst.json("copy", "--from-repo", src.repo, "--from-password-file",
                                        src.password_file, *args)  # fmt: skip
    return document


def restore(snap: Snap, snapshot_id: str, target: Path, root: Path) -> bytes:
    """Restore a snapshot of `root`; return where `root` came back."""
    snap.ok("restore", snapshot_id, "--target", target)
    return os.fsencode(target / root.relative_to("/"))


def test_copy_to_a_repository_with_other_keys_restores_bit_for_bit(snap: Snap, tmp_path: Path) -> None:
    tree = build_sample_tree(tmp_path / "src")
    first = snap.backup(tree.root, "--tag", "daily", "--host", "nas")
    (tree.root / "small.txt").chmod(0o600)
    (tree.root / "added.txt").write_bytes(b"new in the second snapshot\n")
    second = snap.backup(tree.root, "--host", "nas")
    dst = destination(tmp_path / "dst")

    result = copy(dst, snap)
    assert result["mode"] == "rechunk"
    assert [c["source_id"] for c in result["copied"]] == [first["snapshot_id"], second["snapshot_id"]]
    assert result["snapshots_copied"] == 2 and result["skipped"] == []
    assert result["files_reused"] > 0  # the second snapshot took unchanged files from the first

    listed = dst.json("snapshots")
    originals = snap.json("snapshots")
    assert [s["original"] for s in listed] == [s["id"] for s in originals]
    for copied, original in zip(listed, originals):
        for field in ("time", "hostname", "username", "paths", "tags"):
            assert copied[field] == original[field]
    assert listed[1]["parent"] == listed[0]["id"]  # the parent is the parent's copy

    for i, (copied, original) in enumerate(zip(listed, originals)):
        from_source = restore(snap, original["id"], tmp_path / f"from-source-{i}", tree.root)
        from_copy = restore(dst, copied["id"], tmp_path / f"from-copy-{i}", tree.root)
        assert assert_same_tree(from_source, from_copy, tree.xattrs_supported) > 20

    again = copy(dst, snap)
    assert again["snapshots_copied"] == 0 and again["snapshots_skipped"] == 2
    assert again["blobs_read"] == 0 and again["bytes_stored"] == 0
    assert len(dst.json("snapshots")) == 2
    dst.ok("check", "--read-data")
    text = dst.ok("copy", "--from-repo", snap.repo, "--from-password-file", snap.password_file).out
    assert "Snapshots: 0 copied, 2 already here" in text


def test_filters_and_snapshot_ids_choose_what_is_copied(snap: Snap, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "f").write_bytes(b"some data\n")
    a = snap.backup(folder, "--host", "web", "--tag", "daily")["snapshot_id"]
    b = snap.backup(folder, "--host", "db")["snapshot_id"]
    c = snap.backup(folder, "--host", "web", "--tag", "weekly")["snapshot_id"]
    dst = destination(tmp_path / "dst")

    dry = copy(dst, snap, "--host", "web", "--dry-run")
    assert [x["source_id"] for x in dry["copied"]] == [a, c]
    assert dst.json("snapshots") == []
    assert [x["source_id"] for x in copy(dst, snap, "--tag", "weekly")["copied"]] == [c]
    assert [x["source_id"] for x in copy(dst, snap, b[:8])["copied"]] == [b]
    rest = copy(dst, snap, "--host", "web")
    assert [x["source_id"] for x in rest["copied"]] == [a]
    assert [x["source_id"] for x in rest["skipped"]] == [c]
    assert {s["original"] for s in dst.json("snapshots")} == {a, b, c}


@pytest.mark.parametrize("shared_keys", [False, True], ids=["other-keys", "init-from-repo"])
def test_only_data_the_destination_lacks_is_stored(snap: Snap, tmp_path: Path, shared_keys: bool) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    for i in range(4):
        (folder / f"file-{i}").write_bytes(os.urandom(3 * MiB))
    original = snap.backup(folder)
    dst = destination(tmp_path / "dst", source=snap if shared_keys else None)
    # The same data backed up directly into the destination first (the destination's own
    # chunker cuts it: a copy must cut alike to deduplicate with it).
    direct = dst.backup(folder)
    assert direct["data_added"] == 12 * MiB
    size_before = stored_bytes(dst)
    result = copy(dst, snap)
    assert result["mode"] == ("by-id" if shared_keys else "rechunk")
    assert result["snapshots_copied"] == 1
    assert result["data_blobs_added"] == 0 and result["bytes_added"] == 0
    assert result["bytes_stored"] < 64 << 10  # a few tree blobs at most
    if shared_keys:
        assert result["blobs_read"] == 0  # nothing to read: the destination has every blob
    (copied,) = [s for s in dst.json("snapshots") if "original" in s]
    assert copied["original"] == original["snapshot_id"]
    assert stored_bytes(dst) - size_before < 64 << 10
    dst.ok("check", "--read-data")


def stored_bytes(snap: Snap) -> int:
    """Bytes of the packs in the repository."""
    return sum(p.stat().st_size for p in (snap.repo / "data").rglob("*") if p.is_file())


CHILD_TIMEOUT = 60


def test_a_killed_copy_resumes_without_storing_again(snap: Snap, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    contents = {f"file-{i:02}": os.urandom(4 * MiB) for i in range(12)}
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    snap.backup(folder)
    dst = destination(tmp_path / "dst", config=RepositoryConfig(pack_size=2 * MiB))
    child = subprocess.Popen(
        ["snap", "copy", "--from-repo", str(snap.repo), "--from-password-file",
         str(snap.password_file), "--json"],
        env=dst.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    index = dst.repo / "index"
    try:
        deadline = time.monotonic() + CHILD_TIMEOUT
        while child.poll() is None and len([p for p in index.glob("*") if not p.name.startswith(".")]) < 2:
            assert time.monotonic() < deadline, "the copy wrote no index file in time"
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
    finally:
        out, err = child.communicate(timeout=CHILD_TIMEOUT)
    assert child.returncode == -signal.SIGKILL, (out, err)
    assert dst.json("snapshots") == []  # the snapshot is written last
    dst.ok("check")
    dst.ok("unlock")  # the killed copy's lock (its process is gone)

    result = copy(dst, snap)
    total = sum(map(len, contents.values()))
    assert result["snapshots_copied"] == 1
    assert result["bytes_read"] == total  # re-chunking reads everything again ...
    assert 0 < result["bytes_added"] < total  # ... but stores only what was not stored yet
    copied = result["copied"][0]["snapshot_id"]
    target = tmp_path / "restored"
    dst.ok("restore", copied, "--target", target)
    for name, data in contents.items():
        assert (target / folder.relative_to("/") / name).read_bytes() == data
    dst.ok("check", "--read-data")


def test_bad_input_is_one_line_error(snap: Snap, tmp_path: Path) -> None:
    dst = destination(tmp_path / "dst")
    assert "source" in dst.fails("copy", code=1)
    assert "same repository" in dst.fails("copy", "--from-repo", dst.repo, "--from-password-file",
                                          dst.password_file, code=1)  # fmt: skip
    wrong = tmp_path / "wrong"
    wrong.write_text("nope\n")
    dst.fails("copy", "--from-repo", snap.repo, "--from-password-file", wrong, code=12)
    dst.fails("copy", "--from-repo", tmp_path / "nothing", "--from-password-file", wrong, code=10)
    env = {"SNAP_FROM_REPOSITORY": str(snap.repo), "SNAP_FROM_PASSWORD_FILE": str(snap.password_file)}
    assert json.loads(dst.ok("copy", "--json", env=env).stdout)["snapshots_copied"] == 0
    assert "no snapshot" in dst.fails("copy", "deadbeef", env=env, code=1)


def test_init_from_repo_with_a_wrong_source_password_creates_nothing(snap: Snap, tmp_path: Path) -> None:
    dst = Snap(tmp_path / "dst")
    wrong = tmp_path / "wrong"
    wrong.write_text("nope\n")
    dst.fails("init", "--from-repo", snap.repo, "--from-password-file", wrong, code=12)
    assert not dst.repo.exists() or not any(dst.repo.iterdir())
    dst.fails("init", "--from-repo", tmp_path / "nothing", "--from-password-file", wrong, code=10)


def test_a_copied_stream_deduplicates_with_the_same_stream_backed_up_in_the_destination(
    snap: Snap, tmp_path: Path
) -> None:  # fmt: skip
    dump = tmp_path / "dump.sql"
    dump.write_bytes(os.urandom(2 * MiB))  # cut into about 64 chunks of 32 KiB as a stream
    with dump.open("rb") as stdin:
        snap.backup("--stdin", "--stdin-filename", "/db/dump.sql", stdin=stdin)
    dst = destination(tmp_path / "dst")
    with dump.open("rb") as stdin:
        direct = dst.backup("--stdin", "--stdin-filename", "/db/dump.sql", stdin=stdin)
    assert direct["data_added"] == 2 * MiB
    result = copy(dst, snap)
    assert result["mode"] == "rechunk" and result["snapshots_copied"] == 1
    assert result["bytes_read"] == 2 * MiB
    assert result["data_blobs_added"] == 0  # cut by the destination's stream chunker, as there
