"""Where each kind of object lives on the backend (docs/design.md §2), and the associated data
that binds each sealed object to its kind."""

from __future__ import annotations

CONFIG = "config"
KEYS = "keys"
DATA = "data"
INDEX = "index"
SNAPSHOTS = "snapshots"
LOCKS = "locks"
TRASH = "trash"

CONFIG_ASSOCIATED = b"snapstore config v1"
SNAPSHOT_ASSOCIATED = b"snapstore snapshot v1"
BLOB_ASSOCIATED = b"snapstore blob v1"


def blob_associated(blob_type: int, blob_id: bytes) -> bytes:
    """A blob's envelope is bound to its type and id: swapping blobs within or between packs,
    or passing a tree off as data, fails authentication."""
    return BLOB_ASSOCIATED + bytes([blob_type]) + blob_id


def key_name(key_id: str) -> str:
    return f"{KEYS}/{key_id}"


def snapshot_name(snapshot_id: str) -> str:
    return f"{SNAPSHOTS}/{snapshot_id}"


def trash_name(pack_id: bytes) -> str:
    return f"{TRASH}/{pack_id.hex()}"
