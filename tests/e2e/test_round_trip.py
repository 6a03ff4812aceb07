"""Backup and restore through `snap` of a tree holding every kind of entry, compared byte for
byte and in every piece of metadata a restore recreates."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from snapstore import browser
from snapstore.restorer import RestoreOptions, Restorer
from snapstore.restorer import restorer as restorer_module
from tests.e2e.conftest import Snap
from tests.e2e.sample_tree import SPARSE_SIZE, build_sample_tree
from tests.e2e.tree_compare import assert_same_tree

REGULAR_FILES = 11  # names of regular files in the sample tree (hard links count per name)
FOLDERS = 9  # the root and the folders below it
OTHER = 5  # three symlinks, a FIFO, a character device


def test_every_kind_of_entry_survives_backup_and_restore(snap: Snap, tmp_path: Path) -> None:
    tree = build_sample_tree(tmp_path / "src")
    report = snap.backup(tree.root)
    assert report["errors"] == 0
    assert report["files_new"] == REGULAR_FILES
    assert report["dirs_new"] == FOLDERS
    assert report["parent"] is None

    target = tmp_path / "restored"
    restore = snap.json("restore", "latest", "--target", target, "--verify")
    assert restore["snapshot_id"] == report["snapshot_id"]
    assert restore["warnings"] == []
    assert restore["files"] == REGULAR_FILES - 2  # the other two names are hard links
    assert restore["verified_files"] == REGULAR_FILES - 2
    assert restore["other"] == OTHER
    restored = target / tree.root.relative_to("/")

    compared = assert_same_tree(tree.root_bytes, os.fsencode(restored), tree.xattrs_supported)
    assert compared == REGULAR_FILES + (FOLDERS - 1) + OTHER

    # Spot checks that do not depend on the comparison helper being right.
    assert (restored / "big.bin").read_bytes() == tree.big
    assert os.readlink(restored / "link-dangling") == "does/not/exist"
    assert os.lstat(restored / "empty").st_mtime_ns < 0
    assert os.stat(restored / "linked-1").st_ino == os.stat(restored / "a" / "linked-3").st_ino
    assert os.stat(restored / "linked-1").st_nlink == 3
    assert os.lstat(restored / "setuid").st_mode & 0o7777 == 0o4755
    assert os.lstat(restored / "sticky").st_mode & 0o7777 == 0o1777
    assert os.lstat(restored / "small.txt").st_uid == 1234
    assert os.lstat(restored / "null-device").st_rdev == os.makedev(1, 3)
    assert os.path.exists(os.fsencode(restored) + b"/caf\xe9-dir/caf\xe9")
    if tree.xattrs_supported:
        assert os.getxattr(restored / "small.txt", "user.binary") == bytes(range(256))

    # The sparse file came back sparse: its holes were skipped, not written as zeros.
    sparse = os.stat(restored / "sparse.img")
    assert sparse.st_size == SPARSE_SIZE
    assert sparse.st_blocks * 512 < SPARSE_SIZE // 3
    assert restore["holes_bytes"] >= SPARSE_SIZE // 2

    # The big file really spans several chunks.
    repo = snap.open()
    try:
        snapshot = repo.load_snapshot(report["snapshot_id"])
        node, _ = browser.find(repo, repo.load_tree(snapshot.tree), tree.root_bytes + b"/big.bin")
        # Its chunks as this repository's keyed chunker cuts it: how many depends on the random
        # chunker key (two to about a dozen; 7.3 MiB is never fewer than two chunks of 4 MiB).
        scanner = repo.new_scanner()
        cuts = [0, *scanner.feed(tree.big), *scanner.finish()]
        chunks = [repo.blob_id(tree.big[a:b]) for a, b in zip(cuts, cuts[1:])]
    finally:
        repo.close()
    assert node is not None
    assert node.size == len(tree.big)
    assert list(node.content) == chunks and len(chunks) >= 2


def test_restore_in_batches_of_one_file_gives_the_same_tree(
    snap: Snap, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Contents are written a batch of planned files at a time, metadata through each file's
    last write: with one file per batch, every file (hard links, multi-chunk, sparse, empty,
    setuid) must still come back exactly."""
    tree = build_sample_tree(tmp_path / "src")
    snapshot_id = snap.backup(tree.root)["snapshot_id"]
    monkeypatch.setattr(restorer_module, "PLANNED_FILES", 1)
    target = tmp_path / "restored"
    repo = snap.open()
    try:
        options = RestoreOptions(target=target, verify=True)
        result = Restorer(repo, repo.load_snapshot(snapshot_id), options).run()
    finally:
        repo.close()
    assert result.warnings == []
    assert result.verified_files == REGULAR_FILES - 2
    restored = target / tree.root.relative_to("/")
    compared = assert_same_tree(tree.root_bytes, os.fsencode(restored), tree.xattrs_supported)
    assert compared == REGULAR_FILES + (FOLDERS - 1) + OTHER
