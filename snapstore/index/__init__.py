"""The index (layer L2, docs/design.md §5 index): which pack holds each blob, and where in it.

Vocabulary: an *index entry* says blob id -> (pack id, offset, length, plaintext length, type,
compression). An *index file* is a sealed, compressed batch of entries stored in the repository
as `index/<hex of its BLAKE3-256>`; index files are the truth, written once, never changed. An
index file may *supersede* older ones (it was written to replace them); readers ignore superseded
files. The *cache* is a local LMDB database merging the index files for fast lookups; it is only
a copy and is rebuilt whenever it might be stale. *Syncing* merges the files other hosts wrote
since the last sync.
"""

from snapstore.index.cache_sync import SyncReport, sync_cache
from snapstore.index.entry import BLOB_TYPES, COMPRESSIONS, BlobType, IndexEntry, Sealing
from snapstore.index.index_file import (
    INDEX_ASSOCIATED,
    INDEX_FOLDER,
    IndexFile,
    decode_index,
    encode_index,
    index_file_id,
    index_object_name,
)
from snapstore.index.lmdb_cache import DiskBlobSet, IndexCache

__all__ = [
    "BLOB_TYPES",
    "COMPRESSIONS",
    "INDEX_ASSOCIATED",
    "INDEX_FOLDER",
    "BlobType",
    "DiskBlobSet",
    "IndexCache",
    "IndexEntry",
    "IndexFile",
    "Sealing",
    "SyncReport",
    "decode_index",
    "encode_index",
    "index_file_id",
    "index_object_name",
    "sync_cache",
]
