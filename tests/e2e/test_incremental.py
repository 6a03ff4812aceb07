"""Incremental backups: an unchanged file is not read again, a changed one is, --force rereads
everything, and the parent is the latest snapshot of the same host and paths only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from snapstore.index import BlobType
from tests.e2e.conftest import Snap, ancestors_state

FILES = 6


def make_files(folder: Path) -> dict[str, bytes]:
    contents = {f"file-{i}": os.urandom(50_000 * (i + 1)) for i in range(FILES - 1)}
    contents["sub/nested"] = b"nested content\n"
    for name, data in contents.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return contents


class Watched:
    """Backups of `src` that also note whether the folders above it changed meanwhile."""

    def __init__(self, snap: Snap, src: Path) -> None:
        self.snap, self.src = snap, src
        self.state = ancestors_state(src)

    def backup(self, *options: str) -> tuple[dict[str, Any], bool]:
        """Run a backup; return its report and whether the ancestors stayed as the previous
        backup saw them."""
        before = ancestors_state(self.src)
        report = self.snap.backup(*options, self.src)
        after = ancestors_state(self.src)
        stable = self.state == before == after
        self.state = after
        return report, stable


def assert_nothing_stored(
    snap: Snap, report: dict[str, Any], packs: set[str], stable: bool, src: Path
) -> None:
    """No data stored; no tree either, unless a folder above `src` changed (then only the trees
    of those folders, in packs of trees)."""
    assert report["data_added"] == 0
    assert report["data_blobs"] == 0
    new_packs = snap.data_files() - packs
    if stable:
        assert report["data_added_packed"] == 0
        assert report["tree_blobs"] == 0
        assert new_packs == set()
    else:
        assert 1 <= report["tree_blobs"] <= len(src.parents)
        assert new_packs and snap.pack_blob_types(new_packs) == {BlobType.TREE}


def test_unchanged_backup_reads_nothing_and_adds_no_pack(snap: Snap, tmp_path: Path) -> None:
    src = tmp_path / "src"
    contents = make_files(src)
    total = sum(len(data) for data in contents.values())
    watched = Watched(snap, src)
    first, _ = watched.backup()
    assert first["bytes_read"] == total
    assert first["files_new"] == FILES
    packs, indexes = snap.data_files(), snap.index_files()
    assert snap.pack_blob_types(packs) == {BlobType.DATA, BlobType.TREE}

    second, stable = watched.backup()
    assert second["parent"] == first["snapshot_id"]
    assert second["bytes_read"] == 0
    assert second["files_unmodified"] == FILES
    assert second["files_new"] == second["files_changed"] == 0
    assert second["dirs_unmodified"] == 2
    assert second["total_bytes_processed"] == total
    assert_nothing_stored(snap, second, packs, stable, src)
    if stable:
        assert snap.index_files() == indexes

    # One file modified: only that one is read again.
    changed = os.urandom(40_000)
    (src / "file-2").write_bytes(changed)
    third, _ = watched.backup()
    assert third["parent"] == second["snapshot_id"]
    assert third["files_changed"] == 1
    assert third["files_unmodified"] == FILES - 1
    assert third["bytes_read"] == len(changed)
    assert third["data_added"] == len(changed)
    assert third["data_blobs"] == 1

    # --force rereads every file, but stores no data.
    packs = snap.data_files()
    forced, stable = watched.backup("--force")
    assert forced["parent"] is None
    assert forced["files_unmodified"] == 0
    assert forced["files_new"] == FILES
    assert forced["bytes_read"] == total - len(contents["file-2"]) + len(changed)
    assert_nothing_stored(snap, forced, packs, stable, src)


def test_change_above_the_source_stores_only_trees(snap: Snap, tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_files(src)
    first = snap.backup(src)
    packs = snap.data_files()
    os.utime(tmp_path, ns=(1_000_000_000, 1_000_000_000))  # a folder above the source
    second = snap.backup(src)
    assert second["parent"] == first["snapshot_id"]
    assert second["bytes_read"] == 0
    assert_nothing_stored(snap, second, packs, False, src)


def test_parent_is_latest_snapshot_of_same_host_and_paths(snap: Snap, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    make_files(one)
    make_files(two)
    first = snap.backup("--host", "alpha", one)
    assert first["parent"] is None

    # Another set of paths, or another host: the first snapshot is not a parent.
    other_paths = snap.backup("--host", "alpha", one, two)
    assert other_paths["parent"] is None
    assert other_paths["files_new"] == 2 * FILES
    other_host = snap.backup("--host", "beta", one)
    assert other_host["parent"] is None
    assert other_host["files_unmodified"] == 0
    assert other_host["bytes_read"] > 0

    # Same host and paths (in another order): the latest of those is the parent.
    again = snap.backup("--host", "alpha", two, one)
    assert again["parent"] == other_paths["snapshot_id"]
    assert again["files_unmodified"] == 2 * FILES
    last = snap.backup("--host", "alpha", one)
    assert last["parent"] == first["snapshot_id"]
    assert last["bytes_read"] == 0

    # --latest groups by host and set of paths too: `one two` and `two one` are one group.
    latest = [s["id"] for s in snap.json("snapshots", "--latest", "1")]
    assert latest == [other_host["snapshot_id"], again["snapshot_id"], last["snapshot_id"]]

    snapshots = {s["id"]: s for s in snap.json("snapshots")}
    assert snapshots[again["snapshot_id"]]["parent"] == other_paths["snapshot_id"]
    assert snapshots[first["snapshot_id"]]["parent"] is None
