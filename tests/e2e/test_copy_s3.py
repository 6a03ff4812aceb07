"""The off-site leg of a 3-2-1 setup: `snap copy` from a local repository (the NAS) into a
repository on a real S3 server (SeaweedFS), made with `snap init --from-repo`, and into one with
its own keys; the copies restore exactly as the originals, and copying again copies nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import S3TestServer
from tests.e2e.conftest import Snap
from tests.e2e.sample_tree import build_sample_tree
from tests.e2e.tree_compare import assert_same_tree

OFFSITE_PASSWORD = b"off-site password"


def offsite(root: Path) -> Snap:
    """`snap` with its own password; the S3 location is given through the environment."""
    dst = Snap(root)
    dst.password_file.write_bytes(OFFSITE_PASSWORD + b"\n")
    return dst


@pytest.mark.parametrize("from_repo", [True, False], ids=["init-from-repo", "own-keys"])
def test_copy_from_local_to_s3(snap: Snap, tmp_path: Path, s3_server: S3TestServer, from_repo: bool) -> None:
    tree = build_sample_tree(tmp_path / "src")
    first = snap.backup(tree.root, "--tag", "daily")
    (tree.root / "small.txt").write_bytes(b"changed for the second snapshot\n")
    second = snap.backup(tree.root, "--tag", "daily")
    dst = offsite(tmp_path / "offsite")
    location = s3_server.location(s3_server.unique_bucket_name("copy"), "backups")
    env = {**s3_server.env, "SNAP_REPOSITORY": location}
    source = ("--from-repo", snap.repo, "--from-password-file", snap.password_file)
    dst.ok("init", *(source if from_repo else ()), env=env)

    result = dst.json("copy", *source, "--tag", "daily", env=env)
    assert result["mode"] == ("by-id" if from_repo else "rechunk")
    assert [c["source_id"] for c in result["copied"]] == [first["snapshot_id"], second["snapshot_id"]]
    assert result["bytes_stored"] > 0

    copied = dst.json("snapshots", env=env)
    assert [s["original"] for s in copied] == [first["snapshot_id"], second["snapshot_id"]]
    snap.ok("restore", second["snapshot_id"], "--target", tmp_path / "from-nas")
    dst.ok("restore", copied[1]["id"], "--target", tmp_path / "from-s3", env=env)
    relative = tree.root.relative_to("/")
    compared = assert_same_tree(os.fsencode(tmp_path / "from-nas" / relative),
                                os.fsencode(tmp_path / "from-s3" / relative), tree.xattrs_supported)  # fmt: skip
    assert compared > 20

    again = dst.json("copy", *source, env=env)
    assert again["snapshots_copied"] == 0 and again["snapshots_skipped"] == 2
    assert again["bytes_stored"] == 0
    dst.ok("check", "--read-data", env=env)
