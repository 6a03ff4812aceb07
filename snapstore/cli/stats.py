"""`snap stats`: restore size, unique data, deduplication and compression, backend usage."""

from __future__ import annotations

from typing import Any

import click

from snapstore.checker import (
    DuplicateCount,
    RepositoryStats,
    StatsOptions,
    collect_stats,
    count_duplicates,
)
from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import emit_json, human_bytes, vars_of, warn
from snapstore.cli.repository_access import open_repository
from snapstore.cli.snapshots import filter_options
from snapstore.repository.snapshot_filter import SnapshotFilter


@click.command("stats")
@click.argument("snapshots", nargs=-1)
@filter_options
@click.option(
    "--duplicates", is_flag=True,
    help="Also read every index file and count blobs stored in more than one pack.",
)  # fmt: skip
@command_options
def stats_command(
    options: GlobalOptions, snapshots: tuple[str, ...], hosts: tuple[str, ...],
    tags: tuple[str, ...], paths: tuple[str, ...], duplicates: bool,
) -> None:  # fmt: skip
    """Sizes of SNAPSHOTS (ids or `latest`; default all that match the filters)."""
    repo = open_repository(options)
    try:
        stats = collect_stats(repo, StatsOptions(snapshots, SnapshotFilter(hosts, tags, paths)))
        # The cache was synced when the repository was opened: its files are the live ones.
        copies = (
            count_duplicates(repo.backend, repo.sealer, repo.cache.known_files())
            if duplicates else None
        )  # fmt: skip
    finally:
        repo.close()
    if stats.missing_blobs:
        warn(f"{stats.missing_blobs} referenced blobs are not in the index (run snap check)")
    if options.as_json:
        document = _document(stats)
        if copies is not None:
            document["index"] = vars_of(copies)
        emit_json(document)
    elif not options.quiet:
        click.echo(_text(stats))
        if copies is not None:
            click.echo(_duplicates_text(copies))


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


def _duplicates_text(copies: DuplicateCount) -> str:
    index = (
        f"index:              {copies.blobs} blobs in {copies.index_files} index files, "
        f"{human_bytes(copies.stored_bytes)} stored"
    )
    extra = (
        f"duplicates:         {copies.duplicate_blobs} blobs stored more than once, "
        f"{copies.duplicate_copies} extra copies, {human_bytes(copies.duplicate_bytes)} "
        "(the next prune removes them)"
    )
    return f"{index}\n{extra}"


def _blobs(count: int, raw: int, stored: int) -> str:
    return f"{count} blobs, {human_bytes(raw)} ({human_bytes(stored)} stored)"
