"""What only the local backend has: files, modes, temporary files and OS error paths."""

from __future__ import annotations

import errno
import multiprocessing
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from snapstore.backend import LocalBackend, ObjectInfo
from snapstore.backend.local import TEMP_PREFIX
from snapstore.errors import BackendError, NotFoundError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "repo"


@pytest.fixture
def backend(root: Path) -> LocalBackend:
    return LocalBackend(root)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture(params=[0o000, 0o277], ids=["permissive-umask", "restrictive-umask"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def test_modes_do_not_depend_on_umask(backend: LocalBackend, root: Path, umask: int) -> None:
    backend.save("data/ab/object", b"x")
    backend.create_if_absent("locks/lock", b"y")
    for folder in [root, root / "data", root / "data/ab", root / "locks"]:
        assert mode_of(folder) == 0o700, folder
    assert mode_of(root / "data/ab/object") == 0o600
    assert mode_of(root / "locks/lock") == 0o600


def test_objects_are_plain_files_at_their_name(backend: LocalBackend, root: Path) -> None:
    backend.save("data/ab/object", b"content")
    assert (root / "data/ab/object").read_bytes() == b"content"
    assert files_under(root) == {"data/ab/object"}


def test_relative_root_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    backend = LocalBackend("repo")
    assert backend.location == str(tmp_path / "repo")
    backend.save("config", b"c")
    monkeypatch.chdir("/")
    assert backend.load("config") == b"c"


def test_two_instances_on_one_root_share_objects(root: Path) -> None:
    LocalBackend(root).save("config", b"c")
    assert LocalBackend(root).load("config") == b"c"


# -- temporary files ----------------------------------------------------------------------


def test_leftover_temporary_files_are_not_listed(backend: LocalBackend, root: Path) -> None:
    backend.save("data/ab/object", b"x")
    (root / "data/ab" / f"{TEMP_PREFIX}crashed").write_bytes(b"partial")
    (root / f"{TEMP_PREFIX}other").write_bytes(b"partial")
    (root / "data/.hidden-folder").mkdir()
    (root / "data/.hidden-folder/file").write_bytes(b"?")
    assert list(backend.list("data")) == [ObjectInfo("data/ab/object", 1)]
    assert list(backend.list("")) == [ObjectInfo("data/ab/object", 1)]


def test_remove_stale_temp_files(backend: LocalBackend, root: Path) -> None:
    backend.save("data/ab/object", b"x")
    old = root / "data/ab" / f"{TEMP_PREFIX}old"
    young = root / f"{TEMP_PREFIX}young"
    for path, mtime in [(old, 1_000.0), (young, 5_000.0)]:
        path.write_bytes(b"partial")
        os.utime(path, (mtime, mtime))
    assert backend.remove_stale_temp_files(older_than_seconds=3_600, now=6_000.0) == 1
    assert files_under(root) == {"data/ab/object", young.name}


def test_successful_writes_leave_no_temporary_files(backend: LocalBackend, root: Path) -> None:
    backend.save("a/x", b"1")
    backend.save("a/x", b"2")
    backend.create_if_absent("a/y", b"3")
    backend.create_if_absent("a/y", b"4")
    assert files_under(root) == {"a/x", "a/y"}


# -- failing writes -----------------------------------------------------------------------


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_save_into_read_only_folder_fails(backend: LocalBackend, root: Path) -> None:
    backend.save("data/ab/first", b"x")
    (root / "data/ab").chmod(0o500)
    try:
        with pytest.raises(BackendError) as info:
            backend.save("data/ab/second", b"y")
    finally:
        (root / "data/ab").chmod(0o700)
    assert not isinstance(info.value, NotFoundError)
    assert "data/ab/second" in str(info.value) and "ermission" in str(info.value)


@pytest.mark.parametrize("name", ["data/ab/object", "data/ab/deeper/object", "config/x"])
def test_file_where_a_folder_is_expected_fails(
    backend: LocalBackend, root: Path, name: str
) -> None:
    root.mkdir()
    (root / "data").write_bytes(b"not a folder")
    (root / "config").write_bytes(b"not a folder")
    for operation in [backend.save, backend.create_if_absent]:
        with pytest.raises(BackendError) as info:
            operation(name, b"x")
        message = str(info.value)
        assert not isinstance(info.value, NotFoundError)
        assert name in message and "\n" not in message and "ot a directory" in message


def test_root_that_is_a_file_fails(tmp_path: Path) -> None:
    (tmp_path / "repo").write_bytes(b"")
    with pytest.raises(BackendError, match="config"):
        LocalBackend(tmp_path / "repo").save("config", b"x")


def fail_write_after(monkeypatch: pytest.MonkeyPatch, allowed: int) -> None:
    """Make os.write write `allowed` bytes in total, then fail as a full disk does."""
    real_write = os.write
    remaining = [allowed]

    def write(fd: int, data: bytes | memoryview) -> int:
        if remaining[0] == 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = real_write(fd, memoryview(data)[: remaining[0]])
        remaining[0] -= written
        return written

    monkeypatch.setattr(os, "write", write)


@pytest.mark.parametrize("operation", ["save", "create_if_absent"])
def test_failed_write_leaves_no_partial_object(
    backend: LocalBackend, root: Path, monkeypatch: pytest.MonkeyPatch, operation: str
) -> None:
    backend.save("data/ab/existing", b"old content")
    with monkeypatch.context() as patch:
        fail_write_after(patch, allowed=1000)
        for name in ["data/ab/new", "data/ab/existing"]:
            with pytest.raises(BackendError, match="No space left"):
                getattr(backend, operation)(name, os.urandom(5000))
    with pytest.raises(NotFoundError):
        backend.load("data/ab/new")
    assert backend.load("data/ab/existing") == b"old content"
    assert files_under(root) == {"data/ab/existing"}


def test_failed_fsync_leaves_no_object(
    backend: LocalBackend, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fsync(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    backend.save("data/ab/existing", b"old")
    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", fsync)
        with pytest.raises(BackendError, match="Input/output error"):
            backend.save("data/ab/existing", b"new")
    assert backend.load("data/ab/existing") == b"old"
    assert files_under(root) == {"data/ab/existing"}


def test_failed_rename_removes_temporary_file(
    backend: LocalBackend, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def replace(source: object, target: object) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    backend.save("config", b"old")
    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", replace)
        with pytest.raises(BackendError, match="config"):
            backend.save("config", b"new")
    assert files_under(root) == {"config"}


def test_partial_writes_are_completed(
    backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, memoryview(data)[:7]))
    data = os.urandom(1000)
    backend.save("x", data)
    monkeypatch.undo()
    assert backend.load("x") == data


def test_folder_fsync_unsupported_is_tolerated(
    backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    backend.save("data/ab/x", b"1")
    assert backend.create_if_absent("data/ab/y", b"2") is True
    assert backend.load("data/ab/x") == b"1"


# -- create_if_absent ---------------------------------------------------------------------


def test_link_reporting_eexist_after_succeeding_counts_as_created(
    backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NFS: a retransmitted LINK can fail with EEXIST although the first attempt worked."""
    real_link = os.link

    def link(source: str, target: str) -> None:
        real_link(source, target)
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST))

    monkeypatch.setattr(os, "link", link)
    assert backend.create_if_absent("locks/a", b"mine") is True
    monkeypatch.undo()
    assert backend.create_if_absent("locks/a", b"other") is False
    assert backend.load("locks/a") == b"mine"


def test_filesystem_without_hard_links_fails_clearly(
    backend: LocalBackend, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def link(source: str, target: str) -> None:
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "link", link)
    with pytest.raises(BackendError, match="cannot create 'locks/a'"):
        backend.create_if_absent("locks/a", b"x")
    assert files_under(root) == set()


def _contend(root: str, index: int) -> bool:
    return LocalBackend(root).create_if_absent("locks/race", f"process {index}".encode())


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_processes_racing_on_create_if_absent_have_one_winner(root: Path) -> None:
    with multiprocessing.get_context("fork").Pool(4) as pool:
        results = pool.starmap(_contend, [(str(root), i) for i in range(8)])
    assert results.count(True) == 1
    assert LocalBackend(root).load("locks/race") == f"process {results.index(True)}".encode()


# -- reading ------------------------------------------------------------------------------


def test_short_positional_reads_are_completed(
    backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(1000)
    backend.save("x", data)
    real_pread = os.pread
    monkeypatch.setattr(os, "pread", lambda fd, n, offset: real_pread(fd, min(n, 7), offset))
    assert backend.load("x") == data
    assert backend.load("x", 100, 500) == data[100:600]


def test_object_truncated_while_reading_is_an_error(
    backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend.save("x", bytes(100))
    monkeypatch.setattr(os, "pread", lambda fd, n, offset: b"")
    with pytest.raises(BackendError, match="truncated"):
        backend.load("x", 10, 20)


def test_truncated_file_fails_range_read(backend: LocalBackend, root: Path) -> None:
    backend.save("data/ab/pack", bytes(100))
    os.truncate(root / "data/ab/pack", 50)
    with pytest.raises(BackendError, match="50 bytes"):
        backend.load("data/ab/pack", 40, 20)


def test_unreadable_object_is_a_backend_error(
    backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend.save("x", b"1")

    def open_(path: object, flags: int, mode: int = 0o777) -> int:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(os, "open", open_)
    with pytest.raises(BackendError, match="cannot load 'x'.*Permission denied") as info:
        backend.load("x")
    assert not isinstance(info.value, NotFoundError)


# -- listing ------------------------------------------------------------------------------


def test_symlinked_folder_is_listed_and_loops_terminate(
    backend: LocalBackend, root: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "other-volume"
    LocalBackend(elsewhere).save("ab/pack", b"p")
    root.mkdir()
    (root / "data").symlink_to(elsewhere)
    (elsewhere / "loop").symlink_to(elsewhere)
    assert {info.name for info in backend.list("data")} == {"data/ab/pack"}
    assert backend.load("data/ab/pack") == b"p"


def spooled(tmp_path: Path, content: bytes) -> int:
    """An open file holding `content`, its position at the end (save_file must not use it)."""
    fd = os.open(tmp_path / "spooled", os.O_RDWR | os.O_CREAT, 0o600)
    os.write(fd, content)
    return fd


def test_save_file_stores_the_first_size_bytes(
    backend: LocalBackend, root: Path, tmp_path: Path
) -> None:
    content = os.urandom(3 << 20)
    fd = spooled(tmp_path, content + b"not part of the object")
    try:
        backend.save_file("data/ab/packed", fd, len(content))
        backend.save_file("data/ab/packed", fd, 5)  # replaces, like save
        backend.save_file("data/ab/whole", fd, len(content))
    finally:
        os.close(fd)
    assert backend.load("data/ab/packed") == content[:5]
    assert backend.load("data/ab/whole") == content
    assert mode_of(root / "data/ab/whole") == 0o600
    assert files_under(root) == {"data/ab/packed", "data/ab/whole"}


@pytest.mark.parametrize("refusal", [errno.EXDEV, errno.ENOSYS])
def test_save_file_copies_through_a_buffer_where_the_kernel_will_not(
    backend: LocalBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refusal: int
) -> None:
    def copy_file_range(*args: object) -> int:
        raise OSError(refusal, os.strerror(refusal))

    monkeypatch.setattr(os, "copy_file_range", copy_file_range)
    content = os.urandom((2 << 20) + 12345)  # more than one buffer
    fd = spooled(tmp_path, content)
    try:
        backend.save_file("data/ab/packed", fd, len(content))
    finally:
        os.close(fd)
    assert backend.load("data/ab/packed") == content


def test_save_file_from_a_short_file_fails_and_leaves_nothing(
    backend: LocalBackend, root: Path, tmp_path: Path
) -> None:
    fd = spooled(tmp_path, b"ten bytes!")
    try:
        with pytest.raises(BackendError, match="ended at byte 10 of 20"):
            backend.save_file("data/ab/packed", fd, 20)
    finally:
        os.close(fd)
    assert files_under(root) == set()
