"""Opening the repository a command names, with the password from the usual sources."""

from __future__ import annotations

from pathlib import Path

from snapstore.backend.location import open_backend
from snapstore.cli.options import GlobalOptions
from snapstore.cli.password import read_password
from snapstore.repository import Repository


def cache_dir(options: GlobalOptions) -> Path | None:
    return Path(options.cache_dir).expanduser() if options.cache_dir else None


def open_repository(options: GlobalOptions) -> Repository:
    backend = open_backend(options.repo)
    return Repository.open(backend, read_password(options), cache_dir(options))
