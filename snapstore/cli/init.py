"""`snap init`: create a repository."""

from __future__ import annotations

from pathlib import Path

import click

from snapstore.backend.location import open_backend
from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import emit_json
from snapstore.cli.password import read_password
from snapstore.cli.repository_access import cache_dir
from snapstore.cli.source_access import open_source, open_source_backend, source_options
from snapstore.repository import Repository, RepositoryConfig


@click.command("init")
@click.option("--compression-level", type=click.IntRange(0, 19), default=3, show_default=True,
              help="zstd level for new data (0: store uncompressed).")
@click.option("--pack-size", "pack_size_mib", type=click.IntRange(4, 512), default=16,
              show_default=True, help="Target pack size in MiB.")
@source_options
@command_options
def init_command(
    options: GlobalOptions, compression_level: int, pack_size_mib: int, from_repo: str | None,
    from_password_file: str | None, from_cache_dir: str | None,
) -> None:  # fmt: skip
    """Create a new, empty, encrypted repository. With --from-repo, it adopts that repository's
    chunker parameters and content keys, so `snap copy` between them copies blobs by id."""
    backend = open_backend(options.repo, create=True)
    config = RepositoryConfig(compression_level=compression_level, pack_size=pack_size_mib << 20)
    if from_repo:
        source_cache = Path(from_cache_dir).expanduser() if from_cache_dir else cache_dir(options)
        source = open_source(open_source_backend(from_repo), from_password_file, source_cache)
        try:
            config = config.adopting(source.config, source.master.content_keys)
        finally:
            source.close()
    password = read_password(options, confirm=True)
    repo = Repository.init(backend, password, cache_dir(options), config=config)
    if options.as_json:
        emit_json({"id": repo.config.id, "repository": backend.location})
    elif not options.quiet:
        click.echo(f"created repository {repo.config.id[:10]} at {backend.location}")
        click.echo("Keep the password safe: without it the data cannot be recovered.", err=True)
    repo.close()
