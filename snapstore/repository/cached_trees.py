"""Tree blobs read through the local tree cache (docs/design.md §5.2): a backup reads its
parent snapshot's trees from there, without a repository read per folder."""

from __future__ import annotations

from snapstore.crypto import MasterKey
from snapstore.index import BlobType
from snapstore.index.tree_cache import TreeCache
from snapstore.repository.blob_store import BlobStore


class CachedTrees:
    def __init__(self, cache: TreeCache, blobs: BlobStore, master: MasterKey) -> None:
        self.cache = cache
        self.blobs = blobs
        self.master = master
        self.hits = 0
        self.misses = 0

    def load(self, tree_id: bytes) -> bytes:
        """The plaintext of tree `tree_id`: from the cache when an entry there matches the id,
        else from the repository (and then cached). A cached tree says nothing of the repository
        still holding it: a backup asks `has_tree` before it reuses the id."""
        plaintext = self.cache.get(tree_id)
        if plaintext is not None:
            if self.master.blob_id(plaintext) == tree_id:
                self.hits += 1
                return plaintext
            self.cache.discard(tree_id)  # corrupted: read from the repository and cached again
        self.misses += 1
        plaintext = self.blobs.load(tree_id, BlobType.TREE)
        self.cache.put(tree_id, plaintext)
        return plaintext
