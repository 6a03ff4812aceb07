"""`metadata.Creation`: when a restored file may be created with its final mode instead of
chmodded, and left unchowned, and that following its plan always gives the recorded metadata,
whatever the umask and whether the folder hands down its group (set-group-id) or has a default
ACL (`plain_folder`). The tests run as root (as in CI); the one for another user says so."""

from __future__ import annotations

import itertools
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snapstore.model import Node
from snapstore.model.node import FILE
from snapstore.restorer.metadata import CREATE_MODE, Creation, apply_file_metadata, plain_folder
from tests.restorer.folders import make_setgid_folder, set_default_acl

OTHER_ID = 1234  # an owner that is not root
MTIME_NS = 1_600_000_000_123_456_789
XATTRS = ((b"user.note", b"kept"),)
def file_node(mode: int, uid: int = 0, gid: int = 0) -> Node:
    return Node(
        name=b"f", kind=FILE, mode=mode, uid=uid, gid=gid, user=None, group=None, mtime_ns=MTIME_NS,
        ctime_ns=MTIME_NS, size=0, device=1, inode=2, nlink=1, xattrs=XATTRS,
    )  # fmt: skip


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture(autouse=True)
def _as_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("these tests run as root, as CI does")


def test_a_plain_folder(tmp_path: Path, umask_022: None) -> None:
    assert plain_folder(os.fsencode(tmp_path))
    creation = Creation()
    assert (creation.euid, creation.egid, creation.umask) == (0, os.getegid(), 0o022)


def test_a_set_group_id_folder_is_not_plain(tmp_path: Path) -> None:
    make_setgid_folder(tmp_path / "target")
    assert not plain_folder(os.fsencode(tmp_path / "target"))


def test_a_folder_with_a_default_acl_is_not_plain(tmp_path: Path) -> None:
    set_default_acl(tmp_path)
    assert not plain_folder(os.fsencode(tmp_path))


def test_the_umask_is_read_and_left_as_it_was() -> None:
    old = os.umask(0o027)
    try:
        assert Creation().umask == 0o027
        assert os.umask(0o027) == 0o027  # still in force
    finally:
        os.umask(old)


CHMOD, CHOWN = "chmod", "chown"


@pytest.mark.parametrize(
    ("mode", "uid", "gid", "fresh", "expected"),
    [
        (0o644, 0, 0, True, (0o644, None, None)),  # our owner, mode survives the umask
        (0o755, 0, 0, True, (0o755, None, None)),
        (0o444, 0, 0, True, (0o444, None, None)),  # read-only: created so, still written
        (0o000, 0, 0, True, (0o000, None, None)),
        (0o644, 0, 0, False, (CREATE_MODE, (0, 0), 0o644)),  # a folder that was there: anything
        (0o664, 0, 0, True, (CREATE_MODE, None, 0o664)),  # group write does not survive 022
        (0o4755, 0, 0, True, (CREATE_MODE, None, 0o4755)),  # set-id and sticky: always chmod
        (0o2755, 0, 0, True, (CREATE_MODE, None, 0o2755)),
        (0o1644, 0, 0, True, (CREATE_MODE, None, 0o1644)),
        (0o644, OTHER_ID, 0, True, (CREATE_MODE, (OTHER_ID, 0), 0o644)),  # chown clears nothing
        (0o644, 0, OTHER_ID, True, (CREATE_MODE, (0, OTHER_ID), 0o644)),  # of 0o644, yet chmod
        (0o4755, OTHER_ID, OTHER_ID, True, (CREATE_MODE, (OTHER_ID, OTHER_ID), 0o4755)),
    ],
)  # fmt: skip
def test_plan_as_root(
    umask_022: None, mode: int, uid: int, gid: int, fresh: bool,
    expected: tuple[int, tuple[int, int] | None, int | None],
) -> None:  # fmt: skip
    creation = Creation()
    assert creation.egid == 0
    create_mode, owner, chmod = expected
    assert creation.plan(file_node(mode, uid, gid), fresh) == (create_mode, (owner, chmod, XATTRS, MTIME_NS))


