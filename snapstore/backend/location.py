"""Repository locations: turn what the user typed into a backend.

`/path`, `./path` or `local:/path` is a local folder (also a NAS mount). `s3:...` is S3; its
backend module, and boto3 with it, is imported only when such a location is used:

- `s3:https://host[:port]/bucket[/prefix]`: an S3-compatible server (MinIO, SeaweedFS, ...);
  `http://` only to a loopback address, or anywhere with SNAP_S3_ALLOW_HTTP=1;
- `s3:bucket[/prefix]`: AWS, region from AWS_DEFAULT_REGION (or the AWS config files).

Credentials come from the standard AWS chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the
shared credentials file, instance roles), never from the location, so it is safe to print.
Timeouts and retries come from SNAP_S3_* variables (backend/s3/settings.py). Opening an S3
location costs one HEAD of the bucket; with `create=True` (`snap init`) a missing bucket is
created, otherwise it is a one-line error.

Every backend returned counts its requests (`requests`, backend/request_counter.py): S3 its HTTP
requests, a local folder one per operation through CountingBackend. S3 is wrapped in
RetryingBackend, which tries transient failures again with backoff; local errors are not
transient, so a local folder is not wrapped.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from snapstore.backend.base import Backend
from snapstore.backend.counting import CountingBackend
from snapstore.backend.local import LocalBackend
from snapstore.backend.retrying import RetryingBackend
from snapstore.errors import InputError


def open_backend(location: str | None, *, create: bool = False) -> Backend:
    if not location:
        raise InputError("no repository given: use -r/--repo or SNAP_REPOSITORY")
    if location.startswith("s3:"):
        return _open_s3(location.removeprefix("s3:"), create)
    path = location.removeprefix("local:")
    return CountingBackend(LocalBackend(Path(path).expanduser().absolute()))


@dataclass(frozen=True)
class S3Location:
    endpoint_url: str | None  # None: AWS
    bucket: str
    prefix: str


def parse_s3_location(rest: str, environ: Mapping[str, str] = os.environ) -> S3Location:
    """What follows `s3:` in a location. Plain http is allowed to loopback addresses only
    (credentials are never sent, requests are signed, but names, sizes and timing are visible
    on the wire), unless SNAP_S3_ALLOW_HTTP=1 says the network is trusted."""
    endpoint_url: str | None = None
    path = rest
    if rest.startswith(("http://", "https://")):
        parts = urlsplit(rest)
        if not parts.hostname:
            raise InputError(f"S3 location s3:{rest} has no host")
        trusted = _is_loopback(parts.hostname) or environ.get("SNAP_S3_ALLOW_HTTP") == "1"
        if parts.scheme == "http" and not trusted:
            raise InputError(
                f"S3 location s3:{rest} uses plain http to another machine: use https, or "
                "set SNAP_S3_ALLOW_HTTP=1 on a trusted network"
            )
        endpoint_url = f"{parts.scheme}://{parts.netloc}"
        path = parts.path
    bucket, _, prefix = path.strip("/").partition("/")
    if not bucket:
        raise InputError(
            f"S3 location s3:{rest} names no bucket: use s3:bucket[/prefix] or "
            "s3:https://host[:port]/bucket[/prefix]"
        )
    return S3Location(endpoint_url, bucket, prefix.strip("/"))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _open_s3(rest: str, create: bool) -> Backend:
    where = parse_s3_location(rest)
    # Imported here so that only S3 users pay for loading boto3.
    from snapstore.backend.s3 import S3Backend, settings_from_environment

    settings = settings_from_environment(os.environ)
    try:
        backend = S3Backend(
            where.endpoint_url, where.bucket, where.prefix, create_bucket=create, settings=settings
        )
    except ValueError as error:
        raise InputError(f"invalid S3 location s3:{rest}: {error}") from error
    return RetryingBackend(backend, settings.retry)
