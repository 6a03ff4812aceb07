"""Which source snapshots to copy, which are already in the target, and which earlier copy a
snapshot can be compared with."""

from __future__ import annotations

from dataclasses import dataclass

from snapstore.model import Snapshot
from snapstore.repository.snapshot_filter import SnapshotFilter, find_snapshot

Pair = tuple[str, Snapshot]


def original_id(pair: Pair) -> str:
    """The id that names a snapshot across copies: its original's, or its own."""
    return pair[1].original or pair[0]


def choose(snapshots: list[Pair], refs: tuple[str, ...], where: SnapshotFilter) -> list[Pair]:
    """The snapshots named (or all), kept by the filter, oldest first, each once."""
    if refs:
        named = {pair[0]: pair for pair in (find_snapshot(snapshots, ref, where) for ref in refs)}
        snapshots = [pair for pair in snapshots if pair[0] in named]
    return where.select(snapshots)


@dataclass
class Catalog:
    """The target's copies by original id, kept current as snapshots are copied."""

    copies: dict[str, Pair]

    @classmethod
    def of(cls, target_snapshots: list[Pair]) -> Catalog:
        copies: dict[str, Pair] = {}
        for pair in target_snapshots:
            copies.setdefault(original_id(pair), pair)
        return cls(copies)

    def copy_of(self, pair: Pair) -> Pair | None:
        return self.copies.get(original_id(pair))

    def add(self, original: str, pair: Pair) -> None:
        self.copies[original] = pair


def reference(pair: Pair, source: dict[str, Pair], catalog: Catalog) -> tuple[Pair, Pair] | None:
    """An earlier (source snapshot, its copy in the target) to compare `pair` with: the copy of
    its parent if there is one, else the newest copy of a snapshot of the same host and paths.
    `source` maps the source's ids to its snapshots."""
    snapshot = pair[1]
    parent = source.get(snapshot.parent) if snapshot.parent else None
    if parent is not None and (copy := catalog.copy_of(parent)) is not None:
        return parent, copy
    by_original = {original_id(p): p for p in source.values()}
    best: tuple[Pair, Pair] | None = None
    for original, copy in catalog.copies.items():
        earlier = by_original.get(original)
        if earlier is None or earlier[0] == pair[0]:
            continue
        same = earlier[1].hostname == snapshot.hostname and set(earlier[1].paths) == set(snapshot.paths)
        if same and (best is None or earlier[1].time > best[0][1].time):
            best = (earlier, copy)
    return best
