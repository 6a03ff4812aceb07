"""`snap copy`: copy snapshots from another repository into this one."""

from __future__ import annotations

from pathlib import Path

import click

from snapstore.backend.location import open_backend
from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import bar_updater, emit_json, human_bytes, progress_bar, vars_of
from snapstore.cli.password import read_password
from snapstore.cli.repository_access import cache_dir
from snapstore.cli.snapshots import filter_options
from snapstore.cli.source_access import (
    open_source,
    open_source_backend,
    same_location,
    source_options,
)
from snapstore.copier import Copier, CopyOptions, CopyResult
from snapstore.copier.content_copier import DEFAULT_WORKERS
from snapstore.copier.options import BY_ID
from snapstore.copier.selection import Pair
from snapstore.errors import InputError
from snapstore.repository import Repository
from snapstore.repository.snapshot_filter import SnapshotFilter

SAME_REPOSITORY = "the source and the destination are the same repository"


@click.command("copy")
@click.argument("snapshots", nargs=-1)
@source_options
@filter_options
@click.option("-n", "--dry-run", is_flag=True, help="Only list what would be copied.")
@click.option("--workers", type=click.IntRange(1, 64), help="Threads that compress and encrypt (default: one per core).")
@command_options
def copy_command(
    options: GlobalOptions, snapshots: tuple[str, ...], from_repo: str | None,
    from_password_file: str | None, from_cache_dir: str | None, hosts: tuple[str, ...],
    tags: tuple[str, ...], paths: tuple[str, ...], dry_run: bool, workers: int | None,
) -> None:  # fmt: skip
    """Copy SNAPSHOTS (default: all, or those the filters keep) from --from-repo into the
    repository, storing only the data it lacks. Snapshots copied before are skipped."""
    source_backend = open_source_backend(from_repo)
    target_backend = open_backend(options.repo)
    if same_location(source_backend, target_backend):
        raise InputError(SAME_REPOSITORY)
    source_cache = Path(from_cache_dir).expanduser() if from_cache_dir else cache_dir(options)
    source = open_source(source_backend, from_password_file, source_cache)
    try:
        target = Repository.open(target_backend, read_password(options), cache_dir(options))
    except BaseException:
        source.close()
        raise
    try:
        if source.config.id == target.config.id:
            raise InputError(SAME_REPOSITORY)
        copy_options = CopyOptions(snapshots, SnapshotFilter(hosts, tags, paths), dry_run)
        result = _run(source, target, copy_options, options, workers or DEFAULT_WORKERS)
    finally:
        target.close()
        source.close()
    _report(result, options)


def _run(source: Repository, target: Repository, copy_options: CopyOptions,
         options: GlobalOptions, workers: int) -> CopyResult:  # fmt: skip
    bar = progress_bar(not options.quiet and not options.as_json, None, "B")
    progress = bar_updater(bar, lambda c: c.bytes_processed)

    def announce(pair: Pair) -> None:
        if options.verbose:
            click.echo(f"copying snapshot {pair[0][:8]} of {pair[1].hostname}", err=True)

    try:
        copier = Copier(source, target, copy_options, on_progress=progress, on_snapshot=announce,
                        workers=workers)  # fmt: skip
        return copier.run()
    finally:
        if bar is not None:
            bar.close()


def _report(result: CopyResult, options: GlobalOptions) -> None:
    c = result.counters
    if options.as_json:
        emit_json({
            "mode": result.mode, "dry_run": result.dry_run,
            "copied": [{"source_id": s.source_id, "snapshot_id": s.target_id} for s in result.copied],
            "skipped": [{"source_id": s.source_id, "snapshot_id": s.target_id} for s in result.skipped],
            **vars_of(c),
        })  # fmt: skip
        return
    if options.quiet:
        return
    for s in result.skipped:
        click.echo(f"snapshot {s.source_id[:8]} is already here as {s.target_id[:8] if s.target_id else '?'}")
    for s in result.copied:
        target = f" as {s.target_id[:8]}" if s.target_id else ""
        click.echo(f"{'would copy' if result.dry_run else 'copied'} snapshot {s.source_id[:8]}{target}")
    click.echo(f"Snapshots: {c.snapshots_copied} {'to copy' if result.dry_run else 'copied'}, "
               f"{c.snapshots_skipped} already here")  # fmt: skip
    if result.dry_run:
        click.echo("dry run: nothing was stored")
        return
    how = "by id (same content keys)" if result.mode == BY_ID else "re-chunked for this repository"
    click.echo(f"Files: {c.files} ({c.files_reused} taken from earlier copies), data {how}")
    click.echo(f"Read from the source: {c.blobs_read} blobs, {human_bytes(c.bytes_read)}")
    click.echo(f"Added: {c.data_blobs_added} data blobs, {c.tree_blobs_added} tree blobs, "
               f"{human_bytes(c.bytes_added)} ({human_bytes(c.bytes_stored)} stored)")  # fmt: skip
