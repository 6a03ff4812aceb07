"""A backup reads its parent's trees through the local tree cache, and still stores every tree
its snapshot needs when the repository no longer has the cached ones; an unchanged folder keeps
its parent's node, a changed one is read again."""

from __future__ import annotations

import os
import time
from pathlib import Path

from snapstore import browser
from snapstore.archiver import Archiver, BackupOptions, BackupResult, ExcludeRules
from snapstore.backend import MemoryBackend
from snapstore.index import BlobType
from snapstore.model import Node
from snapstore.pack import pack_object_name
from snapstore.repository import Repository
from tests.e2e.conftest import CHEAP_KDF, PASSWORD
from tests.e2e.sample_tree import xattrs_supported


def backup(repo: Repository, src: Path, parent: BackupResult | None) -> BackupResult:
    options = BackupOptions(paths=(src,), hostname="h", username="u")
    pair = (parent.snapshot_id, parent.snapshot) if parent and parent.snapshot_id else None
    return Archiver(repo, options, ExcludeRules(), pair).run()


def wait_for_the_clock_to_pass(path: Path, probe: Path) -> None:
    """Return once the file system's clock is past `path`'s ctime, so that a change made next
    moves it, as the backup compares it. That clock is coarse (a kernel tick, 4 ms or more; only
    recent kernels give fine times on demand): a change in the same tick as the folder's last
    one, a few ms before, would leave ctime as the parent snapshot recorded it. `probe` (a
    file outside the backup) is changed until its own ctime tells."""
    recorded = os.lstat(path).st_ctime_ns
    probe.touch()
    mode = 0o600
    for _ in range(5000):  # 5 s at most: a tick is milliseconds
        if os.lstat(probe).st_ctime_ns > recorded:
            return
        time.sleep(0.001)
        mode ^= 0o001  # another mode each time: a chmod to the same mode may keep ctime
        os.chmod(probe, mode)
    raise AssertionError("the file system clock did not move in 5 s")


def all_trees(repo: Repository, tree_id: bytes) -> list[bytes]:
    """Ids of the tree and every tree below it, each read from the repository."""
    found = [tree_id]
    for node in repo.load_tree(tree_id):
        if node.subtree:
            found += all_trees(repo, node.subtree)
    return found


def make_source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    for n in range(3):
        (src / f"d{n}" / "inner").mkdir(parents=True)
        (src / f"d{n}" / "inner" / "f").write_bytes(b"file %d\n" % n)
    return src


def test_unchanged_backup_reads_parent_trees_from_the_cache(tmp_path: Path) -> None:
    src = make_source(tmp_path)
    backend = MemoryBackend()
    repo = Repository.init(backend, PASSWORD, tmp_path / "cache", kdf=CHEAP_KDF)
    first = backup(repo, src, None)
    second = backup(repo, src, first)  # reads the parent's trees from the repository
    folders = len(all_trees(repo, first.snapshot.tree))
    assert repo.trees.hits == 0 and repo.trees.misses >= folders - 1
    repo.close()
    repo = Repository.open(backend, PASSWORD, tmp_path / "cache")
    third = backup(repo, src, second)
    assert repo.trees.misses == 0 and repo.trees.hits >= folders - 1
    assert third.snapshot.tree == second.snapshot.tree == first.snapshot.tree
    assert third.counters.tree_blobs == 0
    repo.close()


def test_cached_trees_gone_from_the_repository_are_stored_again(tmp_path: Path) -> None:
    src = make_source(tmp_path)
    backend = MemoryBackend()
    repo = Repository.init(backend, PASSWORD, tmp_path / "cache", kdf=CHEAP_KDF)
    first = backup(repo, src, None)
    backup(repo, src, first)  # caches the parent's trees
    tree_packs = {e.pack_id for e in repo.cache if e.blob_type == BlobType.TREE}
    repo.close()
    # The tree packs and every index file disappear (a damaged or pruned repository).
    for pack_id in tree_packs:
        backend.remove(pack_object_name(pack_id))
    for info in list(backend.list("index")):
        backend.remove(info.name)

    repo = Repository.open(backend, PASSWORD, tmp_path / "cache")
    result = backup(repo, src, first)
    assert repo.trees.hits > 0
    assert result.counters.tree_blobs == len(all_trees(repo, result.snapshot.tree))
    for tree_id in all_trees(repo, result.snapshot.tree):
        for node in repo.load_tree(tree_id):
            for chunk in node.content:
                assert repo.load_data(chunk).startswith(b"file ")
    repo.close()


def folder_node(repo: Repository, result: BackupResult, src: Path, name: str) -> Node:
    node, _ = browser.find(repo, repo.load_tree(result.snapshot.tree), os.fsencode(src / name))
    assert node is not None
    return node


def test_unchanged_folder_keeps_its_node_and_a_changed_one_is_read_again(tmp_path: Path) -> None:
    with_xattrs = xattrs_supported(tmp_path)
    src = make_source(tmp_path)
    repo = Repository.init(MemoryBackend(), PASSWORD, tmp_path / "cache", kdf=CHEAP_KDF)
    first = backup(repo, src, None)
    (src / "d1").chmod(0o700)
    if with_xattrs:
        wait_for_the_clock_to_pass(src / "d2", tmp_path / "clock-probe")
        os.setxattr(src / "d2", "user.note", b"set after the first backup")
    second = backup(repo, src, first)
    assert folder_node(repo, second, src, "d0") == folder_node(repo, first, src, "d0")
    assert folder_node(repo, second, src, "d1").mode == 0o700
    if with_xattrs:
        assert folder_node(repo, second, src, "d2").xattrs == (
            (b"user.note", b"set after the first backup"),
        )
    # Folders counted by their listing: only src's changed (the nodes of d1 and d2 in it).
    assert (second.counters.dirs_changed, second.counters.dirs_unmodified) == (1, 6)
    repo.close()
