"""Keys, encryption and keyed hashing (layer L0, no I/O).

Vocabulary: the *master key* is a repository's random secret; *subkeys* are derived from it for
one purpose each (blob ids, the chunker's gear table, encryption); *content keys* are the
first two, which a repository may adopt from another to name and cut data alike. A *sealer* encrypts and
authenticates a message with AES-256-GCM under a key derived for that message alone, binding
*associated data* (what the message is: a blob id, a file kind) without storing it. A *key file*
holds the master key wrapped by a key derived from a password (Argon2id). See docs/design.md §3.
"""

from snapstore.crypto.aead import ENVELOPE_OVERHEAD, Sealer
from snapstore.crypto.keyfile import KdfParams, unwrap_master_key, wrap_master_key
from snapstore.crypto.subkeys import ContentKeys, MasterKey, keyed_blob_id

__all__ = [
    "ContentKeys",
    "ENVELOPE_OVERHEAD",
    "KdfParams",
    "MasterKey",
    "Sealer",
    "unwrap_master_key",
    "keyed_blob_id",
    "wrap_master_key",
]
