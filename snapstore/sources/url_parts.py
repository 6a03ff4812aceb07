"""What every database kind reads from its URL, and the settings all dumps share. Passwords in
URLs never reach a command line or a message (`redact_url`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit


@dataclass(frozen=True)
class DumpSettings:
    postgresql_format: str = "plain"  # pg_dump --format; a URL's ?format= wins
    temp_dir: Path | None = None  # where SQLite copies and Redis snapshots are made
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)


def redact_url(url: str) -> str:
    """The URL with its password, if any, replaced by `***`."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:
        return url.partition(":")[0] + ":..."
    user, _, host = parts.netloc.rpartition("@")
    name = user.partition(":")[0]
    return parts._replace(netloc=f"{name}:***@{host}").geturl()


def host_folder(parts: SplitResult) -> str:
    """The folder naming a server in snapshot paths: host and port as the URL writes them, or
    `local` when the URL names none (a Unix socket)."""
    written = unquote(parts.netloc.rpartition("@")[2])
    if not parts.hostname or written.startswith("/"):
        return "local"
    return written.lower()


def database_name(parts: SplitResult) -> str:
    return unquote(parts.path.lstrip("/"))


def child_env(settings: DumpSettings, **extra: str | None) -> dict[str, str]:
    """The environment of a dump tool: snap's own, plus `extra` where given."""
    env = dict(settings.env)
    env.update({name: value for name, value in extra.items() if value is not None})
    return env
