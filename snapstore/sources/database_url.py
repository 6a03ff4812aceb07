"""Database URLs of `snap backup --db`: the kind is the scheme, and each kind's module turns the
URL into a stream source."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import SplitResult, urlsplit

from snapstore.archiver.streams import StreamSource
from snapstore.errors import InputError
from snapstore.sources.mysql import mysql_source
from snapstore.sources.postgresql import postgresql_source
from snapstore.sources.redis import redis_source
from snapstore.sources.sqlite import sqlite_source
from snapstore.sources.url_parts import DumpSettings, redact_url

_BUILDERS: dict[str, Callable[[str, SplitResult, DumpSettings], StreamSource]] = {
    "sqlite": sqlite_source,
    "postgresql": postgresql_source,
    "postgres": postgresql_source,
    "mysql": mysql_source,
    "mariadb": mysql_source,
    "redis": redis_source,
    "rediss": redis_source,
}


def database_source(url: str, settings: DumpSettings) -> StreamSource:
    """The source for one `--db URL`; InputError for an unknown kind, a malformed URL or a
    missing client tool."""
    scheme, colon, _ = url.partition(":")
    builder = _BUILDERS.get(scheme.lower())
    if builder is None or not colon:
        raise InputError(f"--db {redact_url(url)}: not a database URL (sqlite:///PATH, "
                         "postgresql://..., mysql://..., redis://...)")  # fmt: skip
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as error:
        raise InputError(f"--db {redact_url(url)}: {error}") from None
    return builder(url, parts, settings)