@pytest.mark.parametrize("mode", [0o644, 0o444, 0o4755], ids=oct)
def test_plan_in_a_set_group_id_folder_always_chowns_and_chmods(
    tmp_path: Path, umask_022: None, mode: int
) -> None:
    make_setgid_folder(tmp_path / "target")
    fresh = plain_folder(os.fsencode(tmp_path / "target"))
    assert Creation().plan(file_node(mode), fresh) == (CREATE_MODE, ((0, 0), mode, XATTRS, MTIME_NS))


def test_plan_with_another_umask() -> None:
    old = os.umask(0o077)
    try:
        creation = Creation()
    finally:
        os.umask(old)
    assert creation.plan(file_node(0o644), fresh=True) == (
        CREATE_MODE,
        (None, 0o644, XATTRS, MTIME_NS),
    )
    assert creation.plan(file_node(0o700), fresh=True) == (
        0o700,
        (None, None, XATTRS, MTIME_NS),
    )


def test_plan_for_a_user_that_is_not_root_never_chowns(tmp_path: Path, umask_022: None) -> None:
    """As another user would see it: the creation's own ids stand for that user."""
    creation = Creation()
    creation.euid = creation.egid = OTHER_ID
    assert creation.plan(file_node(0o644, 0, 0), fresh=True) == (
        0o644,
        (None, None, XATTRS, MTIME_NS),
    )
    assert creation.plan(file_node(0o644, 0, 0), fresh=False) == (
        CREATE_MODE, (None, 0o644, XATTRS, MTIME_NS),
    )  # fmt: skip
    assert creation.plan(file_node(0o4755), fresh=True) == (
        CREATE_MODE,
        (None, 0o4755, XATTRS, MTIME_NS),
    )


_examples = itertools.count()


@settings(max_examples=150, deadline=None)
@given(
    mode=st.integers(0, 0o7777),
    uid=st.sampled_from([0, OTHER_ID]),
    gid=st.sampled_from([0, OTHER_ID]),
    umask=st.sampled_from([0o022, 0o077, 0o002, 0o000, 0o777]),
    target_kind=st.sampled_from(["plain", "setgid", "default-acl"]),
)
def test_following_the_plan_gives_the_recorded_metadata(
    tmp_path_factory: pytest.TempPathFactory,
    mode: int,
    uid: int,
    gid: int,
    umask: int,
    target_kind: str,
) -> None:
    """Create the file in a folder made below the target (so fresh) with the planned mode, write
    it, apply the planned metadata through its descriptor: it has the recorded owner and mode."""
    target = tmp_path_factory.mktemp(f"target{next(_examples)}")
    if target_kind == "setgid":
        make_setgid_folder(target)
    elif target_kind == "default-acl":
        set_default_acl(target)
    old = os.umask(umask)
    try:
        creation = Creation()
        folder = target / "fresh"
        folder.mkdir(0o700)  # as the restore makes folders: inherits set-group-id and a default ACL
        # As the restore decides for a folder it made inside one that was there:
        fresh = plain_folder(os.fsencode(folder))
        create_mode, metadata = creation.plan(file_node(mode, uid, gid), fresh)
        path = os.fsencode(folder / "f")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, create_mode)
        warnings: list[str] = []
        try:
            os.write(fd, b"content")
            apply_file_metadata(fd, path, metadata, warnings)
        finally:
            os.close(fd)
    finally:
        os.umask(old)
    st_ = os.lstat(path)
    assert warnings == []
    assert (stat.S_IMODE(st_.st_mode), st_.st_uid, st_.st_gid) == (mode, uid, gid), (
        oct(create_mode),
        metadata,
    )
    assert st_.st_mtime_ns == MTIME_NS
    assert os.getxattr(path, b"user.note") == b"kept"
