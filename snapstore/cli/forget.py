"""`snap forget`: remove snapshots by a retention policy (restic's flags and semantics), and with
`--prune` reclaim the space they held."""

from __future__ import annotations

from typing import Any

import click

from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import emit_json, snapshot_json, table, vars_of
from snapstore.cli.prune import parse_prune_options, prune_options, run_prune, show_prune
from snapstore.cli.repository_access import open_repository
from snapstore.cli.snapshots import filter_options
from snapstore.errors import InputError
from snapstore.model import Snapshot
from snapstore.repository import layout
from snapstore.repository.snapshot_filter import SnapshotFilter
from snapstore.retention import UNLIMITED, Candidate, Policy, apply_policy, group_snapshots, parse_duration
from snapstore.retention.grouping import normalize_group_by

COUNTS = ["last", "hourly", "daily", "weekly", "monthly", "yearly"]
WINDOWS = ["within", "within-hourly", "within-daily", "within-weekly", "within-monthly", "within-yearly"]


def _count(text: str | None, flag: str) -> int:
    if text is None:
        return 0
    if text == "unlimited":
        return UNLIMITED
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"--keep-{flag} {text!r}: give a number or 'unlimited'") from None
    if value < 0:
        raise InputError(f"--keep-{flag} must not be negative")
    return value


def build_policy(keep: dict[str, Any]) -> Policy:
    try:
        names = [w.replace("-", "_") for w in WINDOWS]
        windows: dict[str, Any] = {n: parse_duration(keep[n]) if keep[n] else None for n in names}
    except ValueError as error:
        raise InputError(f"bad duration: {error}") from None
    tags = tuple(tuple(t for t in group.split(",") if t) for group in keep["tag"])
    counts: dict[str, Any] = {c: _count(keep[c], c) for c in COUNTS}
    return Policy(**counts, **windows, tags=tags)


def keep_options(func):  # type: ignore[no-untyped-def]
    for window in reversed(WINDOWS):
        func = click.option(f"--keep-{window}", window.replace("-", "_"), metavar="DURATION",
                            help=f"Keep snapshots {window.replace('-', ' ')} DURATION (e.g. 1y2m3d4h) of the newest.")(func)  # fmt: skip
    func = click.option("--keep-tag", "tag", multiple=True, help="Keep snapshots with these tags (a,b).")(func)
    for count in reversed(COUNTS):
        names = [f"--keep-{count}"] + (["--keep-latest"] if count == "last" else []) + (
            ["--keep-annual"] if count == "yearly" else [])  # fmt: skip
        func = click.option(*names, count, metavar="N", help=f"Keep the {count} N snapshots ('unlimited' for all).")(func)
    return func


@click.command("forget")
@click.argument("snapshot_ids", nargs=-1)
@keep_options
@filter_options
@click.option("--group-by", default="host,paths", show_default=True, help="Apply the policy per group of host, paths, tags.")
@click.option("-n", "--dry-run", is_flag=True, help="Show what would be removed; remove nothing.")
@click.option("--prune", "then_prune", is_flag=True, help="Prune after forgetting.")
@prune_options
@command_options
def forget_command(options: GlobalOptions, snapshot_ids: tuple[str, ...], hosts: tuple[str, ...],
                   tags: tuple[str, ...], paths: tuple[str, ...], group_by: str, dry_run: bool,
                   then_prune: bool, max_unused: str, grace: str | None, **keep: Any) -> None:  # fmt: skip
    """Remove snapshots: those named, or those a --keep-* policy does not keep."""
    policy = build_policy(keep)
    if policy.is_empty() and not snapshot_ids:
        raise InputError("no --keep-* rule given: refusing to forget every snapshot "
                         "(name snapshots to forget them explicitly)")  # fmt: skip
    # Checked before anything is removed: a bad --max-unused must not leave snapshots forgotten
    # and the prune not run.
    pruning = parse_prune_options(max_unused, grace, dry_run) if then_prune else None
    repo = open_repository(options)
    try:
        chosen = SnapshotFilter(hosts, tags, paths).select(repo.list_snapshots())
        groups = _decide(chosen, snapshot_ids, policy, group_by)
        if not dry_run:
            for group in groups:
                for item in group["remove"]:
                    repo.backend.remove(layout.snapshot_name(item["id"]))
        report = run_prune(repo, pruning) if pruning is not None else None
    finally:
        repo.close()
    if options.as_json:
        document: dict[str, Any] = {"dry_run": dry_run, "groups": groups}
        if report is not None:
            document["prune"] = vars_of(report)
        emit_json(document)
    elif not options.quiet:
        _show(groups, dry_run)
        if report is not None:
            show_prune(report)


def _decide(chosen: list[tuple[str, Snapshot]], ids: tuple[str, ...], policy: Policy,
            group_by: str) -> list[dict[str, Any]]:  # fmt: skip
    by_id = dict(chosen)
    if ids:
        named = [sid for sid in by_id if any(sid.startswith(p) for p in ids)]
        missing = [p for p in ids if not any(sid.startswith(p) for sid in by_id)]
        if missing:
            raise InputError(f"no snapshot with id {missing[0]}")
        return [{"group": {}, "keep": [], "remove": [snapshot_json(sid, by_id[sid]) for sid in named]}]
    candidates = [Candidate(sid, s.time, s.tags, s.hostname, s.paths) for sid, s in chosen]
    try:
        grouping = normalize_group_by(g for g in group_by.split(",") if g)
    except ValueError as error:
        raise InputError(str(error)) from None
    groups = []
    for key, members in group_snapshots(candidates, grouping).items():
        decision = apply_policy(members, policy)
        groups.append({
            "group": key.as_dict(),
            "keep": [{**snapshot_json(k.candidate.id, by_id[k.candidate.id]), "reasons": k.reasons}
                     for k in decision.keep],
            "remove": [snapshot_json(c.id, by_id[c.id]) for c in decision.remove],
        })  # fmt: skip
    return groups


def _show(groups: list[dict[str, Any]], dry_run: bool) -> None:
    removed = 0
    for group in groups:
        if group["group"]:
            click.echo("group " + ", ".join(f"{k} {v}" for k, v in group["group"].items()))
        rows = [[s["short_id"], s["time"][:19].replace("T", " "), s["hostname"], ",".join(s["tags"]),
                 "; ".join(s["reasons"])] for s in group["keep"]]  # fmt: skip
        if rows:
            click.echo(f"keep {len(rows)} snapshots:")
            click.echo(table(["ID", "Time", "Host", "Tags", "Reasons"], rows))
        if group["remove"]:
            click.echo(f"{'would remove' if dry_run else 'remove'} {len(group['remove'])} snapshots:")
            click.echo(table(["ID", "Time", "Host", "Tags"],
                             [[s["short_id"], s["time"][:19].replace("T", " "), s["hostname"],
                               ",".join(s["tags"])] for s in group["remove"]]))  # fmt: skip
        removed += len(group["remove"])
        click.echo()
    click.echo(f"{removed} snapshots {'would be ' if dry_run else ''}removed")
