"""The second repository a command reads from (`snap copy`, `snap init --from-repo`): its
location, password and cache, from `--from-*` options or `SNAP_FROM_*` variables, with the same
precedence as the main repository's."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from snapstore.backend import Backend
from snapstore.backend.location import open_backend
from snapstore.cli.password import _from_command, _from_file
from snapstore.errors import InputError
from snapstore.repository import Repository

F = TypeVar("F", bound=Callable[..., Any])


def source_options(func: F) -> F:
    options = [
        click.option("--from-repo", envvar="SNAP_FROM_REPOSITORY",
                     help="Repository to read from ($SNAP_FROM_REPOSITORY)."),
        click.option("--from-password-file", envvar="SNAP_FROM_PASSWORD_FILE",
                     help="Its password file ($SNAP_FROM_PASSWORD_FILE; also "
                          "$SNAP_FROM_PASSWORD_COMMAND, $SNAP_FROM_PASSWORD)."),
        click.option("--from-cache-dir", envvar="SNAP_FROM_CACHE_DIR",
                     help="Its index cache (default: the same cache folder as the repository)."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def read_source_password(password_file: str | None) -> bytes:
    if password_file:
        password = _from_file(password_file)
    elif os.environ.get("SNAP_FROM_PASSWORD_COMMAND"):
        password = _from_command(os.environ["SNAP_FROM_PASSWORD_COMMAND"])
    elif "SNAP_FROM_PASSWORD" in os.environ:
        password = os.environ["SNAP_FROM_PASSWORD"].encode()
    elif sys.stdin.isatty():
        password = click.prompt("source repository password", hide_input=True, err=True).encode()
    else:
        raise InputError(
            "no password for the source repository: use --from-password-file, "
            "SNAP_FROM_PASSWORD_FILE, SNAP_FROM_PASSWORD_COMMAND or SNAP_FROM_PASSWORD"
        )
    if not password:
        raise InputError("empty password for the source repository")
    return password


def open_source_backend(location: str | None) -> Backend:
    if not location:
        raise InputError("no source repository given: use --from-repo or SNAP_FROM_REPOSITORY")
    return open_backend(location)


def open_source(backend: Backend, password_file: str | None, cache: Path | None) -> Repository:
    return Repository.open(backend, read_source_password(password_file), cache)


def same_location(a: Backend, b: Backend) -> bool:
    if a.location.startswith("s3:") or b.location.startswith("s3:"):
        return a.location == b.location
    return os.path.realpath(a.location) == os.path.realpath(b.location)
