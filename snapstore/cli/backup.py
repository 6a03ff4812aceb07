"""`snap backup`: back up files and folders into a new snapshot."""

from __future__ import annotations

import getpass
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from snapstore.archiver import Archiver, BackupOptions, BackupResult, Counters, ExcludeRules
from snapstore.archiver.chunk_pipeline import DEFAULT_WORKERS
from snapstore.archiver.size_scan import scan_total
from snapstore.cli.backup_streams import (
    StreamRequest,
    show_failure_details,
    stream_options,
    stream_sources,
)
from snapstore.cli.exit_codes import PARTIAL
from snapstore.cli.metrics import metrics_option, note_backup
from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import bar_updater, emit_json, human_bytes, progress_bar, vars_of, warn
from snapstore.cli.repository_access import open_repository
from snapstore.errors import InputError, StreamError
from snapstore.model import Snapshot
from snapstore.repository.snapshot_filter import latest_with_same_paths


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--time {value!r} is not an RFC 3339 time") from None
    return moment if moment.tzinfo else moment.astimezone()


@click.command("backup")
@metrics_option
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--tag", "tags", multiple=True, help="Tag the snapshot (repeatable, or a,b).")
@click.option("--host", help="Host name to record (default: this machine's).")
@click.option("-e", "--exclude", "excludes", multiple=True, help="Exclude a glob pattern.")
@click.option("--exclude-file", "exclude_files", multiple=True, help="Read patterns from a file.")
@click.option("--exclude-caches", is_flag=True, help="Skip folders with a CACHEDIR.TAG.")
@click.option("-x", "--one-file-system", is_flag=True, help="Stay on the paths' file systems.")
@click.option("--time", "time_text", help="Snapshot time (RFC 3339) instead of now.")
@click.option("-n", "--dry-run", is_flag=True, help="Read and report, store nothing.")
@click.option("-f", "--force", is_flag=True, help="Reread every file, ignoring the parent.")
@click.option("--parent", help="Snapshot id to compare with (default: latest of same host/paths).")
@click.option("--workers", type=click.IntRange(1, 64), help="Threads that compress and encrypt (default: one per core).")
@stream_options
@command_options
def backup_command(
    options: GlobalOptions, paths: tuple[Path, ...], tags: tuple[str, ...], host: str | None,
    excludes: tuple[str, ...], exclude_files: tuple[str, ...], exclude_caches: bool,
    one_file_system: bool, time_text: str | None, dry_run: bool, force: bool, parent: str | None,
    workers: int | None, from_stdin: bool, stdin_filename: str | None, from_command: bool,
    db_urls: tuple[str, ...], db_format: str, db_temp_dir: Path | None,
) -> None:  # fmt: skip
    """Back up PATHS, standard input, a command's output (--stdin-from-command -- COMMAND ARGS)
    and databases (--db URL) into a new snapshot."""
    request = StreamRequest(from_stdin, stdin_filename, from_command, db_urls, db_format, db_temp_dir)
    paths, streams = stream_sources(request, paths, options)
    if not paths and not streams:
        raise click.UsageError("nothing to back up: give PATHS, --stdin, --stdin-from-command or --db")
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise InputError(f"{path} does not exist")
        try:
            str(path.absolute()).encode("utf-8")
        except UnicodeEncodeError:
            # Snapshot paths are text in the format; names below them may be any bytes.
            raise InputError(f"{os.fsencode(path)!r}: a backup path must be valid UTF-8 "
                             "(back up its parent folder instead)") from None
    try:
        rules = ExcludeRules.from_sources(excludes, exclude_files, exclude_caches)
    except OSError as error:
        raise InputError(f"cannot read exclude file: {error}") from None
    backup = BackupOptions(
        paths=tuple(Path(os.path.abspath(p)) for p in paths),  # normalized, as recorded
        hostname=host or socket.gethostname(),
        username=getpass.getuser(),
        tags=tuple(t for group in tags for t in group.split(",") if t),
        excludes=rules.patterns, exclude_caches=exclude_caches, one_file_system=one_file_system,
        time=_parse_time(time_text), dry_run=dry_run, force=force, streams=streams,
    )  # fmt: skip
    repo = open_repository(options)
    try:
        snapshots = repo.list_snapshots()
        parent_pair: tuple[str, Snapshot] | None
        if parent:
            from snapstore.repository.snapshot_filter import find_snapshot

            parent_pair = find_snapshot(snapshots, parent)
        else:
            parent_pair = latest_with_same_paths(snapshots, backup.hostname, backup.recorded_paths())
        bar = progress_bar(not options.quiet, None, "B")
        if bar is not None and not backup.streams:  # a stream's size is known only at its end
            _estimate_in_background(backup, rules, bar)
        progress = bar_updater(bar, lambda c: c.total_bytes_processed)
        if options.verbose:
            progress = _verbose(progress)
        archiver = Archiver(repo, backup, rules, None if force else parent_pair,
                            on_progress=progress, workers=workers or DEFAULT_WORKERS)
        try:
            result = archiver.run()
        except StreamError as error:
            if bar is not None:
                bar.close()
            show_failure_details(error)
            raise
        if bar is not None:
            bar.close()
        note_backup(result, repo)
    finally:
        repo.close()
    _report(result, options)
    if result.warnings:
        raise SystemExit(PARTIAL)


def _estimate_in_background(backup: BackupOptions, rules: ExcludeRules, bar: Any) -> None:
    """Give the progress bar a total (and so an ETA) as soon as a quick walk has one."""

    def set_total(total: int) -> None:
        bar.total = total
        bar.refresh()

    paths = [str(p) for p in backup.paths]
    threading.Thread(target=scan_total, args=(paths, rules, set_total), daemon=True).start()


def _verbose(inner: Callable[[Counters, str], None] | None) -> Callable[[Counters, str], None]:
    """-v: name each file as it is processed, on stderr (a stream reports progress at every
    block it reads: named once)."""
    last = [""]

    def show(counters: Counters, path: str) -> None:
        if path != last[0]:
            click.echo(path, err=True)
            last[0] = path
        if inner is not None:
            inner(counters, path)

    return show


def _report(result: BackupResult, options: GlobalOptions) -> None:
    for message in result.warnings:
        warn(message)
    c = result.counters
    if options.as_json:
        emit_json({"snapshot_id": result.snapshot_id, "parent": result.parent_id,
                   "dry_run": result.snapshot_id is None, "paths": list(result.snapshot.paths),
                   "tags": list(result.snapshot.tags), **vars_of(c)})
        return
    if options.quiet:
        return
    if result.parent_id:
        click.echo(f"using parent snapshot {result.parent_id[:8]}")
    click.echo(f"Files: {c.files_new} new, {c.files_changed} changed, {c.files_unmodified} unmodified")
    click.echo(f"Dirs:  {c.dirs_new} new, {c.dirs_changed} changed, {c.dirs_unmodified} unmodified")
    click.echo(f"Added to the repository: {human_bytes(c.data_added)} "
               f"({human_bytes(c.data_added_packed)} stored)")
    click.echo(f"processed {c.total_files_processed} files, {human_bytes(c.total_bytes_processed)}")
    if result.snapshot_id:
        click.echo(f"snapshot {result.snapshot_id[:8]} saved")
    else:
        click.echo("dry run: nothing was stored")
