"""Small files sealed by helper processes (seal_worker): the same blobs as in-process sealing,
every error attributed to its file, a helper that dies fails the backup with one line and
leaves the repository consistent, helpers that cannot start leave the work to threads, and no
helper outlives the backup."""

from __future__ import annotations

import errno
import os
import signal
from pathlib import Path

import pytest

from snapstore import browser, helper_process
from snapstore.archiver import Archiver, BackupOptions, ExcludeRules
from snapstore.archiver.chunk_pipeline import PROCESS_AFTER, ChunkPipeline
from snapstore.archiver.options import Counters
from snapstore.archiver.seal_process import HelperProcessError
from snapstore.checker.checker import check_repository
from snapstore.checker.options import CheckOptions
from snapstore.repository import Repository
from tests.e2e.conftest import Snap
from tests.e2e.tree_compare import assert_same_tree


def _small_tree(root: Path, count: int, min_size: int) -> dict[str, bytes]:
    """Files of every interesting size: empty, one byte, exactly one chunk, and text."""
    files = {"empty": b"", "one": b"x", "limit": os.urandom(min_size), "dup-a": b"same", "dup-b": b"same"}
    files.update({f"d{i % 7}/f{i:05d}.txt": f"file {i}\n".encode() * (i % 50) for i in range(count)})
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return files


def _contents(repo: Repository, root: Path, files: dict[str, bytes], snapshot_tree: bytes) -> dict[str, bytes]:
    tree = repo.load_tree(snapshot_tree)
    got = {}
    for name in files:
        node, _ = browser.find(repo, tree, os.fsencode(root / name))
        got[name] = b"".join(repo.load_data(chunk) for chunk in node.content)
    return got


@pytest.mark.parametrize("process_after", [0, None], ids=["helpers", "threads"])
def test_small_files_store_the_same_blobs_with_or_without_helpers(
    memory_repo: Repository, tmp_path: Path, process_after: int | None
) -> None:
    src = tmp_path / "src"
    files = _small_tree(src, 300, memory_repo.new_scanner().min_size)
    options = BackupOptions(paths=(src,), hostname="host", username="user")
    result = Archiver(memory_repo, options, ExcludeRules(), None, process_after=process_after).run()
    assert result.warnings == []
    assert result.counters.files_new == len(files)
    assert result.counters.bytes_read == sum(map(len, files.values()))
    snapshot = memory_repo.load_snapshot(result.snapshot_id or "")
    assert _contents(memory_repo, src, files, snapshot.tree) == files
    # Blob ids do not depend on who sealed: a second backup, the other way, adds no data.
    other = None if process_after == 0 else 0
    again = Archiver(memory_repo, options, ExcludeRules(), None, process_after=other)
    assert again.run().counters.data_added == 0
    assert check_repository(memory_repo, CheckOptions(read_data=True)).errors == []


def _pipeline(repo: Repository) -> ChunkPipeline:
    return ChunkPipeline(repo, Counters(), workers=1, process_after=0)


def test_a_file_a_helper_cannot_read_is_an_error_of_that_file(memory_repo: Repository, tmp_path: Path) -> None:
    pipeline = _pipeline(memory_repo)
    try:
        (tmp_path / "ok").write_bytes(b"fine")
        ok = pipeline.read_file(os.fsencode(tmp_path / "ok"), 4)
        gone = pipeline.read_file(os.fsencode(tmp_path / "gone"), 4)
        with pytest.raises(OSError) as caught:
            pipeline.wait(gone)
        assert caught.value.errno == errno.ENOENT
        assert caught.value.filename == str(tmp_path / "gone")
        (ok_id,) = pipeline.wait(ok)
    finally:
        pipeline.close()
    memory_repo.flush()
    assert memory_repo.load_data(ok_id) == b"fine"


