"""`snap init`: create a repository."""

from __future__ import annotations

import click

from snapstore.backend.location import open_backend
from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import emit_json
from snapstore.cli.password import read_password
from snapstore.cli.repository_access import cache_dir
from snapstore.repository import Repository


@click.command("init")
@command_options
def init_command(options: GlobalOptions) -> None:
    """Create a new, empty, encrypted repository."""
    backend = open_backend(options.repo)
    repo = Repository.init(backend, read_password(options, confirm=True), cache_dir(options))
    if options.as_json:
        emit_json({"id": repo.config.id, "repository": backend.location})
    elif not options.quiet:
        click.echo(f"created repository {repo.config.id[:10]} at {backend.location}")
        click.echo("Keep the password safe: without it the data cannot be recovered.", err=True)
    repo.close()
