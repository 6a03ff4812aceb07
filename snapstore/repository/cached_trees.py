"""Tree blobs read through the local tree cache (docs/design.md §5.2): a backup reads its
parent snapshot's trees from there, without a repository read per folder."""

from __future__ import annotations

from snapstore.compression import compress, decompress
from snapstore.crypto import MasterKey
from snapstore.index import BlobType
from snapstore.index.tree_cache import TreeCache
from snapstore.repository.blob_store import BlobStore

CACHE_LEVEL = 1  # zstd level of cached trees: paid once per tree, on a cache miss


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
        plaintext = self._cached(tree_id)
        if plaintext is not None:
            self.hits += 1
            return plaintext
        self.misses += 1
        plaintext = self.blobs.load(tree_id, BlobType.TREE)
        payload, compression = compress(plaintext, CACHE_LEVEL)
        self.cache.put(tree_id, compression, len(plaintext), bytes(payload))
        return plaintext

    def _cached(self, tree_id: bytes) -> bytes | None:
        found = self.cache.get(tree_id)
        if found is None:
            return None
        compression, raw_length, payload = found
        try:
            plaintext = decompress(payload, compression, raw_length)
        except Exception:  # zstd raises its own error type; a bad frame is a corrupted entry
            plaintext = None
        if (
            plaintext is None
            or len(plaintext) != raw_length
            or self.master.blob_id(plaintext) != tree_id
        ):
            self.cache.discard(tree_id)  # read from the repository instead, and cached again
            return None
        return plaintext
