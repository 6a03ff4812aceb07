"""`snap restore`: recreate a snapshot under a target folder."""

from __future__ import annotations

from pathlib import Path

import click

from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import bar_updater, emit_json, human_bytes, progress_bar, vars_of, warn
from snapstore.cli.repository_access import open_repository
from snapstore.cli.snapshots import filter_options
from snapstore.repository.snapshot_filter import SnapshotFilter, find_snapshot
from snapstore.restorer import RestoreOptions, Restorer
from snapstore.restorer.content_writer import DEFAULT_READERS


@click.command("restore")
@click.argument("snapshot")
@click.option("-t", "--target", required=True, type=click.Path(path_type=Path), help="Folder to restore into.")
@click.option("-i", "--include", "includes", multiple=True, help="Restore only paths matching.")
@click.option("-e", "--exclude", "excludes", multiple=True, help="Leave out paths matching.")
@click.option("--verify", is_flag=True, help="Reread restored files and compare chunk ids.")
@click.option("--read-concurrency", type=click.IntRange(1, 64), default=DEFAULT_READERS, show_default=True, help="Packs read at once.")
@filter_options
@command_options
def restore_command(
    options: GlobalOptions, snapshot: str, target: Path, includes: tuple[str, ...],
    excludes: tuple[str, ...], verify: bool, read_concurrency: int, hosts: tuple[str, ...], tags: tuple[str, ...],
    paths: tuple[str, ...],
) -> None:  # fmt: skip
    """Restore SNAPSHOT (an id, a unique id prefix, or `latest`) into --target."""
    repo = open_repository(options)
    try:
        snapshot_id, snap = find_snapshot(
            repo.list_snapshots(), snapshot, SnapshotFilter(hosts, tags, paths)
        )
        bar = progress_bar(not options.quiet, None, "file")
        restorer = Restorer(
            repo, snap, RestoreOptions(target, includes, excludes, verify),
            on_progress=bar_updater(bar, lambda r: r.files + r.other), readers=read_concurrency,
        )  # fmt: skip
        result = restorer.run()
        if bar is not None:
            bar.close()
    finally:
        repo.close()
    for message in result.warnings:
        warn(message)
    if options.as_json:
        emit_json({"snapshot_id": snapshot_id, **vars_of(result)})
    elif not options.quiet:
        click.echo(
            f"restored snapshot {snapshot_id[:8]} to {target}: {result.files} files, "
            f"{result.dirs} folders, {result.other} other, {human_bytes(result.bytes_written)}"
            + (f", {result.verified_files} verified" if verify else "")
        )
