"""Mark: the blobs that the kept snapshots need (their trees, and the data of their files).
Each tree is read once however many snapshots share it. The set lives on disk (LMDB), so a
repository of any size can be marked in bounded memory."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from snapstore.index import DiskBlobSet
from snapstore.model import Snapshot


class TreeReferenceLoader(Protocol):
    def load_tree_references(self, tree_id: bytes) -> tuple[list[bytes], list[bytes]]:
        """The chunk ids and the subtree ids of a tree."""
        ...


def mark_used(repo: TreeReferenceLoader, snapshots: Iterable[Snapshot], used: DiskBlobSet) -> int:
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
            content, subtrees = repo.load_tree_references(tree_id)
            used.add_many(content)
            stack.extend(subtrees)
    return trees_read
