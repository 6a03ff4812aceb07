"""Connection and retry settings of the S3 backend, and how `snap` reads them from the
environment (documented in README, "Repositories on S3")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from snapstore.backend.retrying import RetryPolicy
from snapstore.errors import InputError


@dataclass(frozen=True)
class S3Settings:
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    # Attempts of one HTTP request inside botocore before the error reaches the retry wrapper.
    request_attempts: int = 3
    # Enough connections for the uploader threads and the restorer's readers; botocore has 10.
    max_connections: int = 32
    # Objects above the threshold are uploaded in parts, in parallel; below it one PUT is cheaper.
    # Parts are at least 5 MiB on S3.
    multipart_threshold: int = 64 * 1024 * 1024
    multipart_chunk_size: int = 16 * 1024 * 1024
    multipart_concurrency: int = 4
    # Keys per LIST request (S3 gives at most 1000).
    list_page_size: int = 1000
    retry: RetryPolicy = field(default_factory=RetryPolicy)


# variable -> (field, type, minimum)
_VARIABLES: dict[str, tuple[str, type, float]] = {
    "SNAP_S3_CONNECT_TIMEOUT": ("connect_timeout", float, 0.1),
    "SNAP_S3_READ_TIMEOUT": ("read_timeout", float, 0.1),
    "SNAP_S3_REQUEST_ATTEMPTS": ("request_attempts", int, 1),
    "SNAP_S3_MAX_CONNECTIONS": ("max_connections", int, 1),
}
_RETRY_VARIABLES: dict[str, tuple[str, type, float]] = {
    "SNAP_S3_RETRIES": ("retries", int, 0),
    "SNAP_S3_RETRY_DELAY": ("base_delay", float, 0),
    "SNAP_S3_RETRY_MAX_DELAY": ("max_delay", float, 0),
}


def settings_from_environment(environ: Mapping[str, str]) -> S3Settings:
    """S3Settings with every SNAP_S3_* variable set in `environ` applied; a bad value is an
    InputError naming the variable."""
    values = _read(environ, _VARIABLES)
    retry = RetryPolicy(**_read(environ, _RETRY_VARIABLES))  # type: ignore[arg-type]
    return S3Settings(**values, retry=retry)  # type: ignore[arg-type]


def _read(
    environ: Mapping[str, str], variables: dict[str, tuple[str, type, float]]
) -> dict[str, float]:
    values: dict[str, float] = {}
    for variable, (name, kind, minimum) in variables.items():
        text = environ.get(variable)
        if text is None or not text.strip():
            continue
        try:
            value = kind(text)
        except ValueError:
            raise InputError(f"{variable}={text!r} is not a number") from None
        if value < minimum:
            raise InputError(f"{variable}={text!r} must be at least {minimum:g}")
        values[name] = value
    return values
