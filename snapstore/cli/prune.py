"""`snap prune` and `snap unlock`: reclaim space, and clear locks left by dead processes."""

from __future__ import annotations

from datetime import timedelta

import click

from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import emit_json, human_bytes, vars_of
from snapstore.cli.repository_access import open_repository
from snapstore.errors import InputError
from snapstore.gc import PruneOptions, PruneReport, prune
from snapstore.gc.safety import DEFAULT_MAX_UNUSED, GRACE_PERIOD
from snapstore.repository import Repository
from snapstore.repository.locks import remove_stale_locks, utc_now
from snapstore.retention import parse_duration


def parse_share(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise InputError(f"--max-unused {text!r}: give a percentage such as 5%") from None
    if not 0 <= value <= 1:
        raise InputError(f"--max-unused {text!r} must be between 0% and 100%")
    return value


def parse_grace(text: str | None) -> timedelta:
    if text is None:
        return GRACE_PERIOD
    try:
        duration = parse_duration(text)
    except ValueError as error:
        raise InputError(f"--grace: {error}") from None
    if duration.years or duration.months:
        raise InputError("--grace takes days and hours (for example 1d or 6h)")
    return timedelta(days=duration.days, hours=duration.hours)


def prune_options(func):  # type: ignore[no-untyped-def]
    func = click.option("--max-unused", default=f"{DEFAULT_MAX_UNUSED:.0%}", show_default=True,
                        help="Garbage tolerated before packs are repacked (share of the repository).")(func)  # fmt: skip
    return click.option("--grace", help="Time a marked pack waits before deletion (default 1h).")(func)


def parse_prune_options(max_unused: str, grace: str | None, dry_run: bool) -> PruneOptions:
    return PruneOptions(max_unused=parse_share(max_unused), dry_run=dry_run, grace=parse_grace(grace))


def run_prune(repo: Repository, options: PruneOptions) -> PruneReport:
    return prune(repo, options)


def show_prune(report: PruneReport) -> None:
    verb = "would" if report.dry_run else "will"
    click.echo(f"{report.snapshots} snapshots, {report.packs} packs ({human_bytes(report.pack_bytes)})")
    click.echo(f"deleted now: {report.deleted_packs} packs, {human_bytes(report.deleted_bytes)}"
               if not report.dry_run else
               f"would delete now: {report.deleted_packs} packs, {human_bytes(report.deleted_bytes)}")
    click.echo(f"marked for deletion: {report.marked_packs} packs, {human_bytes(report.marked_bytes)} "
               f"({verb} be freed by a prune after the grace period)")
    if report.repacked_packs:
        click.echo(f"repacked {report.repacked_packs} packs, copying {report.copied_blobs} blobs "
                   f"({human_bytes(report.copied_bytes)})")
    if report.waiting_packs:
        click.echo(f"waiting in the trash: {report.waiting_packs} packs, {human_bytes(report.waiting_bytes)}")
    if report.rescued_packs:
        click.echo(f"taken back out of the trash (in use again): {report.rescued_packs} packs")


@click.command("prune")
@prune_options
@click.option("-n", "--dry-run", is_flag=True, help="Report what would be freed; change nothing.")
@command_options
def prune_command(options: GlobalOptions, max_unused: str, grace: str | None, dry_run: bool) -> None:
    """Remove data no snapshot needs, without blocking backups on other hosts."""
    settings = parse_prune_options(max_unused, grace, dry_run)  # bad values fail first
    repo = open_repository(options)
    try:
        report = run_prune(repo, settings)
    finally:
        repo.close()
    if options.as_json:
        emit_json(vars_of(report))
    elif not options.quiet:
        show_prune(report)


@click.command("unlock")
@command_options
def unlock_command(options: GlobalOptions) -> None:
    """Remove stale locks (owner gone, or not refreshed for 30 minutes)."""
    repo = open_repository(options)
    try:
        removed = remove_stale_locks(repo.backend, utc_now())
    finally:
        repo.close()
    if options.as_json:
        emit_json([{"name": lock.name, "description": lock.describe()} for lock in removed])
    elif not options.quiet:
        for lock in removed:
            click.echo(f"removed stale {lock.describe()}")
        click.echo(f"{len(removed)} stale locks removed")
