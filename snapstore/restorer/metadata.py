"""Applying an entry's recorded metadata after its content: owner (as root, or when it is already
ours), mode, extended attributes, and times. Failures become warnings, never lost data.

A file created in a *plain* folder this restore made itself (one that hands down no group, being
not set-group-id, and has no default ACL) gets exactly the owner this process has and the mode it
is created with less the umask: there, a file whose recorded owner is ours is not chowned, and
one whose mode survives the umask is created with it instead of chmodded. Per small file that
saves two of six system calls. A folder made inside a plain folder made by the restore is plain
(made 0o700, it inherits nothing); one made inside a folder that was there is checked."""

from __future__ import annotations

import errno
import os
import stat
from typing import Any

from snapstore.model import Node
from snapstore.model.node import SYMLINK

CREATE_MODE = 0o600  # while a file is written, unless created with its final mode
_SPECIAL_BITS = 0o7000  # set-id and sticky bits: chown would clear them, so always chmod
_DEFAULT_ACL = "system.posix_acl_default"


# What is left to set on a restored file after its last write: the owner to chown to (None: it
# is right already, or not ours to set), the mode to chmod to (None: the file was created with
# it), the extended attributes and the modification time. A plain tuple: one is made and
# pickled per restored file.
FileMetadata = tuple[tuple[int, int] | None, int | None, tuple[tuple[bytes, bytes], ...], int]


class Creation:
    """What this process gets when it creates a file in a plain folder made by the restore."""

    def __init__(self) -> None:
        self.euid, self.egid = os.geteuid(), os.getegid()
        self.umask = _umask()

    def plan(self, node: Node, fresh: bool) -> tuple[int, FileMetadata]:
        """The mode to create a file of `node` with, and the metadata to set after writing;
        `fresh`: in a plain folder made by this restore."""
        exact = fresh
        owner: tuple[int, int] | None = None
        if self.euid == 0 and not (exact and node.uid == self.euid and node.gid == self.egid):
            owner = (node.uid, node.gid)
        mode = node.mode
        if exact and owner is None and not mode & _SPECIAL_BITS and not mode & self.umask:
            return mode, (None, None, node.xattrs, node.mtime_ns)
        return CREATE_MODE, (owner, mode, node.xattrs, node.mtime_ns)


def _umask() -> int:
    """Read without changing it (Linux 4.7+); the set-and-restore fallback runs before any
    thread of the restore creates files."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def plain_folder(path: bytes) -> bool:
    """Do files created in this folder get this process's group, and their mode less the umask?
    Not in a set-group-id folder (its group), nor in one with a default ACL (its mask)."""
    try:
        if os.stat(path).st_mode & stat.S_ISGID:
            return False
        os.getxattr(path, _DEFAULT_ACL)
    except OSError as error:
        return error.errno in (errno.ENODATA, errno.ENOTSUP)
    return False


def apply_metadata(path: bytes, node: Node, warnings: list[str]) -> None:
    owner = (node.uid, node.gid) if os.geteuid() == 0 else None
    mode = None if node.kind == SYMLINK else node.mode
    _apply(path, path, (owner, mode, node.xattrs, node.mtime_ns), warnings, {"follow_symlinks": False})


def apply_file_metadata(fd: int, path: bytes, metadata: FileMetadata, warnings: list[str]) -> None:
    """The same through a file's open descriptor, right after its last write: no path lookup,
    and it runs where the file was written instead of in a pass of its own."""
    _apply(fd, path, metadata, warnings, {})


def _apply(
    target: bytes | int, path: bytes, metadata: FileMetadata, warnings: list[str], how: dict[str, Any]
) -> None:  # fmt: skip
    owner, mode, xattrs, mtime_ns = metadata
    if owner is not None:
        _try(lambda: os.chown(target, owner[0], owner[1], **how), path, warnings)
    if mode is not None:
        _try(lambda: os.chmod(target, mode), path, warnings)
    for name, value in xattrs:
        _try_xattr(target, path, name, value, warnings, how)
    _try(lambda: os.utime(target, ns=(mtime_ns, mtime_ns), **how), path, warnings)


def _try(action: object, path: bytes, warnings: list[str]) -> None:
    try:
        action()  # type: ignore[operator]
    except OSError as error:
        warnings.append(f"{os.fsdecode(path)}: {error.strerror or error}")


def _try_xattr(
    target: bytes | int, path: bytes, name: bytes, value: bytes, warnings: list[str],
    how: dict[str, Any],
) -> None:  # fmt: skip
    try:
        os.setxattr(target, name, value, **how)
    except OSError as error:
        if error.errno not in (errno.ENOTSUP, errno.EPERM):
            warnings.append(f"{os.fsdecode(path)}: xattr {name!r}: {error.strerror}")
