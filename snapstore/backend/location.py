"""Repository locations: turn what the user typed into a backend.

`/path`, `./path` or `local:/path` is a local folder (also a NAS mount). `s3:...` is S3; its
backend module, and boto3 with it, is imported only when such a location is used.
"""

from __future__ import annotations

from pathlib import Path

from snapstore.backend.base import Backend
from snapstore.backend.local import LocalBackend
from snapstore.errors import InputError


def open_backend(location: str | None) -> Backend:
    if not location:
        raise InputError("no repository given: use -r/--repo or SNAP_REPOSITORY")
    if location.startswith("s3:"):
        raise InputError("S3 repositories are not supported by this version yet")
    path = location.removeprefix("local:")
    return LocalBackend(Path(path).expanduser().absolute())
