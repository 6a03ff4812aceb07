"""Repository locations: turn what the user typed into a backend.

`/path`, `./path` or `local:/path` is a local folder (also a NAS mount). `s3:...` is S3; its
backend module, and boto3 with it, is imported only when such a location is used:

- `s3:http(s)://host[:port]/bucket[/prefix]`: an S3-compatible server (MinIO, SeaweedFS, ...);
- `s3:bucket[/prefix]`: AWS, region from AWS_DEFAULT_REGION (or the AWS config files).

Credentials come from the standard AWS chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the
shared credentials file, instance roles), never from the location, so it is safe to print.
The S3 backend is always opened with create_bucket=True: a missing bucket is created (so that
`snap init` works on a fresh bucket); one HEAD per open is the cost.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from snapstore.backend.base import Backend
from snapstore.backend.local import LocalBackend
from snapstore.errors import InputError


def open_backend(location: str | None) -> Backend:
    if not location:
        raise InputError("no repository given: use -r/--repo or SNAP_REPOSITORY")
    if location.startswith("s3:"):
        return _open_s3(location.removeprefix("s3:"))
    path = location.removeprefix("local:")
    return LocalBackend(Path(path).expanduser().absolute())


def _open_s3(rest: str) -> Backend:
    endpoint_url: str | None = None
    path = rest
    if rest.startswith(("http://", "https://")):
        parts = urlsplit(rest)
        if not parts.netloc:
            raise InputError(f"S3 location s3:{rest} has no host")
        endpoint_url = f"{parts.scheme}://{parts.netloc}"
        path = parts.path
    bucket, _, prefix = path.strip("/").partition("/")
    if not bucket:
        raise InputError(
            f"S3 location s3:{rest} names no bucket: use s3:bucket[/prefix] or "
            "s3:http(s)://host[:port]/bucket[/prefix]"
        )
    # Imported here so that only S3 users pay for loading boto3.
    from snapstore.backend.s3 import S3Backend

    try:
        return S3Backend(endpoint_url, bucket, prefix.strip("/"), create_bucket=True)
    except ValueError as error:
        raise InputError(f"invalid S3 location s3:{rest}: {error}") from error
