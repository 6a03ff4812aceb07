"""`snap repair index`: rebuild the index files from the packs."""

from __future__ import annotations

import click

from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import emit_json, vars_of, warn
from snapstore.cli.repository_access import open_repository
from snapstore.repository.index_rebuild import rebuild_index


@click.group("repair")
def repair_group() -> None:
    """Repair a damaged repository."""


@repair_group.command("index")
@command_options
def repair_index(options: GlobalOptions) -> None:
    """Rebuild the index files from the pack headers (the packs are the truth)."""
    repo = open_repository(options)
    try:
        report = rebuild_index(repo.backend, repo.sealer, repo.cache)
    finally:
        repo.close()
    for damaged in report.damaged_packs:
        warn(f"damaged pack skipped: {damaged}")
    if options.as_json:
        emit_json(vars_of(report))
    elif not options.quiet:
        click.echo(
            f"indexed {report.blobs} blobs in {report.packs} packs: wrote "
            f"{report.index_files_written} index files, removed {report.index_files_removed}"
        )
    if report.damaged_packs:
        raise SystemExit(1)
