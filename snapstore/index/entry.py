"""An index entry: where one blob lives (docs/design.md §4 pack, §5 index).

Also the values the entry's fields take, and `Sealing`, the narrow view of a sealer that pack
headers and index files are encrypted with. They live here, at the bottom of the index package,
because both `pack` and `index` need them and `pack` already depends on `IndexEntry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

from snapstore import compression

ID_SIZE = 32
"""Blob ids, pack ids and index file ids are all 32 bytes (BLAKE3-256), hex in object names."""

U32_MAX = 2**32 - 1
"""Offsets and lengths are stored as u32 (§4, §5), which caps a pack at 4 GiB."""


class BlobType(IntEnum):
    """What a blob holds (§4): file content or a directory listing. Stored as one byte."""

    DATA = 0
    TREE = 1


BLOB_TYPES = frozenset(int(t) for t in BlobType)
COMPRESSIONS = frozenset((compression.NONE, compression.ZSTD))
"""The compression values of §4: NONE = 0, ZSTD = 1 (defined by snapstore.compression)."""


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """Blob `blob_id` is the envelope at `offset`, `length` bytes long, in pack `pack_id`.

    `raw_length` is the plaintext length before compression, so readers can size buffers and
    bound decompression without opening the envelope.
    """

    blob_id: bytes
    blob_type: int
    pack_id: bytes
    offset: int
    length: int
    raw_length: int
    compression: int


class Sealing(Protocol):
    """What packs and index files need of a sealer (snapstore.crypto.Sealer implements it)."""

    def seal(self, plaintext: bytes | memoryview, associated: bytes) -> bytes | bytearray: ...

    def open(self, envelope: bytes | memoryview, associated: bytes, what: str) -> bytes:
        """Raise IntegrityError naming `what` if the envelope does not authenticate."""
        ...


def check_fields(blob_type: int, blob_compression: int, blob_id: bytes) -> str | None:
    """Return what is wrong with these stored fields, or None; shared by every decoder."""
    if blob_type not in BLOB_TYPES:
        return f"unknown blob type {blob_type}"
    if blob_compression not in COMPRESSIONS:
        return f"unknown compression {blob_compression}"
    if len(blob_id) != ID_SIZE:
        return f"blob id of {len(blob_id)} bytes"
    return None
