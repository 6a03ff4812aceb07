"""Applying an entry's recorded metadata after its content: owner (as root, or when it is already
ours), mode, extended attributes, and times. Failures become warnings, never lost data."""

from __future__ import annotations

import errno
import os

from snapstore.model import Node
from snapstore.model.node import SYMLINK


def apply_metadata(path: bytes, node: Node, warnings: list[str]) -> None:
    is_link = node.kind == SYMLINK
    if os.geteuid() == 0:
        _try(lambda: os.chown(path, node.uid, node.gid, follow_symlinks=False), path, warnings)
    if not is_link:
        _try(lambda: os.chmod(path, node.mode), path, warnings)
    for name, value in node.xattrs:
        _try_xattr(path, name, value, warnings)
    times = (node.mtime_ns, node.mtime_ns)
    _try(lambda: os.utime(path, ns=times, follow_symlinks=False), path, warnings)


def _try(action: object, path: bytes, warnings: list[str]) -> None:
    try:
        action()  # type: ignore[operator]
    except OSError as error:
        warnings.append(f"{os.fsdecode(path)}: {error.strerror or error}")


def _try_xattr(path: bytes, name: bytes, value: bytes, warnings: list[str]) -> None:
    try:
        os.setxattr(path, name, value, follow_symlinks=False)
    except OSError as error:
        if error.errno not in (errno.ENOTSUP, errno.EPERM):
            warnings.append(f"{os.fsdecode(path)}: xattr {name!r}: {error.strerror}")
