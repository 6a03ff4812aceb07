"""`Tree`: the listing of one directory, and its canonical encoding.

Encoding (format version 1), canonical JSON as defined in `json_canonical`::

    {"nodes":[<node>,...],"version":1}

Nodes are sorted by the bytes of their names, which are unique. Each node is an object with:

* ``name`` (UTF-8 text) or ``name_b64`` (base64 of non-UTF-8 bytes), exactly one;
* ``kind``: "file", "dir", "symlink", "fifo", "chardev", "blockdev" or "socket";
* always, as integers: ``mode``, ``uid``, ``gid``, ``mtime_ns``, ``ctime_ns``, ``size``,
  ``device``, ``inode``, ``nlink``;
* only when set: ``user``, ``group`` (strings); ``rdev`` (integer, when not 0);
  ``symlink_target`` or ``symlink_target_b64`` (symlinks); ``xattrs`` (when not empty): a list,
  sorted by name bytes, of objects ``{"name"|"name_b64": ..., "value_b64": ...}``; ``content``
  (files with data): a list of chunk ids as hex; ``subtree`` (dirs): the id of a tree as hex.

A field at its neutral value (None, empty, 0 for rdev) is left out rather than written, so each
tree has exactly one encoding, and equal directory listings give equal bytes, hence equal ids,
whatever order the directory was read in (the Merkle property deduplication relies on).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Iterator, Sequence
from itertools import pairwise
from typing import Any, overload

from snapstore.errors import IntegrityError
from snapstore.model.json_canonical import FieldReader, check_canonical, loads_object
from snapstore.model.node import (
    DIR, Node, node_from_json, node_from_trusted_json, node_json_text, node_to_json,
)  # fmt: skip

TREE_VERSION = 1


class Tree(Sequence[Node]):
    """An immutable sequence of nodes sorted by name bytes, names unique."""

    __slots__ = ("_nodes", "_names")

    def __init__(self, nodes: Iterable[Node] = ()) -> None:
        given = tuple(nodes)
        if not all(isinstance(node, Node) for node in given):
            raise ValueError("a tree holds Node objects only")
        ordered = tuple(sorted(given, key=lambda node: node.name))
        for first, second in pairwise(ordered):
            if first.name == second.name:
                raise ValueError(f"duplicate name {first.name!r} in a tree")
        self._nodes = ordered
        self._names = tuple(node.name for node in ordered)  # for bisect in `get`

    @overload
    def __getitem__(self, index: int) -> Node: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Node, ...]: ...

    def __getitem__(self, index: int | slice) -> Node | tuple[Node, ...]:
        return self._nodes[index]

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(self._nodes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tree):
            return NotImplemented
        return self._nodes == other._nodes

    def __hash__(self) -> int:
        return hash(self._nodes)

    def __repr__(self) -> str:
        return f"Tree({list(self._nodes)!r})"

    @property
    def nodes(self) -> tuple[Node, ...]:
        return self._nodes

    def get(self, name: bytes) -> Node | None:
        """The node called `name`, or None (binary search: trees can hold many entries)."""
        index = bisect.bisect_left(self._names, name)
        if index < len(self._names) and self._names[index] == name:
            return self._nodes[index]
        return None

    def encode(self) -> bytes:
        nodes = ",".join([node_json_text(node) for node in self._nodes])
        return f'{{"nodes":[{nodes}],"version":{TREE_VERSION}}}'.encode()

    @classmethod
    def decode(cls, data: bytes, *, authenticated: bool = False) -> Tree:
        """Parse an encoding made by `encode`; IntegrityError for anything else. With
        `authenticated`, the caller has checked that `data` is exactly what some `encode`
        produced (a blob whose keyed id matched), so nothing is checked again: parsing is all
        that an unchanged re-backup pays per entry."""
        if authenticated:
            return cls._from_trusted(data)
        fields = FieldReader(loads_object(data, "tree"), "tree")
        version = fields.get("version", int)
        if version != TREE_VERSION:
            fields.fail(f"unsupported version {version}")
        items = fields.get("nodes", list)
        fields.finish()
        nodes = [node_from_json(item, f"tree node {i}") for i, item in enumerate(items)]
        # The constructor would sort silently; stored order must already be the canonical one.
        for i in range(1, len(nodes)):
            if nodes[i - 1].name >= nodes[i].name:
                problem = "duplicate" if nodes[i - 1].name == nodes[i].name else "unsorted"
                raise IntegrityError(f"tree node {i}: {problem} name {nodes[i].name!r}")
        tree = cls(nodes)
        check_canonical(data, _tree_to_json(tree), "tree")
        return tree

    @classmethod
    def _from_trusted(cls, data: bytes) -> Tree:
        """Stored nodes are already sorted and unique: `encode` wrote them so."""
        tree = object.__new__(cls)
        tree._nodes = tuple(node_from_trusted_json(obj) for obj in _trusted_nodes(data))
        tree._names = tuple(node.name for node in tree._nodes)
        return tree


def _trusted_nodes(data: bytes) -> list[dict[str, Any]]:
    document = json.loads(data)
    if document.get("version") != TREE_VERSION:  # a newer format must not be misread
        raise IntegrityError(f"tree: unsupported version {document.get('version')}")
    nodes: list[dict[str, Any]] = document["nodes"]
    return nodes


def tree_references(data: bytes) -> tuple[list[bytes], list[bytes]]:
    """The chunk ids and the subtree ids an authenticated encoding refers to (see
    `Tree.decode`), without building its nodes: all that garbage collection's mark needs of a
    tree, at a third of the cost."""
    content: list[bytes] = []
    subtrees: list[bytes] = []
    for obj in _trusted_nodes(data):
        chunks = obj.get("content")
        if chunks:
            content.extend(map(bytes.fromhex, chunks))
        subtree = obj.get("subtree")
        if subtree is not None and obj["kind"] == DIR:
            subtrees.append(bytes.fromhex(subtree))
    return content, subtrees


def _tree_to_json(tree: Tree) -> dict[str, Any]:
    return {"nodes": [node_to_json(node) for node in tree], "version": TREE_VERSION}
