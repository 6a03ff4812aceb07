"""Tree blobs read through the local tree cache (docs/design.md §5.2): a backup reads its
parent snapshot's trees from there, without a repository read per folder. Entries are sealed with
the repository's encryption key and bound to their tree id, so the cache holds no file names in
the clear and a damaged, swapped or planted entry fails authentication."""

from __future__ import annotations

from snapstore.crypto import Sealer
from snapstore.errors import IntegrityError
from snapstore.index import BlobType
from snapstore.index.tree_cache import TreeCache
from snapstore.repository.blob_store import BlobStore

TREE_CACHE_ASSOCIATED = b"snapstore tree cache v1"


def _associated(tree_id: bytes) -> bytes:
    return TREE_CACHE_ASSOCIATED + tree_id


class CachedTrees:
    def __init__(self, cache: TreeCache, blobs: BlobStore, sealer: Sealer) -> None:
        self.cache = cache
        self.blobs = blobs
        self.sealer = sealer
        self.hits = 0
        self.misses = 0

    def load(self, tree_id: bytes) -> bytes:
        """The plaintext of tree `tree_id`: from the cache when its entry authenticates as this
        tree's, else from the repository (and then cached). A cached tree says nothing of the
        repository still holding it: a backup asks `has_tree` before it reuses the id."""
        entry = self.cache.get(tree_id)
        if entry is not None:
            try:
                plaintext = self.sealer.open(entry, _associated(tree_id), "cached tree")
            except IntegrityError:
                self.cache.discard(tree_id)  # damaged: read from the repository, cached again
            else:
                self.hits += 1
                return plaintext
        self.misses += 1
        plaintext = self.blobs.load(tree_id, BlobType.TREE)
        self.cache.put(tree_id, bytes(self.sealer.seal(plaintext, _associated(tree_id))))
        return plaintext
