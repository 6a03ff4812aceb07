"""Restores whose pack runs are written by helper processes (restore_worker): the sample tree
comes back exactly (files of one run created and finished by the helper, files of several runs
and packs pre-created), over a target that already holds entries, with the recorded modes and
owners whatever the target hands down, a damaged pack or a helper that dies fails the restore
in one line, and helpers that cannot start leave the runs to threads. `process_after=0` sends every run to helpers; through `snap`, helpers
write the files after the first `PROCESS_AFTER`."""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from snapstore import browser, helper_process
from snapstore.archiver import Archiver, BackupOptions, ExcludeRules
from snapstore.backend import MemoryBackend
from snapstore.errors import IntegrityError
from snapstore.helper_process import HelperProcessError
from snapstore.index import IndexEntry
from snapstore.model import Node, Snapshot
from snapstore.repository import Repository, RepositoryConfig
from snapstore.restorer import RestoreOptions, Restorer, RestoreResult, pack_run
from snapstore.restorer import restorer as restorer_module
from snapstore.restorer.content_writer import PROCESS_AFTER
from tests.e2e.conftest import CHEAP_KDF, PASSWORD, Snap, init_local_repository
from tests.e2e.sample_tree import OWNER, SPARSE_SIZE, build_sample_tree
from tests.e2e.tree_compare import assert_same_tree, describe, walk
from tests.restorer.folders import make_setgid_folder, set_default_acl

MiB = 1 << 20
SMALL_READ = 64 * 1024  # MAX_READ and HELPER_READ in these tests: each chunk of the sample tree a run of its own
FATAL = 1


@pytest.fixture
def small_packs(tmp_path: Path) -> Iterator[Repository]:
    """A memory repository with 1 MiB packs, so that a file of a few chunks spans packs."""
    config = RepositoryConfig(pack_size=MiB)
    repo = Repository.init(
        MemoryBackend(), PASSWORD, tmp_path / "mem-cache", config=config, kdf=CHEAP_KDF
    )
    yield repo
    repo.close()


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def backup(repo: Repository, src: Path) -> Snapshot:
    result = Archiver(
        repo, BackupOptions(paths=(src,), hostname="host", username="user"), ExcludeRules(), None
    ).run()
    assert result.warnings == []
    return result.snapshot


def restore_by_helpers(
    repo: Repository, snapshot: Snapshot, target: Path, includes: tuple[str, ...] = (),
    excludes: tuple[str, ...] = (), verify: bool = False,
) -> RestoreResult:  # fmt: skip
    """Restore with every run written by helper processes, and check that none outlives it."""
    options = RestoreOptions(target, includes, excludes, verify)
    restorer = Restorer(repo, snapshot, options, process_after=0)
    result = restorer.run()
    writer = restorer._writer
    assert writer.runs_written["threads"] == 0 and writer.runs_written["helpers"] > 0
    assert writer.helpers
    assert all(helper._process.returncode == 0 for helper in writer.helpers)
    assert result.warnings == []
    return result


def node_of(repo: Repository, snapshot: Snapshot, path: Path) -> Node:
    node, _ = browser.find(repo, repo.load_tree(snapshot.tree), os.fsencode(path))
    assert node is not None
    return node


def inside(target: Path, src: Path) -> Path:
    """Where the restore puts `src` (snapshots hold absolute paths)."""
    return target / src.relative_to("/")


# 1. The sample tree round trip.


