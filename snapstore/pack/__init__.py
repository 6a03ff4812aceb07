"""Pack files (layer L2, docs/design.md §4 pack): bytes in, bytes out, no storage decisions.

Vocabulary: a *blob* is one chunk of file content (type DATA) or one directory listing (TREE),
already compressed and sealed by the repository into an *envelope*. A *pack* is one backend object
holding many envelopes back to back, followed by a sealed *header* listing each blob's type,
compression, stored length, plaintext length and id, and the header's length (u32 LE). A pack's
*id* is the unkeyed BLAKE3-256 of its bytes; it is stored as `data/<2 hex>/<64 hex>`. The
*tail* is the end of a pack that holds the header and its length.
"""

from snapstore.index.entry import BlobType, IndexEntry, Sealing
from snapstore.pack.header import (
    HEADER_ASSOCIATED,
    MAGIC,
    VERSION,
    pack_id_from_name,
    pack_id_of,
    pack_object_name,
)
from snapstore.pack.reader import TailLoader, load_pack_header, read_header, verify_pack_id
from snapstore.pack.writer import MAX_PACK_SIZE, FinishedPack, PackWriter

__all__ = [
    "HEADER_ASSOCIATED",
    "MAGIC",
    "MAX_PACK_SIZE",
    "VERSION",
    "BlobType",
    "FinishedPack",
    "IndexEntry",
    "PackWriter",
    "Sealing",
    "TailLoader",
    "load_pack_header",
    "pack_id_from_name",
    "pack_id_of",
    "pack_object_name",
    "read_header",
    "verify_pack_id",
]
