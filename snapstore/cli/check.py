"""`snap check`: verify the repository's structure and, with --read-data, its contents."""

from __future__ import annotations

import time
from typing import Any

import click

from snapstore.checker import CheckOptions, CheckReport, check_repository, parse_subset
from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import emit_json, human_bytes
from snapstore.cli.repository_access import open_repository
from snapstore.cli.snapshots import filter_options
from snapstore.errors import InputError, IntegrityError
from snapstore.repository.snapshot_filter import SnapshotFilter


@click.command("check")
@click.option("--read-data", is_flag=True, help="Also read every pack and verify every blob.")
@click.option(
    "--read-data-subset",
    "subset_text",
    metavar="N%|n/t",
    help="Read only N% of the packs (random), or slice n of t (1/7 .. 7/7 covers all).",
)
@click.option("--seed", type=int, help="Seed of the random choice of --read-data-subset N%.")
@click.option(
    "--max-age",
    metavar="AGE",
    help="Only check that the newest snapshot of each host and paths is younger than AGE "
    "(25h, 1d12h, 90m); exit 1 (WARNING) if not.",
)
@click.option(
    "--critical-age",
    metavar="AGE",
    help="With --max-age: exit 2 (CRITICAL) when older than AGE (default: twice --max-age).",
)
@filter_options
@command_options
def check_command(
    options: GlobalOptions, read_data: bool, subset_text: str | None, seed: int | None,
    max_age: str | None, critical_age: str | None, hosts: tuple[str, ...], tags: tuple[str, ...],
    paths: tuple[str, ...],
) -> None:  # fmt: skip
    """Check the repository: index, packs, snapshots and trees; exit 1 if anything is wrong.

    With --max-age, check only how old the newest snapshots are (a monitoring probe: one line,
    exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)."""
    if max_age is not None and (read_data or subset_text):
        raise InputError("--max-age reads no data: it does not go with --read-data")
    if max_age is not None:
        from snapstore.cli.freshness import run_freshness_check

        run_freshness_check(options, max_age, critical_age, SnapshotFilter(hosts, tags, paths))
    if critical_age or hosts or tags or paths:
        raise InputError("--critical-age, --host, --tag and --path go with --max-age")
    subset = parse_subset(subset_text) if subset_text else None
    # Time as the default seed: each run reads another sample; the JSON output records it.
    chosen_seed = seed if seed is not None else time.time_ns() % 2**32
    check = CheckOptions(read_data or subset is not None, subset, chosen_seed)
    repo = open_repository(options)
    try:
        report = check_repository(repo, check)
    finally:
        repo.close()
    if options.as_json:
        emit_json(_document(report, check))
    else:
        _print_text(report, check, options.quiet)
    if report.errors:
        raise IntegrityError(f"check found {_errors(report)} in the repository")


def _errors(report: CheckReport) -> str:
    count = len(report.errors)
    return f"{count} error{'s' if count != 1 else ''}"


def _document(report: CheckReport, check: CheckOptions) -> dict[str, Any]:
    return {
        "ok": not report.errors,
        "errors": [p.to_json() for p in report.errors],
        "info": [p.to_json() for p in report.info],
        "checked": report.counts(),
        "read_data": check.read_data,
        "subset": str(check.subset) if check.subset else None,
        "seed": check.seed if check.subset and check.subset.percent is not None else None,
    }


def _print_text(report: CheckReport, check: CheckOptions, quiet: bool) -> None:
    for problem in report.errors:
        click.echo(f"error: {problem.kind}: {problem.message}")
    if quiet:
        return
    for problem in report.info:
        click.echo(f"info: {problem.kind}: {problem.message}")
    click.echo(
        f"checked {report.index_files} index files, {report.packs} packs, {report.snapshots} "
        f"snapshots, {report.trees} trees, {report.data_blobs} data blobs"
    )
    if check.read_data:
        click.echo(
            f"read {report.packs_read} packs{_subset_text(check)}: {report.blobs_read} blobs "
            f"verified, {human_bytes(report.bytes_read)}"
        )
    click.echo(f"{_errors(report)} found" if report.errors else "no errors were found")


def _subset_text(check: CheckOptions) -> str:
    if check.subset is None:
        return ""
    if check.subset.percent is None:
        return f" (subset {check.subset})"
    return f" (subset {check.subset}, seed {check.seed})"
