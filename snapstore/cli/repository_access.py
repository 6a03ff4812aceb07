"""Opening the repository a command names, with the password from the usual sources."""

from __future__ import annotations

from pathlib import Path

import click

from snapstore.backend.location import open_backend
from snapstore.cli.options import GlobalOptions
from snapstore.cli.password import read_password
from snapstore.index import SyncReport
from snapstore.repository import Repository


def cache_dir(options: GlobalOptions) -> Path | None:
    return Path(options.cache_dir).expanduser() if options.cache_dir else None


def open_repository(options: GlobalOptions) -> Repository:
    backend = open_backend(options.repo)
    repo = Repository.open(backend, read_password(options), cache_dir(options))
    if options.verbose:
        click.echo(f"index cache: {_sync_text(repo.sync_report)}", err=True)
    return repo


def _sync_text(report: SyncReport) -> str:
    if report.rebuilt:
        return f"rebuilt from {report.merged} index files"
    return f"{report.merged} new index files merged"
