"""`snap snapshots`: list snapshots."""

from __future__ import annotations

import click

from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import emit_json, snapshot_json, table
from snapstore.cli.repository_access import open_repository
from snapstore.repository.snapshot_filter import SnapshotFilter


def filter_options(func):  # type: ignore[no-untyped-def]
    func = click.option("--path", "paths", multiple=True, help="Only snapshots of this path.")(func)
    func = click.option("--tag", "tags", multiple=True, help="Only snapshots with tags a[,b].")(func)
    return click.option("--host", "hosts", multiple=True, help="Only snapshots of this host.")(func)


@click.command("snapshots")
@filter_options
@click.option("--latest", type=int, help="Only the newest N snapshots of each host and paths.")
@command_options
def snapshots_command(
    options: GlobalOptions, hosts: tuple[str, ...], tags: tuple[str, ...],
    paths: tuple[str, ...], latest: int | None,
) -> None:  # fmt: skip
    """List the snapshots in the repository, oldest first."""
    repo = open_repository(options)
    try:
        chosen = SnapshotFilter(hosts, tags, paths).select(repo.list_snapshots())
    finally:
        repo.close()
    if latest is not None:
        groups: dict[tuple[str, tuple[str, ...]], list] = {}
        for pair in chosen:
            # The paths as a set, as for the parent of a backup: `a b` and `b a` are one group.
            groups.setdefault((pair[1].hostname, tuple(sorted(pair[1].paths))), []).append(pair)
        keep = {pair[0] for group in groups.values() for pair in group[-latest:]}
        chosen = [pair for pair in chosen if pair[0] in keep]
    if options.as_json:
        emit_json([snapshot_json(sid, snap) for sid, snap in chosen])
        return
    rows = [
        [sid[:8], snap.time.strftime("%Y-%m-%d %H:%M:%S"), snap.hostname, ",".join(snap.tags),
         ", ".join(snap.paths)]
        for sid, snap in chosen
    ]  # fmt: skip
    click.echo(table(["ID", "Time", "Host", "Tags", "Paths"], rows))
    click.echo(f"{len(rows)} snapshots")
