"""The stream options of `snap backup`: `--stdin`, `--stdin-from-command -- COMMAND...`,
`--db URL`; they become stream sources (snapstore.sources) stored as files of the snapshot."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from snapstore.archiver.streams import StreamSource, path_parts
from snapstore.cli.options import GlobalOptions
from snapstore.cli.repository_access import cache_dir
from snapstore.errors import InputError, StreamError
from snapstore.repository.repository import default_cache_dir
from snapstore.sources import CommandSource, DumpSettings, StdinSource, database_source

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_STDIN_NAME = "stdin"
LABEL_WIDTH = 60


@dataclass(frozen=True)
class StreamRequest:
    from_stdin: bool
    stdin_filename: str | None
    from_command: bool
    db_urls: tuple[str, ...]
    db_format: str
    db_temp_dir: Path | None


def stream_options(func: F) -> F:
    options = [
        click.option("--stdin", "from_stdin", is_flag=True, help="Store standard input as one file."),
        click.option("--stdin-filename", help=f"Its path in the snapshot (default: /{DEFAULT_STDIN_NAME})."),
        click.option("--stdin-from-command", "from_command", is_flag=True,
                     help="Run the command given after -- and store its output (no snapshot if it fails)."),
        click.option("--db", "db_urls", multiple=True, metavar="URL",
                     help="Back up a database: sqlite:///PATH, postgresql://, mysql://, redis:// (repeatable)."),
        click.option("--db-format", type=click.Choice(["plain", "custom"]), default="plain",
                     help="pg_dump format for postgresql:// (default plain SQL)."),
        click.option("--db-temp-dir", type=click.Path(path_type=Path),
                     help="Folder for SQLite copies and Redis snapshots (default: the cache folder's tmp)."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def stream_sources(
    request: StreamRequest, arguments: tuple[Path, ...], options: GlobalOptions
) -> tuple[tuple[Path, ...], tuple[StreamSource, ...]]:
    """The paths to walk and the stream sources of a backup. With --stdin-from-command the
    arguments are the command, not paths."""
    sources: list[StreamSource] = []
    paths = arguments
    if request.from_stdin and request.from_command:
        raise click.UsageError("--stdin and --stdin-from-command exclude each other")
    if request.stdin_filename is not None and not (request.from_stdin or request.from_command):
        raise click.UsageError("--stdin-filename goes with --stdin or --stdin-from-command")
    snapshot_path = "/" + (request.stdin_filename or DEFAULT_STDIN_NAME).strip("/")
    if request.from_stdin or request.from_command:
        path_parts(snapshot_path)  # a bad name fails before anything runs
    if request.from_stdin:
        if sys.stdin.isatty():
            raise InputError("--stdin: standard input is a terminal; pipe the data in")
        sources.append(StdinSource(snapshot_path=snapshot_path))
    if request.from_command:
        if not arguments:
            raise click.UsageError("--stdin-from-command needs a command: ... -- COMMAND ARGS...")
        argv = tuple(str(a) for a in arguments)
        label = shlex.join(argv)
        label = label if len(label) <= LABEL_WIDTH else label[: LABEL_WIDTH - 3] + "..."
        sources.append(CommandSource(snapshot_path=snapshot_path, argv=argv, label=f"command {label}"))
        paths = ()
    temp_dir = request.db_temp_dir or (cache_dir(options) or default_cache_dir()) / "tmp"
    settings = DumpSettings(postgresql_format=request.db_format, temp_dir=temp_dir)
    sources += [database_source(url, settings) for url in request.db_urls]
    return paths, tuple(sources)


def show_failure_details(error: StreamError) -> None:
    """The last lines the failed program wrote to stderr, before the one-line error."""
    if error.details:
        click.echo("snap: the failed program's last lines on stderr:", err=True)
        for line in error.details:
            click.echo(f"  | {line}", err=True)
