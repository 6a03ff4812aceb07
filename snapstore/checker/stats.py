"""`snap stats`: how much the selected snapshots hold and what it costs to store.

- restore size: the sizes of all files as a restore would write them, each path counted in each
  snapshot (a file kept in 30 snapshots counts 30 times; hard links count once per path);
- unique data: the data blobs those files reference, each counted once (raw = plaintext length,
  stored = length in the packs, from the index); tree blobs are counted apart;
- deduplication ratio = restore size / unique raw data; compression ratio = raw / stored, both
  over data blobs;
- backend: the size of every object, by top folder (data, index, snapshots, keys, ...), from one
  listing of the whole repository.

Each tree is read once: its totals (bytes, files) are kept by id, and a snapshot sharing a
folder with an earlier one adds that folder's totals without reading it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from snapstore.backend import Backend
from snapstore.index import IndexEntry
from snapstore.model import DIR, FILE, Snapshot, Tree
from snapstore.repository.snapshot_filter import SnapshotFilter, find_snapshot


@dataclass(frozen=True)
class StatsOptions:
    snapshots: tuple[str, ...] = ()  # ids, unique id prefixes or `latest`; () selects all
    where: SnapshotFilter = field(default_factory=SnapshotFilter)


@dataclass(frozen=True)
class FolderUsage:
    objects: int
    bytes: int


@dataclass
class RepositoryStats:
    snapshot_ids: list[str] = field(default_factory=list)
    files: int = 0
    restore_size: int = 0
    data_blobs: int = 0
    raw_data: int = 0
    stored_data: int = 0
    tree_blobs: int = 0
    raw_trees: int = 0
    stored_trees: int = 0
    packs: int = 0  # packs holding at least one of the blobs counted
    missing_blobs: int = 0  # referenced but not in the index (`snap check` says more)
    backend: dict[str, FolderUsage] = field(default_factory=dict)

    @property
    def snapshots(self) -> int:
        return len(self.snapshot_ids)

    @property
    def dedup_ratio(self) -> float:
        return self.restore_size / self.raw_data if self.raw_data else 0.0

    @property
    def compression_ratio(self) -> float:
        return self.raw_data / self.stored_data if self.stored_data else 0.0

    @property
    def backend_bytes(self) -> int:
        return sum(usage.bytes for usage in self.backend.values())


class StatsSource(Protocol):
    @property
    def backend(self) -> Backend: ...

    def list_snapshots(self) -> list[tuple[str, Snapshot]]: ...

    def load_tree(self, tree_id: bytes) -> Tree: ...

    def lookup(self, blob_id: bytes) -> IndexEntry | None: ...


def select_snapshots(
    snapshots: list[tuple[str, Snapshot]], options: StatsOptions
) -> list[tuple[str, Snapshot]]:
    """As `snap snapshots` and `restore` choose: the filter alone, or each reference given."""
    if not options.snapshots:
        return options.where.select(snapshots)
    chosen: dict[str, Snapshot] = {}
    for ref in options.snapshots:
        snapshot_id, snapshot = find_snapshot(snapshots, ref, options.where)
        chosen.setdefault(snapshot_id, snapshot)
    return list(chosen.items())


def collect_stats(repo: StatsSource, options: StatsOptions) -> RepositoryStats:
    """Raises InputError for a reference that matches no snapshot, IntegrityError for a tree
    that cannot be read."""
    stats = RepositoryStats()
    counter = _BlobCounter(repo, stats)
    for snapshot_id, snapshot in select_snapshots(repo.list_snapshots(), options):
        size, files = counter.tree_totals(snapshot.tree)
        stats.snapshot_ids.append(snapshot_id)
        stats.restore_size += size
        stats.files += files
    stats.packs = len(counter.packs)
    stats.backend = backend_usage(repo.backend)
    return stats


def backend_usage(backend: Backend) -> dict[str, FolderUsage]:
    objects: dict[str, int] = {}
    sizes: dict[str, int] = {}
    for info in backend.list(""):
        folder = info.name.split("/", 1)[0]
        objects[folder] = objects.get(folder, 0) + 1
        sizes[folder] = sizes.get(folder, 0) + info.size
    return {folder: FolderUsage(objects[folder], sizes[folder]) for folder in sorted(objects)}


class _BlobCounter:
    """Counts each blob once, however many trees and snapshots reference it.

    The maps and sets grow with the number of distinct blobs and trees (about 100 bytes each);
    a very large repository would keep them on disk (snapstore.index.DiskBlobSet).
    """

    def __init__(self, repo: StatsSource, stats: RepositoryStats) -> None:
        self.repo = repo
        self.stats = stats
        self.totals: dict[bytes, tuple[int, int]] = {}  # tree id -> (bytes, files) below it
        self.data: set[bytes] = set()
        self.packs: set[bytes] = set()

    def tree_totals(self, root: bytes) -> tuple[int, int]:
        """(bytes, files) below tree `root`, computed children first with an explicit stack
        (folder depth is bounded only by PATH_MAX, recursion by Python's limit)."""
        stack = [root]
        opened: dict[bytes, Tree] = {}  # trees whose subtrees are still being totalled
        while stack:
            tree_id = stack[-1]
            if tree_id in self.totals:
                stack.pop()
                continue
            tree = opened.get(tree_id)
            if tree is None:
                tree = opened[tree_id] = self._open_tree(tree_id)
                pending = [
                    n.subtree
                    for n in tree
                    if n.subtree is not None and n.subtree not in self.totals
                ]
                if pending:
                    stack.extend(pending)
                    continue
            self.totals[tree_id] = self._sum(tree)
            del opened[tree_id]
            stack.pop()
        return self.totals[root]

    def _open_tree(self, tree_id: bytes) -> Tree:
        tree = self.repo.load_tree(tree_id)
        entry = self._entry(tree_id)
        if entry is not None:
            self.stats.tree_blobs += 1
            self.stats.raw_trees += entry.raw_length
            self.stats.stored_trees += entry.length
        for node in tree:
            for blob_id in node.content:
                self._count_data(blob_id)
        return tree

    def _sum(self, tree: Tree) -> tuple[int, int]:
        size = files = 0
        for node in tree:
            if node.kind == FILE:
                size += node.size
                files += 1
            elif node.kind == DIR and node.subtree is not None:
                below = self.totals[node.subtree]
                size += below[0]
                files += below[1]
        return size, files

    def _count_data(self, blob_id: bytes) -> None:
        if blob_id in self.data:
            return
        self.data.add(blob_id)
        entry = self._entry(blob_id)
        if entry is not None:
            self.stats.data_blobs += 1
            self.stats.raw_data += entry.raw_length
            self.stats.stored_data += entry.length

    def _entry(self, blob_id: bytes) -> IndexEntry | None:
        entry = self.repo.lookup(blob_id)
        if entry is None:
            self.stats.missing_blobs += 1
        else:
            self.packs.add(entry.pack_id)
        return entry
