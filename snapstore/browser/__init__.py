"""Reading snapshot trees by path (layer L4): walk every entry, find one path, compare two
snapshots. Used by `ls`, `dump`, `diff` and `cat`.

Vocabulary: a *snapshot path* is an entry's path inside a snapshot, starting with '/', as bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from snapstore.errors import InputError
from snapstore.model import Node, Tree
from snapstore.model.node import DIR
from snapstore.repository.protocols import BlobLoader


def walk(repo: BlobLoader, tree: Tree, prefix: bytes = b"") -> Iterator[tuple[bytes, Node]]:
    """Every entry below `tree`, depth first, folders before their contents."""
    for node in tree:
        path = prefix + b"/" + node.name
        yield path, node
        if node.kind == DIR and node.subtree is not None:
            yield from walk(repo, repo.load_tree(node.subtree), path)


def find(repo: BlobLoader, root: Tree, path: bytes) -> tuple[Node | None, Tree]:
    """The node at snapshot path `path` ('/' is the root: (None, root)); InputError if absent."""
    tree, node = root, None
    for part in [p for p in path.split(b"/") if p]:
        node = tree.get(part)
        if node is None:
            raise InputError(f"{path.decode(errors='replace')} is not in the snapshot")
        if node.kind == DIR and node.subtree is not None:
            tree = repo.load_tree(node.subtree)
        else:
            tree = Tree()
    return node, tree


@dataclass(frozen=True)
class Change:
    mark: str  # "+" added, "-" removed, "M" content changed, "U" metadata only, "T" type changed
    path: bytes


def diff(repo: BlobLoader, old: Tree, new: Tree, prefix: bytes = b"") -> Iterator[Change]:
    """What changed from `old` to `new`; unchanged subtrees (same id) are skipped unread."""
    names = sorted({n.name for n in old} | {n.name for n in new})
    for name in names:
        a, b = old.get(name), new.get(name)
        path = prefix + b"/" + name
        if a is None or b is None:
            present = a or b
            assert present is not None
            yield Change("+" if a is None else "-", path)
            yield from _all_below(repo, present, path, "+" if a is None else "-")
        elif a.kind != b.kind:
            yield Change("T", path)
        elif a.kind == DIR:
            if a.subtree != b.subtree:
                assert a.subtree is not None and b.subtree is not None
                yield from diff(repo, repo.load_tree(a.subtree), repo.load_tree(b.subtree), path)
        elif a.content != b.content or a.symlink_target != b.symlink_target:
            yield Change("M", path)
        elif a != b:
            yield Change("U", path)


def _all_below(repo: BlobLoader, node: Node, path: bytes, mark: str) -> Iterator[Change]:
    if node.kind == DIR and node.subtree is not None:
        for inner, _ in walk(repo, repo.load_tree(node.subtree), path):
            yield Change(mark, inner)