def test_a_file_grown_past_one_chunk_is_chunked_after_all(memory_repo: Repository, tmp_path: Path) -> None:
    min_size = memory_repo.new_scanner().min_size
    data = os.urandom(40 * min_size)  # more than the largest chunk
    (tmp_path / "grown").write_bytes(data)
    pipeline = _pipeline(memory_repo)
    try:
        ids = pipeline.wait(pipeline.read_file(os.fsencode(tmp_path / "grown"), 10))  # size at listing
    finally:
        pipeline.close()
    memory_repo.flush()
    assert len(ids) > 1
    assert b"".join(memory_repo.load_data(i) for i in ids) == data


def test_a_helper_that_dies_fails_the_backup_in_one_line(memory_repo: Repository, tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"a")
    (tmp_path / "b").write_bytes(b"b")
    pipeline = _pipeline(memory_repo)
    try:
        pipeline.wait(pipeline.read_file(os.fsencode(tmp_path / "a"), 1))
        (helper,) = pipeline._processes
        os.kill(helper.pid, signal.SIGKILL)
        helper._helper._process.wait(10)  # so that the next request sees it exited
        with pytest.raises(HelperProcessError, match=r"^a helper process of the backup exited with code -9 unexpectedly$"):
            pipeline.wait(pipeline.read_file(os.fsencode(tmp_path / "b"), 1))
    finally:
        pipeline.close()
    memory_repo.flush()
    assert check_repository(memory_repo, CheckOptions(read_data=True)).errors == []


def _no_process_slots(*args: object, **kwargs: object) -> None:
    raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))


def test_a_backup_whose_helpers_cannot_start_seals_in_its_own_process(
    memory_repo: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Out of memory or process slots: the backup goes on without helpers, whole and correct."""
    monkeypatch.setattr(helper_process.subprocess, "Popen", _no_process_slots)
    src = tmp_path / "src"
    files = _small_tree(src, 300, memory_repo.new_scanner().min_size)
    options = BackupOptions(paths=(src,), hostname="host", username="user")
    archiver = Archiver(memory_repo, options, ExcludeRules(), None, process_after=0)
    result = archiver.run()
    assert result.warnings == [] and result.counters.files_new == len(files)
    snapshot = memory_repo.load_snapshot(result.snapshot_id or "")
    assert _contents(memory_repo, src, files, snapshot.tree) == files
    assert check_repository(memory_repo, CheckOptions(read_data=True)).errors == []


def test_a_helper_that_cannot_start_is_tried_once(
    memory_repo: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts: list[object] = []

    def count_and_fail(*args: object, **kwargs: object) -> None:
        starts.append(args)
        _no_process_slots()

    monkeypatch.setattr(helper_process.subprocess, "Popen", count_and_fail)
    (tmp_path / "a").write_bytes(b"a")
    pipeline = ChunkPipeline(memory_repo, Counters(), workers=1, process_after=0)
    try:
        contents = [pipeline.read_file(os.fsencode(tmp_path / "a"), 1) for _ in range(200)]
        for content in contents:
            pipeline.wait(content)
    finally:
        pipeline.close()
    assert len(starts) == 1 and pipeline._processes == []


def test_helpers_end_with_the_backup(memory_repo: Repository, tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"a")
    pipeline = ChunkPipeline(memory_repo, Counters(), workers=2, process_after=0)
    contents = [pipeline.read_file(os.fsencode(tmp_path / "a"), 1) for _ in range(200)]
    pipeline.wait(contents[-1])
    helpers = [helper._helper._process for helper in pipeline._processes]
    assert helpers
    pipeline.close()
    assert pipeline._processes == []
    assert all(process.returncode == 0 for process in helpers)


def test_snap_backup_of_many_small_files_uses_helpers_and_restores_bit_for_bit(snap: Snap, tmp_path: Path) -> None:
    src = tmp_path / "src"
    _small_tree(src, PROCESS_AFTER + 100, 256 * 1024)
    report = snap.backup(src)
    assert report["errors"] == 0
    assert report["files_new"] == PROCESS_AFTER + 105
    target = tmp_path / "restored"
    snap.json("restore", "latest", "--target", target, "--verify")
    assert_same_tree(os.fsencode(src), os.fsencode(target / src.relative_to("/")), with_xattrs=False)
    snap.ok("check", "--read-data")
