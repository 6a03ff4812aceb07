"""Snapshots and their trees (docs/design.md §8): every snapshot decodes, every tree it
reaches can be read and decoded, and every data blob a file names is in the index and readable.

Each tree blob is loaded once over all snapshots: unchanged folders share tree ids, so later
snapshots cost only their new trees. A problem is therefore named with the first snapshot
(oldest first) that reaches it; a damaged tree also lists every snapshot that reaches it.
"""

from __future__ import annotations

import os
from typing import Protocol

from snapstore.backend import Backend
from snapstore.checker.index_view import IndexView
from snapstore.checker.options import CheckReport, Problem
from snapstore.checker.read_data import BlobOpener
from snapstore.errors import BackendError, IntegrityError, NotFoundError
from snapstore.model import DIR, FILE, Node, Snapshot, Tree
from snapstore.pack import pack_object_name


class SnapshotSource(Protocol):
    def snapshot_ids(self) -> list[str]: ...

    def load_snapshot(self, snapshot_id: str) -> Snapshot: ...


def load_snapshots(repo: SnapshotSource, report: CheckReport) -> list[tuple[str, Snapshot]]:
    """Every snapshot that decodes, oldest first; each one that does not is an error."""
    loaded = []
    for snapshot_id in repo.snapshot_ids():
        try:
            loaded.append((snapshot_id, repo.load_snapshot(snapshot_id)))
        except (IntegrityError, BackendError) as error:
            report.error("snapshot", str(error), snapshot=snapshot_id)
    report.snapshots = len(loaded)
    return sorted(loaded, key=lambda pair: (pair[1].time, pair[0]))


class TreeWalker:
    def __init__(
        self, backend: Backend, opener: BlobOpener, view: IndexView, report: CheckReport
    ) -> None:
        self.backend = backend
        self.opener = opener
        self.view = view
        self.report = report
        # Sets of ids in memory (about 100 bytes each); a repository of tens of millions of
        # blobs would keep them on disk (snapstore.index.DiskBlobSet).
        self.checked_trees: set[bytes] = set()
        self.data_blobs: set[bytes] = set()
        self._failed_trees: dict[bytes, Problem] = {}

    def walk(self, snapshot_id: str, snapshot: Snapshot) -> None:
        # An explicit stack, not recursion: folder depth is bounded only by PATH_MAX.
        stack: list[tuple[bytes, bytes]] = [(snapshot.tree, b"/")]
        while stack:
            tree_id, path = stack.pop()
            if tree_id in self.checked_trees:
                if tree_id in self._failed_trees:
                    _add_snapshot(self._failed_trees[tree_id], snapshot_id)
                continue
            self.checked_trees.add(tree_id)
            tree = self._load_tree(tree_id, snapshot_id, path)
            if tree is None:
                continue
            self.report.trees += 1
            for node in tree:
                child = path.rstrip(b"/") + b"/" + node.name
                if node.kind == DIR and node.subtree is not None:
                    stack.append((node.subtree, child))
                elif node.kind == FILE and node.content:
                    self._check_file(snapshot_id, child, node)
        self.report.data_blobs = len(self.data_blobs)

    def _load_tree(self, tree_id: bytes, snapshot_id: str, path: bytes) -> Tree | None:
        try:
            return Tree.decode(self._read_blob(tree_id))
        except (IntegrityError, BackendError) as error:
            where = f"snapshot {snapshot_id[:8]}: tree {tree_id.hex()} of {os.fsdecode(path)}"
            self._failed_trees[tree_id] = self.report.error(
                "tree", f"{where} cannot be read: {error}", snapshot=snapshot_id,
                path=os.fsdecode(path), tree=tree_id.hex(), snapshots=[snapshot_id],
            )  # fmt: skip
            return None

    def _read_blob(self, blob_id: bytes) -> bytes:
        entry = self.view.blobs.get(blob_id)
        if entry is None:
            raise IntegrityError("it is not in the index")
        name = pack_object_name(entry.pack_id)
        try:
            envelope = self.backend.load(name, entry.offset, entry.length)
        except NotFoundError:
            raise IntegrityError(f"pack {name} is missing") from None
        return self.opener.open_blob(entry, envelope)

    def _check_file(self, snapshot_id: str, path: bytes, node: Node) -> None:
        self.data_blobs.update(node.content)
        missing = [b for b in node.content if b not in self.view.blobs]
        unreadable = [b for b in node.content if b in self.view.unreadable]
        where = f"snapshot {snapshot_id[:8]}: file {os.fsdecode(path)}"
        fields = {"snapshot": snapshot_id, "path": os.fsdecode(path)}
        if missing:
            self.report.error(
                "blob-missing",
                f"{where}: data blob {missing[0].hex()} is not in the index{_more(missing)}",
                blob=missing[0].hex(), blobs=[b.hex() for b in missing], **fields,
            )  # fmt: skip
        if unreadable:
            first = unreadable[0]
            self.report.error(
                "blob-unreadable",
                f"{where}: data blob {first.hex()} is unreadable ({self.view.unreadable[first]})"
                f"{_more(unreadable)}",
                blob=first.hex(), blobs=[b.hex() for b in unreadable], **fields,
            )  # fmt: skip


def _more(blob_ids: list[bytes]) -> str:
    return f" (and {len(blob_ids) - 1} more)" if len(blob_ids) > 1 else ""


def _add_snapshot(problem: Problem, snapshot_id: str) -> None:
    reached_from = problem.fields["snapshots"]
    if snapshot_id not in reached_from:
        reached_from.append(snapshot_id)
