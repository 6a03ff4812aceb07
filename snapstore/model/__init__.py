"""Records of a snapshot and their canonical encodings (layer L0: no I/O, no crypto).

Vocabulary: a *node* is one directory entry (name as raw bytes, kind, ownership, permissions,
times, and for a file its chunk ids, for a directory the id of its tree, for a symlink its
target). A *tree* is the listing of one directory: nodes sorted by name bytes, names unique; a
directory node points at its subdirectory's tree by id, so trees form a Merkle tree. A *snapshot*
is the record of one backup: when, where, who, which paths, and the id of its root tree. The
*canonical encoding* of a tree or snapshot is the one byte string `encode` gives for it: UTF-8
JSON with sorted keys, no whitespace, neutral fields left out (see `json_canonical`). Equal
records give equal bytes, hence equal ids; `decode` accepts exactly those bytes and raises
`IntegrityError` for anything else. Constructors validate and raise ValueError.
"""

from __future__ import annotations

from snapstore.model.json_canonical import ID_SIZE
from snapstore.model.node import (
    BLOCKDEV,
    CHARDEV,
    DIR,
    FIFO,
    FILE,
    KINDS,
    SOCKET,
    SYMLINK,
    Node,
)
from snapstore.model.snapshot import SNAPSHOT_VERSION, Snapshot, Summary
from snapstore.model.tree import TREE_VERSION, Tree, tree_references

__all__ = [
    "BLOCKDEV",
    "CHARDEV",
    "DIR",
    "FIFO",
    "FILE",
    "ID_SIZE",
    "KINDS",
    "Node",
    "SNAPSHOT_VERSION",
    "SOCKET",
    "SYMLINK",
    "Snapshot",
    "Summary",
    "TREE_VERSION",
    "Tree",
    "tree_references",
]
