"""Opening and reading the files a backup stores."""

from __future__ import annotations

import os

# O_NOATIME keeps a backup from touching access times; only the owner (or root) may use it.
_NOATIME = getattr(os, "O_NOATIME", 0)
_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def open_for_reading(path: bytes) -> int:
    try:
        return os.open(path, _FLAGS | _NOATIME)
    except PermissionError:
        if not _NOATIME:
            raise
        return os.open(path, _FLAGS)


def read_small(path: bytes, limit: int) -> bytes | None:
    """The whole content of the file at `path`, or None if it holds more than `limit` bytes (it
    grew since it was listed). Plain `os.read` calls: no file object, no extra fstat or seek."""
    fd = open_for_reading(path)
    try:
        parts = []
        got = 0
        while got <= limit:
            part = os.read(fd, limit + 1 - got)
            if not part:
                break
            parts.append(part)
            got += len(part)
    finally:
        os.close(fd)
    if got > limit:
        return None
    return parts[0] if len(parts) == 1 else b"".join(parts)
