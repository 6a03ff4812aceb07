"""Read one directory entry's metadata from the file system into a `Node`."""

from __future__ import annotations

import functools
import grp
import os
import pwd
import stat

from snapstore.model import Node
from snapstore.model.json_canonical import check_text
from snapstore.model.node import BLOCKDEV, CHARDEV, DIR, FIFO, FILE, SOCKET, SYMLINK, unchecked_node

_KINDS = [
    (stat.S_ISREG, FILE),
    (stat.S_ISDIR, DIR),
    (stat.S_ISLNK, SYMLINK),
    (stat.S_ISFIFO, FIFO),
    (stat.S_ISCHR, CHARDEV),
    (stat.S_ISBLK, BLOCKDEV),
    (stat.S_ISSOCK, SOCKET),
]


def kind_of(mode: int) -> str:
    for test, kind in _KINDS:
        if test(mode):
            return kind
    raise ValueError(f"unknown file type {stat.S_IFMT(mode):o}")


@functools.lru_cache(maxsize=1024)
def user_name(uid: int) -> str | None:
    try:
        return _text_or_none(pwd.getpwuid(uid).pw_name)
    except KeyError:
        return None


@functools.lru_cache(maxsize=1024)
def group_name(gid: int) -> str | None:
    try:
        return _text_or_none(grp.getgrgid(gid).gr_name)
    except KeyError:
        return None


def _text_or_none(name: str) -> str | None:
    """A name that is not UTF-8 cannot be stored as text: the numeric id alone is kept."""
    try:
        check_text(name, "name")
    except ValueError:
        return None
    return name


def read_xattrs(path: bytes) -> tuple[tuple[bytes, bytes], ...]:
    """Extended attributes where the file system has them; none where it does not."""
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return ()
    pairs = []
    for name in names:
        try:
            pairs.append((os.fsencode(name), os.getxattr(path, name, follow_symlinks=False)))
        except OSError:
            continue
    return tuple(sorted(pairs))


def node_from_stat(
    name: bytes,
    path: bytes,
    st: os.stat_result,
    *,
    content: tuple[bytes, ...] = (),
    subtree: bytes | None = None,
) -> Node:
    """The node of one entry. Valid by construction (a name from a directory listing, ints
    from stat, text checked by `user_name`), so it is built without `Node`'s validation."""
    kind = kind_of(st.st_mode)
    return unchecked_node(
        name, kind, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, user_name(st.st_uid),
        group_name(st.st_gid), st.st_mtime_ns, st.st_ctime_ns, st.st_size if kind == FILE else 0,
        st.st_dev, st.st_ino, st.st_nlink, st.st_rdev if kind in (CHARDEV, BLOCKDEV) else 0,
        os.readlink(path) if kind == SYMLINK else None, read_xattrs(path), content, subtree,
    )  # fmt: skip
