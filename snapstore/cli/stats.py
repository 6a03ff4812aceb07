"""`snap stats`: restore size, unique data, deduplication and compression, backend usage."""

from __future__ import annotations

from typing import Any

import click

from snapstore.checker import RepositoryStats, StatsOptions, collect_stats
from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import emit_json, human_bytes, vars_of, warn
from snapstore.cli.repository_access import open_repository
from snapstore.cli.snapshots import filter_options
from snapstore.repository.snapshot_filter import SnapshotFilter


@click.command("stats")
@click.argument("snapshots", nargs=-1)
@filter_options
@command_options
def stats_command(
    options: GlobalOptions, snapshots: tuple[str, ...], hosts: tuple[str, ...],
    tags: tuple[str, ...], paths: tuple[str, ...],
) -> None:  # fmt: skip
    """Sizes of SNAPSHOTS (ids or `latest`; default all that match the filters)."""
    repo = open_repository(options)
    try:
        stats = collect_stats(repo, StatsOptions(snapshots, SnapshotFilter(hosts, tags, paths)))
    finally:
        repo.close()
    if stats.missing_blobs:
        warn(f"{stats.missing_blobs} referenced blobs are not in the index (run snap check)")
    if options.as_json:
        emit_json(_document(stats))
    elif not options.quiet:
        click.echo(_text(stats))


def _document(stats: RepositoryStats) -> dict[str, Any]:
    document = vars_of(stats)
    document["backend"] = {name: vars_of(usage) for name, usage in stats.backend.items()}
    document.update(
        snapshots=stats.snapshots, backend_bytes=stats.backend_bytes,
        dedup_ratio=round(stats.dedup_ratio, 4),
        compression_ratio=round(stats.compression_ratio, 4),
    )  # fmt: skip
    return document


def _text(stats: RepositoryStats) -> str:
    lines = [
        f"snapshots:          {stats.snapshots}",
        f"files:              {stats.files} (each path counted in each snapshot)",
        f"restore size:       {human_bytes(stats.restore_size)}",
        f"unique data:        {_blobs(stats.data_blobs, stats.raw_data, stats.stored_data)}",
        f"trees:              {_blobs(stats.tree_blobs, stats.raw_trees, stats.stored_trees)}",
        f"packs:              {stats.packs}",
        f"deduplication:      {stats.dedup_ratio:.2f}x (restore size / unique data)",
        f"compression:        {stats.compression_ratio:.2f}x (unique data / stored)",
        f"backend:            {human_bytes(stats.backend_bytes)}",
    ]
    for folder, usage in stats.backend.items():
        lines.append(f"  {folder:<17} {usage.objects:>6} objects  {human_bytes(usage.bytes):>12}")
    return "\n".join(lines)


def _blobs(count: int, raw: int, stored: int) -> str:
    return f"{count} blobs, {human_bytes(raw)} ({human_bytes(stored)} stored)"
