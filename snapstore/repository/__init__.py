"""Repositories (layer L3).

Vocabulary: a *repository* is a backend holding a *config* (sealed), *key files* (the master key
wrapped by passwords), *packs* of blobs, *index files* and *snapshot files* (docs/design.md §2).
`Repository` opens or creates one and offers blobs and snapshots through the narrow protocols in
`protocols.py`; the *blob store* deduplicates, packs and indexes blobs; the *keyring* manages key
files.
"""

from snapstore.repository.config import ChunkerParams, RepositoryConfig
from snapstore.repository.repository import Repository, default_cache_dir

__all__ = ["ChunkerParams", "Repository", "RepositoryConfig", "default_cache_dir"]
