"""Mark: the blobs that the kept snapshots need (their trees, and the data of their files).
Each tree is read once however many snapshots share it. The set lives on disk (LMDB), so a
repository of any size can be marked in bounded memory."""

from __future__ import annotations

from collections.abc import Iterable

from snapstore.index import DiskBlobSet
from snapstore.model import Snapshot
from snapstore.model.node import DIR
from snapstore.repository.protocols import BlobLoader


def mark_used(repo: BlobLoader, snapshots: Iterable[Snapshot], used: DiskBlobSet) -> int:
    """Add every blob the snapshots refer to; return the number of trees read. A tree that
    cannot be loaded raises (IntegrityError): garbage collection must never act on a partial
    mark, or it would delete what the unread part needs."""
    trees_read = 0
    for snapshot in snapshots:
        stack = [snapshot.tree]
        while stack:
            tree_id = stack.pop()
            if tree_id in used:
                continue
            used.add(tree_id)
            trees_read += 1
            for node in repo.load_tree(tree_id):
                for blob_id in node.content:
                    used.add(blob_id)
                if node.kind == DIR and node.subtree is not None:
                    stack.append(node.subtree)
    return trees_read
