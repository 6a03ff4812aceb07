"""Applying an entry's recorded metadata after its content: owner (as root, or when it is already
ours), mode, extended attributes, and times. Failures become warnings, never lost data."""

from __future__ import annotations

import errno
import os

from snapstore.model import Node
from snapstore.model.node import SYMLINK


def apply_metadata(path: bytes, node: Node, warnings: list[str]) -> None:
    _apply(path, path, node, warnings, {"follow_symlinks": False})


def apply_metadata_fd(fd: int, path: bytes, node: Node, warnings: list[str]) -> None:
    """The same through a file's open descriptor, right after its last write: no path lookup,
    and it runs on the writer threads instead of in a pass of its own."""
    _apply(fd, path, node, warnings, {})


def _apply(target: bytes | int, path: bytes, node: Node, warnings: list[str], how: dict[str, bool]) -> None:
    if os.geteuid() == 0:
        _try(lambda: os.chown(target, node.uid, node.gid, **how), path, warnings)
    if node.kind != SYMLINK:
        _try(lambda: os.chmod(target, node.mode), path, warnings)
    for name, value in node.xattrs:
        _try_xattr(target, path, name, value, warnings, how)
    times = (node.mtime_ns, node.mtime_ns)
    _try(lambda: os.utime(target, ns=times, **how), path, warnings)


def _try(action: object, path: bytes, warnings: list[str]) -> None:
    try:
        action()  # type: ignore[operator]
    except OSError as error:
        warnings.append(f"{os.fsdecode(path)}: {error.strerror or error}")


def _try_xattr(
    target: bytes | int, path: bytes, name: bytes, value: bytes, warnings: list[str],
    how: dict[str, bool],
) -> None:  # fmt: skip
    try:
        os.setxattr(target, name, value, **how)
    except OSError as error:
        if error.errno not in (errno.ENOTSUP, errno.EPERM):
            warnings.append(f"{os.fsdecode(path)}: xattr {name!r}: {error.strerror}")
