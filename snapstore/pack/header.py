"""The pack file format (docs/design.md §4 pack): layout constants, the header plaintext, and
how packs are named.

    pack = blob_1 || ... || blob_n || sealed header || header length (u32 LE)

Each blob is an envelope sealed by the repository. The header lists, in order, each blob's type,
compression, stored length, plaintext length and id; offsets are implied by the order, so they
cannot disagree with the layout. The header is sealed too: the storage learns neither blob ids nor
sizes. The header length sits at the very end so a reader finds the header by reading the tail.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import blake3

from snapstore.errors import IntegrityError
from snapstore.index.entry import ID_SIZE, IndexEntry, check_fields

MAGIC = b"SNPK"
"""§4: first bytes of the header plaintext; tells a pack header from any other sealed object."""
VERSION = 1
"""§4: version of the header layout, after the magic."""
HEADER_ASSOCIATED = b"snapstore pack header v1"
"""§4: associated data of the sealed header, so no other sealed object can pass for a header."""

PREAMBLE = struct.Struct("<4sBI")
"""§4: magic, version (u8), blob count (u32 LE)."""
HEADER_ENTRY = struct.Struct("<BBII32s")
"""§4: per blob: type, compression, stored length, plaintext length (u32 LE each), blob id."""
HEADER_LENGTH = struct.Struct("<I")
"""§4: trailing length of the sealed header, u32 LE."""

DATA_FOLDER = "data"
"""§4: packs are stored as data/<first 2 hex chars of the id>/<64 hex chars>."""


@dataclass(frozen=True, slots=True)
class HeaderEntry:
    """One blob as the header describes it; its offset follows from the entries before it."""

    blob_type: int
    compression: int
    length: int
    raw_length: int
    blob_id: bytes


def encode_header(entries: Sequence[HeaderEntry]) -> bytes:
    """Return the header plaintext (before sealing); raises ValueError for out-of-range fields."""
    parts = [PREAMBLE.pack(MAGIC, VERSION, len(entries))]
    for e in entries:
        problem = check_fields(e.blob_type, e.compression, e.blob_id)
        if problem:
            raise ValueError(problem)
        parts.append(
            HEADER_ENTRY.pack(e.blob_type, e.compression, e.length, e.raw_length, e.blob_id)
        )
    return b"".join(parts)


def decode_header(plaintext: bytes, what: str) -> list[HeaderEntry]:
    """Parse a header plaintext; raises IntegrityError naming `what` if it is malformed."""
    if len(plaintext) < PREAMBLE.size:
        raise IntegrityError(f"{what}: header of {len(plaintext)} bytes is too short")
    magic, version, count = PREAMBLE.unpack_from(plaintext)
    if magic != MAGIC:
        raise IntegrityError(f"{what}: not a pack header (magic {magic!r})")
    if version != VERSION:
        raise IntegrityError(f"{what}: unsupported pack header version {version}")
    expected = PREAMBLE.size + count * HEADER_ENTRY.size
    if len(plaintext) != expected:
        raise IntegrityError(
            f"{what}: header of {len(plaintext)} bytes does not hold {count} entries "
            f"({expected} bytes)"
        )
    entries = [
        HeaderEntry(*fields) for fields in HEADER_ENTRY.iter_unpack(plaintext[PREAMBLE.size :])
    ]
    for e in entries:
        problem = check_fields(e.blob_type, e.compression, e.blob_id)
        if problem:
            raise IntegrityError(f"{what}: {problem}")
    return entries


def index_entries(header: Sequence[HeaderEntry], pack_id: bytes) -> list[IndexEntry]:
    """Locate the header's blobs: each starts where the one before it ends, the first at 0."""
    entries = []
    offset = 0
    for h in header:
        entries.append(
            IndexEntry(
                h.blob_id, h.blob_type, pack_id, offset, h.length, h.raw_length, h.compression
            )
        )
        offset += h.length
    return entries


def pack_id_of(data: bytes | bytearray | memoryview) -> bytes:
    """§4: a pack's id is the unkeyed BLAKE3-256 of its bytes, so anyone can check a pack
    against its name without the key (and storage corruption is caught before decryption)."""
    return blake3.blake3(data).digest()


def pack_object_name(pack_id: bytes) -> str:
    """§4: `data/<2 hex>/<64 hex>`; the 2-character shard keeps folders small on local disks."""
    if len(pack_id) != ID_SIZE:
        raise ValueError(f"pack id must be {ID_SIZE} bytes, got {len(pack_id)}")
    hex_id = pack_id.hex()
    return f"{DATA_FOLDER}/{hex_id[:2]}/{hex_id}"


def pack_id_from_name(name: str) -> bytes:
    """Inverse of `pack_object_name`; raises ValueError for a name that is not a pack's."""
    parts = name.split("/")
    try:
        pack_id = bytes.fromhex(parts[-1])
    except ValueError:
        pack_id = b""
    if len(pack_id) != ID_SIZE or pack_object_name(pack_id) != name:
        raise ValueError(f"{name!r} is not a pack object name (data/<2 hex>/<64 lowercase hex>)")
    return pack_id
