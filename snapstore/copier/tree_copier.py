"""Rewriting a snapshot's trees for the target, bottom-up: each folder's entries are copied
(files through the content copier, sub-folders first), then its tree is saved with the target's
ids. A tree is stored only if the target lacks it, and a source tree already rewritten in this
run is not walked again. Only trees of the current path are held in memory."""

from __future__ import annotations

import dataclasses
import os
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from snapstore.copier.content_copier import ContentCopier, Pending
from snapstore.copier.options import CopyCounters
from snapstore.errors import IntegrityError
from snapstore.model import Node, Tree
from snapstore.model.node import DIR, FILE
from snapstore.repository.protocols import BlobLoader, BlobSaver

# Source tree id -> target tree id, for trees rewritten in this run; bounded.
MEMO_ENTRIES = 100_000

Progress = Callable[[CopyCounters, str], None]
# The source tree an earlier copy was made of, and that copy: files unchanged since then take
# their target chunk ids from it. Loaded only when the folder has to be walked.
Reference = tuple[Tree, Tree]


class TreeTarget(BlobSaver, BlobLoader, Protocol):
    pass


class TreeCopier:
    def __init__(
        self, source: BlobLoader, target: TreeTarget, contents: ContentCopier,
        counters: CopyCounters, by_id: bool, on_progress: Progress | None = None,
    ) -> None:  # fmt: skip
        self.source = source
        self.target = target
        self.contents = contents
        self.counters = counters
        self.by_id = by_id
        self.on_progress = on_progress
        self._memo: OrderedDict[bytes, bytes] = OrderedDict()

    def copy(
        self, tree_id: bytes, path: bytes, reference: Callable[[], Reference | None] = lambda: None
    ) -> bytes:
        """The target id of the source tree `tree_id` (at `path`, for progress and errors)."""
        if (known := self._memo.get(tree_id)) is not None:
            self._memo.move_to_end(tree_id)
            return known
        tree = self.source.load_tree(tree_id)
        ref = reference() if not self.by_id else None
        entries = [self._node(node, path + b"/" + node.name, ref) for node in tree]
        new_tree = Tree(_resolved(entry) for entry in entries)
        new_id, added = self.target.save_tree(new_tree)
        if self.by_id and new_id != tree_id:
            raise IntegrityError(f"tree {tree_id.hex()} of {os.fsdecode(path or b'/')} changed its id "
                                 "when copied between repositories with the same keys")
        if added:
            self.counters.tree_blobs_added += 1
            self.counters.bytes_stored += added
        self._memo[tree_id] = new_id
        if len(self._memo) > MEMO_ENTRIES:
            self._memo.popitem(last=False)
        return new_id

    def _node(self, node: Node, path: bytes, ref: Reference | None) -> Node | tuple[Node, Pending]:
        old_source, old_copy = (ref[0].get(node.name), ref[1].get(node.name)) if ref else (None, None)
        if node.kind == DIR and node.subtree is not None:

            def sub_reference() -> Reference | None:
                if (old_source is None or old_copy is None or old_source.subtree is None
                        or old_copy.subtree is None):  # fmt: skip
                    return None
                return self.source.load_tree(old_source.subtree), self.target.load_tree(old_copy.subtree)

            return dataclasses.replace(node, subtree=self.copy(node.subtree, path, sub_reference))
        if node.kind != FILE:
            return node
        self.counters.files += 1
        self.counters.bytes_processed += node.size
        content = self._reused(node, old_source, old_copy)
        if self.on_progress:
            self.on_progress(self.counters, os.fsdecode(path))
        if content is not None:
            self.counters.files_reused += 1
            return dataclasses.replace(node, content=content)
        return node, self.contents.copy(node.content, node.size)

    def _reused(self, node: Node, old_source: Node | None, old_copy: Node | None) -> tuple[bytes, ...] | None:
        """The earlier copy's chunk ids when this file's content is the one copied then and the
        target still has every chunk (the check also tells a concurrent prune, as for a backup's
        unchanged files, that those packs are in use)."""
        if (not node.content or old_source is None or old_copy is None or old_source.kind != FILE
                or old_copy.kind != FILE or old_source.content != node.content
                or old_copy.size != node.size):  # fmt: skip
            return None
        if all(map(self.target.has_data, old_copy.content)):
            return old_copy.content
        return None


def _resolved(entry: Node | tuple[Node, Pending]) -> Node:
    if isinstance(entry, Node):
        return entry
    node, pending = entry
    ids = pending.ids()
    return node if ids == node.content else dataclasses.replace(node, content=ids)
