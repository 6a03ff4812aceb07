"""`metadata.Creation`: when a restored file may be created with its final mode instead of
chmodded, and left unchowned, and that following its plan always gives the recorded metadata,
whatever the umask and whether the target hands down its group (set-group-id) or has a default
ACL. The tests run as root (as in CI); the one for another user says so."""

from __future__ import annotations

import errno
import itertools
import os
import stat
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snapstore.model import Node
from snapstore.model.node import FILE
from snapstore.restorer.metadata import CREATE_MODE, Creation, FileMetadata, apply_file_metadata

OTHER_ID = 1234  # an owner that is not root
TARGET_GROUP = 4321  # the group a set-group-id target hands down
MTIME_NS = 1_600_000_000_123_456_789
XATTRS = ((b"user.note", b"kept"),)
_ACL_VERSION = 2
_ACL_USER_OBJ, _ACL_GROUP_OBJ, _ACL_OTHER = 0x01, 0x04, 0x20
_ACL_NO_ID = 0xFFFFFFFF


def restrictive_default_acl() -> bytes:
    """A minimal default ACL (user rwx, group and others nothing) in the kernel's xattr form:
    new files below get their requested mode masked by it, and the umask is ignored."""
    entries = ((_ACL_USER_OBJ, 0o7), (_ACL_GROUP_OBJ, 0), (_ACL_OTHER, 0))
    return struct.pack("<I", _ACL_VERSION) + b"".join(
        struct.pack("<HHI", t, p, _ACL_NO_ID) for t, p in entries
    )


def set_default_acl(folder: Path) -> None:
    """Give `folder` a restrictive default ACL, or skip the test where ACLs are not supported."""
    try:
        os.setxattr(folder, "system.posix_acl_default", restrictive_default_acl())
    except OSError as error:
        if error.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            pytest.skip("the file system of the tests has no POSIX ACLs")
        raise


def make_setgid_folder(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    os.chown(folder, 0, TARGET_GROUP)
    os.chmod(folder, 0o2775)


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


def test_a_plain_folder_gives_exact_creation(tmp_path: Path, umask_022: None) -> None:
    creation = Creation(os.fsencode(tmp_path))
    assert creation.exact
    assert (creation.euid, creation.egid, creation.umask) == (0, os.getegid(), 0o022)


def test_a_set_group_id_folder_does_not(tmp_path: Path) -> None:
    make_setgid_folder(tmp_path / "target")
    assert not Creation(os.fsencode(tmp_path / "target")).exact


def test_a_folder_with_a_default_acl_does_not(tmp_path: Path) -> None:
    set_default_acl(tmp_path)
    assert not Creation(os.fsencode(tmp_path)).exact


def test_the_umask_is_read_and_left_as_it_was(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        assert Creation(os.fsencode(tmp_path)).umask == 0o027
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
def test_plan_as_root_in_an_exact_target(
    tmp_path: Path, umask_022: None, mode: int, uid: int, gid: int, fresh: bool,
    expected: tuple[int, tuple[int, int] | None, int | None],
) -> None:  # fmt: skip
    creation = Creation(os.fsencode(tmp_path))
    assert creation.exact and creation.egid == 0
    create_mode, owner, chmod = expected
    assert creation.plan(file_node(mode, uid, gid), fresh) == (
        create_mode, FileMetadata(owner, chmod, XATTRS, MTIME_NS),
    )  # fmt: skip


@pytest.mark.parametrize("mode", [0o644, 0o444, 0o4755], ids=oct)
def test_plan_in_a_set_group_id_target_always_chowns_and_chmods(
    tmp_path: Path, umask_022: None, mode: int
) -> None:
    make_setgid_folder(tmp_path / "target")
    creation = Creation(os.fsencode(tmp_path / "target"))
    assert creation.plan(file_node(mode), fresh=True) == (
        CREATE_MODE,
        FileMetadata((0, 0), mode, XATTRS, MTIME_NS),
    )


def test_plan_with_another_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        creation = Creation(os.fsencode(tmp_path))
    finally:
        os.umask(old)
    assert creation.plan(file_node(0o644), fresh=True) == (
        CREATE_MODE,
        FileMetadata(None, 0o644, XATTRS, MTIME_NS),
    )
    assert creation.plan(file_node(0o700), fresh=True) == (
        0o700,
        FileMetadata(None, None, XATTRS, MTIME_NS),
    )


def test_plan_for_a_user_that_is_not_root_never_chowns(tmp_path: Path, umask_022: None) -> None:
    """As another user would see it: the creation's own ids stand for that user."""
    creation = Creation(os.fsencode(tmp_path))
    creation.euid = creation.egid = OTHER_ID
    assert creation.plan(file_node(0o644, 0, 0), fresh=True) == (
        0o644,
        FileMetadata(None, None, XATTRS, MTIME_NS),
    )
    assert creation.plan(file_node(0o644, 0, 0), fresh=False) == (
        CREATE_MODE, FileMetadata(None, 0o644, XATTRS, MTIME_NS),
    )  # fmt: skip
    assert creation.plan(file_node(0o4755), fresh=True) == (
        CREATE_MODE,
        FileMetadata(None, 0o4755, XATTRS, MTIME_NS),
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
        creation = Creation(os.fsencode(target))
        folder = target / "fresh"
        folder.mkdir(0o700)  # as the restore makes folders: inherits set-group-id and a default ACL
        create_mode, metadata = creation.plan(file_node(mode, uid, gid), fresh=True)
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
