"""`snap drill`: a restore drill. One snapshot is restored into a scratch folder, every file
verified against the snapshot's chunk ids and metadata, databases checked, the time of each
phase measured (restore + verify + database checks: the recovery time), a report printed, and
the scratch folder removed. The exit code is 1 on any failure."""

from __future__ import annotations

import random
import socket
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from snapstore.cli import config_file
from snapstore.cli.environment import environment
from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import emit_json, human_bytes, vars_of, warn
from snapstore.cli.password import password_given, read_password_from
from snapstore.cli.repository_access import open_repository
from snapstore.cli.snapshots import filter_options
from snapstore.drill import DatabaseCheck, DrillOptions, DrillReport, run_drill
from snapstore.errors import InputError, IntegrityError
from snapstore.model import Snapshot
from snapstore.profiles import Profile, load_config
from snapstore.repository.snapshot_filter import SnapshotFilter, find_snapshot
from snapstore.restorer.content_writer import DEFAULT_READERS


@click.command("drill")
@click.argument("snapshot", metavar="[PROFILE|SNAPSHOT]", default="latest")
@click.option("--random", "pick_random", is_flag=True, help="Drill a snapshot chosen at random.")
@click.option("--seed", type=int, help="Seed of the --random choice (default: unpredictable).")
@click.option(
    "--target-dir",
    type=click.Path(path_type=Path),
    help="Folder in which the scratch folder is made (default: the temporary folder).",
)
@click.option("--keep", is_flag=True, help="Keep the scratch folder (and say where it is).")
@click.option(
    "--pg-url",
    metavar="URL",
    envvar="SNAP_DRILL_PG_URL",
    help="PostgreSQL server on which dumps are restored into a scratch database.",
)
@click.option(
    "--read-concurrency",
    type=click.IntRange(1, 64),
    default=DEFAULT_READERS,
    show_default=True,
    help="Packs read at once.",
)
@filter_options
@config_file.config_option
@command_options
def drill_command(
    options: GlobalOptions, snapshot: str, pick_random: bool, seed: int | None,
    target_dir: Path | None, keep: bool, pg_url: str | None, read_concurrency: int,
    hosts: tuple[str, ...], tags: tuple[str, ...], paths: tuple[str, ...],
    config_path: Path | None,
) -> None:  # fmt: skip
    """Restore SNAPSHOT (an id, a unique prefix, default: latest), or the latest snapshot of
    PROFILE (from the configuration file, in its repository), into a scratch folder, verify
    it, check its databases, time it, report, clean up; exit 1 on any failure."""
    where = SnapshotFilter(hosts, tags, paths)
    drill = DrillOptions(target_dir, keep, pg_url, read_concurrency)
    with ExitStack() as stack:
        profile = _profile_named(snapshot, config_path)
        if profile is not None:
            options, where = _profile_scope(profile, options, where, stack)
            snapshot = "latest"
        repo = open_repository(options)
        try:
            snapshot_id, chosen = _choose(repo.list_snapshots(), snapshot, where, pick_random, seed)
            report = run_drill(repo, snapshot_id, chosen, drill)
        finally:
            repo.close()
    for message in report.warnings:
        warn(message)
    if options.as_json:
        emit_json(_document(report, chosen))
    elif not options.quiet:
        click.echo(_text(report, chosen))
    if not report.ok:
        count = report.problems_total
        raise IntegrityError(
            f"drill of snapshot {snapshot_id[:8]} failed: {count} problem{'s' if count != 1 else ''}"
            f" (first: {report.problems[0] if report.problems else 'a phase failed'})"
        )


def _profile_named(name: str, given: Path | None) -> Profile | None:
    """The profile NAME of the configuration file, if there is a file and it has one."""
    if name == "latest":
        return None
    path = config_file.config_path(given)
    if given is None and not path.exists():
        return None
    return load_config(path).profiles.get(name)


def _profile_scope(
    profile: Profile, options: GlobalOptions, where: SnapshotFilter, stack: ExitStack
) -> tuple[GlobalOptions, SnapshotFilter]:
    """The profile's repository, password and environment; its snapshots as `snap run`'s
    forget sees them (its host and its tags), unless filters were given."""
    stack.enter_context(environment(dict(profile.environment)))
    source = profile.password
    password = read_password_from(source.file, source.command, source.env)
    if password is not None:
        stack.enter_context(password_given(password))
    options = replace(options, repo=profile.repository,
                      cache_dir=profile.cache_dir or options.cache_dir)  # fmt: skip
    hosts = where.hosts or (profile.host or socket.gethostname(),)
    tags = where.tags or ((",".join(profile.tags),) if profile.tags else ())
    return options, SnapshotFilter(hosts, tags, where.paths)


def _database_line(check: DatabaseCheck) -> str:
    mark = "skipped" if check.skipped else ("ok" if check.ok else "FAILED")
    return f"    {check.kind} {check.path}: {mark}: {check.detail}"


def _choose(
    snapshots: list[tuple[str, Snapshot]], ref: str, where: SnapshotFilter, pick_random: bool,
    seed: int | None,
) -> tuple[str, Snapshot]:  # fmt: skip
    if not pick_random:
        return find_snapshot(snapshots, ref, where)
    if ref != "latest":
        raise InputError("--random chooses the snapshot: give no SNAPSHOT with it")
    candidates = where.select(snapshots)
    if not candidates:
        raise InputError("no snapshot matches")
    return random.Random(seed).choice(candidates)


def _document(report: DrillReport, snapshot: Snapshot) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "snapshot_id": report.snapshot_id,
        "time": snapshot.time.isoformat(),
        "hostname": snapshot.hostname,
        "paths": list(snapshot.paths),
        "scratch": report.scratch,
        "kept": report.kept,
        "phases": [vars_of(phase) for phase in report.phases],
        "recovery_seconds": report.recovery_seconds,
        "total_seconds": report.total_seconds,
        "files": report.files,
        "dirs": report.dirs,
        "other": report.other,
        "bytes_restored": report.bytes_restored,
        "files_verified": report.files_verified,
        "entries_checked": report.entries_checked,
        "databases": [vars_of(check) for check in report.databases],
        "problems": report.problems,
        "problems_total": report.problems_total,
        "warnings": report.warnings,
    }


def _text(report: DrillReport, snapshot: Snapshot) -> str:
    when = snapshot.time.strftime("%Y-%m-%d %H:%M:%S")
    shown_paths = ", ".join(snapshot.paths)
    heading = (
        f"drill of snapshot {report.snapshot_id[:8]} ({snapshot.hostname}, {when}, {shown_paths})"
    )
    lines = [f"{heading} in {report.scratch}"]
    for phase in report.phases:
        mark = "ok" if phase.ok else "FAILED"
        lines.append(
            f"  {phase.name:<10} {phase.seconds:8.2f} s  {mark:<6} {phase.detail}".rstrip()
        )
        if phase.name == "databases":
            lines += [_database_line(check) for check in report.databases]
    for problem in report.problems:
        lines.append(f"  problem: {problem}")
    if report.problems_total > len(report.problems):
        lines.append(f"  ... and {report.problems_total - len(report.problems)} more problems")
    lines.append(
        f"restored {report.files} files, {human_bytes(report.bytes_restored)}; recovery time "
        f"(restore + verify + database checks): {report.recovery_seconds:.2f} s"
    )
    if report.kept:
        lines.append(f"scratch folder kept: {report.scratch}")
    lines.append("drill passed" if report.ok else "drill FAILED")
    return "\n".join(lines)