def test_the_sample_tree_round_trips_through_helpers(
    small_packs: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = build_sample_tree(tmp_path / "src")
    snapshot = backup(small_packs, tree.root)
    big = node_of(small_packs, snapshot, tree.root / "big.bin")
    entries = small_packs.lookup_many(big.content)
    # Several chunks in several packs: big.bin is written by several runs, so pre-created.
    assert len(set(big.content)) >= 2
    assert len({e.pack_id for e in entries.values()}) >= 2
    monkeypatch.setattr(pack_run, "MAX_READ", SMALL_READ)  # so each chunk is a run of its own
    monkeypatch.setattr(pack_run, "HELPER_READ", SMALL_READ)

    result = restore_by_helpers(small_packs, snapshot, tmp_path / "out", verify=True)
    assert result.files == 9 and result.verified_files == 9  # 11 names, 2 of them hard links
    restored = inside(tmp_path / "out", tree.root)
    compared = assert_same_tree(tree.root_bytes, os.fsencode(restored), tree.xattrs_supported)
    assert compared == 11 + 8 + 5  # file names, folders below the root, other entries

    # Spot checks that do not rely on the comparison helper.
    assert (restored / "big.bin").read_bytes() == tree.big
    sparse = os.stat(restored / "sparse.img")
    assert sparse.st_size == SPARSE_SIZE and sparse.st_blocks * 512 < SPARSE_SIZE // 3
    assert result.holes_bytes >= SPARSE_SIZE // 2
    assert os.lstat(restored / "setuid").st_mode & 0o7777 == 0o4755
    assert os.lstat(restored / "setuid").st_uid == OWNER
    assert os.lstat(restored / "small.txt").st_gid == OWNER
    assert os.lstat(restored / "empty").st_mtime_ns < 0
    assert os.stat(restored / "linked-1").st_ino == os.stat(restored / "a" / "linked-3").st_ino
    assert (restored / "empty").read_bytes() == b""


def _assert_selected_restored(
    source_root: bytes, restored: bytes, expected: list[bytes], with_xattrs: bool
) -> None:
    """Exactly the `expected` entries below `restored`, each as in the source (the root too)."""
    assert walk(restored) == expected
    for relative in [b".", *expected]:
        source, copy = os.path.join(source_root, relative), os.path.join(restored, relative)
        assert describe(copy, with_xattrs) == describe(source, with_xattrs), relative


def test_include_and_exclude_through_helpers(small_packs: Repository, tmp_path: Path) -> None:
    tree = build_sample_tree(tmp_path / "src")
    snapshot = backup(small_packs, tree.root)
    includes, excludes = (f"{tree.root}/a", f"{tree.root}/small.txt"), ("linked-3",)
    restore_by_helpers(
        small_packs, snapshot, tmp_path / "out", includes=includes, excludes=excludes
    )
    restored = os.fsencode(inside(tmp_path / "out", tree.root))
    expected = [b"a", b"a/b", b"a/b/c", b"a/b/c/deep.txt", b"small.txt"]
    _assert_selected_restored(tree.root_bytes, restored, expected, tree.xattrs_supported)


def test_an_include_by_name_restores_no_folder_without_a_selected_entry(
    small_packs: Repository, tmp_path: Path
) -> None:
    tree = build_sample_tree(tmp_path / "src")
    snapshot = backup(small_packs, tree.root)
    restore_by_helpers(small_packs, snapshot, tmp_path / "out", includes=("small.txt",))
    restored = os.fsencode(inside(tmp_path / "out", tree.root))
    _assert_selected_restored(tree.root_bytes, restored, [b"small.txt"], tree.xattrs_supported)


# 2. A target that already holds entries.


def _disturb(restored: Path) -> None:
    """Put other things where the restore's entries are: other content, kinds, modes, owners,
    and a name that is a hard link to another restored file (which must not be written through)."""
    (restored / "big.bin").write_bytes(b"changed")
    (restored / "small.txt").unlink()
    (restored / "small.txt").symlink_to("elsewhere")
    (restored / "linked-2").unlink()
    (restored / "linked-2").write_bytes(b"no longer a link")
    (restored / "link-relative").unlink()
    (restored / "link-relative").write_bytes(b"was a symlink")
    (restored / "fifo").unlink()
    (restored / "fifo").write_bytes(b"was a fifo")
    with open(restored / "sparse.img", "r+b") as f:
        f.write(os.urandom(MiB))  # fills part of a hole
    os.chmod(restored / "setuid", 0o644)
    os.chown(restored / "setuid", 0, 0)
    (restored / "empty").write_bytes(b"not empty")
    os.chmod(restored / "a", 0o700)
    os.chown(restored / "a", 0, 0)
    (restored / "no-access").unlink()
    os.link(restored / "a" / "b" / "c" / "deep.txt", restored / "no-access")


def test_entries_in_the_way_are_replaced_and_a_second_restore_changes_nothing(
    small_packs: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = build_sample_tree(tmp_path / "src")
    snapshot = backup(small_packs, tree.root)
    monkeypatch.setattr(pack_run, "MAX_READ", SMALL_READ)
    monkeypatch.setattr(pack_run, "HELPER_READ", SMALL_READ)
    target = tmp_path / "out"
    restored = inside(target, tree.root)
    restore_by_helpers(small_packs, snapshot, target)
    _disturb(restored)
    deep = (restored / "a" / "b" / "c" / "deep.txt").read_bytes()

    for _ in range(2):  # over the disturbed tree, then over its own result
        restore_by_helpers(small_packs, snapshot, target, verify=True)
        assert_same_tree(tree.root_bytes, os.fsencode(restored), tree.xattrs_supported)
    assert (restored / "a" / "b" / "c" / "deep.txt").read_bytes() == deep
    assert os.stat(restored / "sparse.img").st_blocks * 512 < SPARSE_SIZE // 3  # holes again


# 3. Modes and owners, whatever the target hands down.


def _odd_modes_tree(root: Path) -> None:
    """Files whose modes and owners each take another path through `Creation.plan`."""
    root.mkdir()
    files = {  # name: (mode, uid, gid)
        "mine": (0o644, 0, 0), "read-only": (0o444, 0, 0), "group-write": (0o664, 0, 0),
        "setuid": (0o4755, 0, 0), "setuid-theirs": (0o4755, OWNER, OWNER), "setgid": (0o2755, 0, OWNER),
        "sticky": (0o1644, 0, 0), "theirs": (0o640, OWNER, 0), "their-group": (0o600, 0, OWNER),
        "no-access": (0o000, 0, 0), "multi-run": (0o444, OWNER, 0), "linked": (0o444, 0, 0),
        "shared/inner": (0o644, 0, 0), "shared/deeper/leaf": (0o755, 0, 0),
    }  # fmt: skip
    for name, (mode, uid, gid) in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        content = (
            random.Random(7).randbytes(5 * MiB) if name == "multi-run" else name.encode() * 100
        )
        path.write_bytes(content)
        os.chown(path, uid, gid)
        os.chmod(path, mode)  # after chown, which clears set-id bits
    os.link(root / "linked", root / "shared" / "linked-too")
    os.chown(root / "shared", 0, OWNER)
    os.chmod(root / "shared", 0o2775)  # a recorded set-group-id folder: set after its files


@pytest.mark.parametrize("target_kind", ["fresh", "setgid", "default-acl"])
def test_modes_and_owners_come_back_as_recorded(
    small_packs: Repository,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    umask_022: None,
    target_kind: str,
) -> None:
    """A set-group-id target hands its group down and a default ACL masks modes: the restore
    must then chown and chmod every file, in fresh folders too."""
    src = tmp_path / "src"
    _odd_modes_tree(src)
    snapshot = backup(small_packs, src)
    multi_run = node_of(small_packs, snapshot, src / "multi-run")
    assert len(multi_run.content) >= 2  # larger than the largest chunk: written by several runs
    monkeypatch.setattr(pack_run, "MAX_READ", SMALL_READ)
    monkeypatch.setattr(pack_run, "HELPER_READ", SMALL_READ)
    target = tmp_path / "target"
    if target_kind == "setgid":
        make_setgid_folder(target)
    elif target_kind == "default-acl":
        target.mkdir()
        set_default_acl(target)
    restore_by_helpers(small_packs, snapshot, target)
    # Folders below a default ACL inherit it as an xattr of their own: compare modes, not xattrs.
    assert_same_tree(
        os.fsencode(src), os.fsencode(inside(target, src)), with_xattrs=target_kind != "default-acl"
    )


@pytest.mark.parametrize("existing_kind", ["setgid", "default-acl"])
def test_a_folder_made_inside_an_existing_handing_down_folder(
    small_packs: Repository, tmp_path: Path, umask_022: None, existing_kind: str
) -> None:
    """The target is plain, but a folder already in it hands its group (or its ACL) down to
    the folders the restore makes below it."""
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "file").write_bytes(b"root's own file\n")  # 0o644, root:root
    snapshot = backup(small_packs, src)
    target = tmp_path / "target"
    target.mkdir()
    existing = target / src.relative_to("/").parts[0]  # the first folder of the restored path
    if existing_kind == "setgid":
        make_setgid_folder(existing)
    else:
        existing.mkdir()
        set_default_acl(existing)
    restore_by_helpers(small_packs, snapshot, target)
    assert_same_tree(os.fsencode(src), os.fsencode(inside(target, src)), with_xattrs=False)


# 4. A damaged pack.


def _flip_byte_inside(repo_folder: Path, entry: IndexEntry) -> None:
    pack = entry.pack_id.hex()
    with open(repo_folder / "data" / pack[:2] / pack, "r+b") as f:
        f.seek(entry.offset + entry.length // 2)
        byte = f.read(1)[0]
        f.seek(entry.offset + entry.length // 2)
        f.write(bytes([byte ^ 0x10]))


def _damaged_message(blob_id: bytes, entry: IndexEntry) -> str:
    return f"data blob {blob_id.hex()} in pack {entry.pack_id.hex()}: authentication failed (corrupted or tampered)"


def test_a_damaged_pack_is_an_integrity_error_naming_blob_and_pack(
    snap: Snap, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "damaged").write_bytes(os.urandom(200_000))  # below the smallest chunk: one blob
    (src / "other").write_bytes(b"intact\n")
    repo = snap.open()
    try:
        snapshot = backup(repo, src)
        (blob_id,) = node_of(repo, snapshot, src / "damaged").content
        entry = repo.lookup(blob_id)
        assert entry is not None
        _flip_byte_inside(snap.repo, entry)
        restorer = Restorer(repo, snapshot, RestoreOptions(tmp_path / "out"), process_after=0)
        with pytest.raises(IntegrityError) as caught:
            restorer.run()
    finally:
        repo.close()
    assert str(caught.value) == _damaged_message(blob_id, entry)
    assert restorer._writer.helpers and restorer._writer.runs_written["threads"] == 0
    assert all(helper._process.returncode == 0 for helper in restorer._writer.helpers)


@dataclass(frozen=True)
class ManyFiles:
    """A repository holding a snapshot of more files than `PROCESS_AFTER`, and the last file,
    which `snap restore` writes in a helper process."""

    snap: Snap
    src: Path
    count: int
    last: Path
    last_blob: bytes
    last_entry: IndexEntry


@pytest.fixture(scope="module")
def many_files(tmp_path_factory: pytest.TempPathFactory) -> ManyFiles:
    root = tmp_path_factory.mktemp("many")
    snap = Snap(root / "snap")
    init_local_repository(snap.repo, snap.cache)
    src = root / "src"
    count = PROCESS_AFTER + 60  # the second batch of files goes to helpers
    for folder in range(4):
        (src / f"d{folder}").mkdir(parents=True)
    for i in range(count):
        (src / f"d{i % 4}" / f"f{i:05d}").write_bytes(b"file %d\n" % i)
    last = src / "zz" / "last.bin"  # last in the walk: in the second batch
    last.parent.mkdir()
    last.write_bytes(os.urandom(200_000))
    repo = snap.open()
    try:
        snapshot = backup(repo, src)
        (blob_id,) = node_of(repo, snapshot, last).content
        entry = repo.lookup(blob_id)
    finally:
        repo.close()
    assert entry is not None
    return ManyFiles(snap, src, count + 1, last, blob_id, entry)


def test_snap_restore_with_include_and_exclude_past_process_after(
    many_files: ManyFiles, tmp_path: Path
) -> None:
    src, out = many_files.src, tmp_path / "out"
    report = many_files.snap.json(
        "restore", "latest", "--target", out, "--include", f"{src}/d*", "--exclude", "f0001?"
    )
    left = many_files.count - 1 - 10  # not zz/last.bin, nor f00010 to f00019
    assert left > PROCESS_AFTER
    assert report["files"] == left and report["warnings"] == []
    restored = os.fsencode(inside(out, src))
    expected = [
        p for p in walk(os.fsencode(src)) if not p.startswith(b"zz") and p[-6:-1] != b"f0001"
    ]
    assert len(expected) == left + 4
    _assert_selected_restored(os.fsencode(src), restored, expected, with_xattrs=False)


def test_snap_restore_of_a_damaged_pack_fails_in_one_line(
    many_files: ManyFiles, tmp_path: Path
) -> None:
    """Files after the first PROCESS_AFTER are written by helpers: the damaged blob, of the
    last file, is opened in one, and its error reaches the user as one line."""
    damaged = Snap(tmp_path / "damaged")
    shutil.copytree(many_files.snap.repo, damaged.repo)
    _flip_byte_inside(damaged.repo, many_files.last_entry)
    error = damaged.fails("restore", "latest", "--target", tmp_path / "out", code=FATAL)
    assert error == "snap: error: " + _damaged_message(many_files.last_blob, many_files.last_entry)
    # The first batch, written by threads of the restore, was complete before.
    first = inside(tmp_path / "out", many_files.src / "d0" / "f00000")
    assert first.read_bytes() == b"file 0\n"


# 5. A helper that dies.


def test_a_helper_killed_mid_restore_fails_it(
    memory_repo: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(6):
        (src / f"f{i}").write_bytes(os.urandom(1000))
    snapshot = backup(memory_repo, src)
    monkeypatch.setattr(restorer_module, "PLANNED_FILES", 1)  # a batch per file
    killed: list[int] = []

    def kill_the_helper_after_the_second_file(result: RestoreResult, path: str) -> None:
        if killed or not path.endswith("/f1"):
            return
        writer = restorer._writer
        writer.wait()  # the batches so far are written: the one helper has started
        (helper,) = writer.helpers
        os.kill(helper.pid, signal.SIGKILL)
        helper._process.wait(10)  # so that the next request finds it gone
        killed.append(helper.pid)

    # One reader: one helper thread, so that no second helper takes over.
    restorer = Restorer(
        memory_repo, snapshot, RestoreOptions(tmp_path / "out"),
        on_progress=kill_the_helper_after_the_second_file, readers=1, process_after=0,
    )  # fmt: skip
    with pytest.raises(
        HelperProcessError,
        match=r"^a helper process of the restore exited with code -9 unexpectedly$",
    ):
        restorer.run()
    assert killed
    assert [h.pid for h in restorer._writer.helpers] == killed
    restored = inside(tmp_path / "out", src)
    for name in ("f0", "f1"):  # written before the kill
        assert (restored / name).read_bytes() == (src / name).read_bytes()


def test_a_restore_whose_helpers_cannot_start_writes_in_its_own_process(
    small_packs: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Out of memory or process slots: the runs meant for helpers are written by threads, one
    start is tried, and the tree comes back whole."""
    tree = build_sample_tree(tmp_path / "src")
    snapshot = backup(small_packs, tree.root)
    monkeypatch.setattr(pack_run, "HELPER_READ", SMALL_READ)  # several runs, so several tries if retried
    starts: list[object] = []

    def no_process_slots(*args: object, **kwargs: object) -> None:
        starts.append(args)
        raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))

    monkeypatch.setattr(helper_process.subprocess, "Popen", no_process_slots)
    restorer = Restorer(
        small_packs, snapshot, RestoreOptions(tmp_path / "out", verify=True), readers=1, process_after=0
    )
    result = restorer.run()
    assert result.warnings == [] and result.verified_files == 9
    writer = restorer._writer
    assert len(starts) == 1 and writer.helpers == []
    assert writer.runs_written["helpers"] == 0 and writer.runs_written["threads"] > 1
    restored = inside(tmp_path / "out", tree.root)
    assert_same_tree(tree.root_bytes, os.fsencode(restored), tree.xattrs_supported)
