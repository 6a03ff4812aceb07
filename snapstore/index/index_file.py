"""Index files (docs/design.md §5 index): the repository's record of where every blob lives.

    plaintext = "SNIX" || version u8 || supersedes count u32 || index file ids (32 bytes each)
                || pack count u32 || per pack: pack id (32) || entry count u32 || entries
    entry     = type u8, compression u8, offset u32, length u32, raw length u32, blob id (32)
    stored    = seal(zstd level 3 (plaintext), "snapstore index v1")
    name      = index/<hex of unkeyed BLAKE3-256 of the stored bytes>

Entries are grouped by pack so a 32-byte pack id is written once per pack, not once per blob.
Packs are sorted by id and entries by offset, so the same content always gives the same plaintext.
An index file *supersedes* the files it lists: it was written to replace them (by a prune or an
index rewrite), and readers ignore them even while they still exist.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import blake3
import zstandard

from snapstore.errors import IntegrityError
from snapstore.index.entry import ID_SIZE, IndexEntry, Sealing, check_fields

MAGIC = b"SNIX"
"""§5: first bytes of an index plaintext."""
VERSION = 1
"""§5: version of the plaintext layout."""
INDEX_ASSOCIATED = b"snapstore index v1"
"""§5: associated data of the sealed file, so no other sealed object passes for an index."""
ZSTD_LEVEL = 3
"""§5: index plaintexts are repetitive (ids aside, small integers); level 3 is fast and enough."""
INDEX_FOLDER = "index"
"""§5: index files are stored as index/<64 hex>."""

PREAMBLE = struct.Struct("<4sBI")
"""§5: magic, version (u8), supersedes count (u32 LE)."""
FILE_ID = struct.Struct("<32s")
COUNT = struct.Struct("<I")
PACK_HEAD = struct.Struct("<32sI")
"""§5: pack id, number of entries in that pack (u32 LE)."""
ENTRY = struct.Struct("<BBIII32s")
"""§5: type, compression, offset, length, raw length (u32 LE), blob id."""


@dataclass(frozen=True, slots=True)
class IndexFile:
    """A decoded index file: the ids of the files it replaces and its entries."""

    supersedes: tuple[bytes, ...]
    entries: tuple[IndexEntry, ...]


def index_object_name(file_id: bytes) -> str:
    if len(file_id) != ID_SIZE:
        raise ValueError(f"index file id must be {ID_SIZE} bytes, got {len(file_id)}")
    return f"{INDEX_FOLDER}/{file_id.hex()}"


def index_file_id(name: str) -> bytes:
    """Inverse of `index_object_name`; raises ValueError for a name that is not an index file's."""
    try:
        file_id = bytes.fromhex(name.removeprefix(INDEX_FOLDER + "/"))
    except ValueError:
        file_id = b""
    if len(file_id) != ID_SIZE or index_object_name(file_id) != name:
        raise ValueError(f"{name!r} is not an index object name (index/<64 lowercase hex>)")
    return file_id


def encode_plaintext(entries: Iterable[IndexEntry], supersedes: Iterable[bytes]) -> bytes:
    """The canonical plaintext; raises ValueError for fields the format cannot hold."""
    replaced = sorted(set(supersedes))
    if any(len(i) != ID_SIZE for i in replaced):
        raise ValueError(f"superseded index file ids must be {ID_SIZE} bytes")
    parts = [PREAMBLE.pack(MAGIC, VERSION, len(replaced)), *replaced]
    packs = _group_by_pack(entries)
    parts.append(COUNT.pack(len(packs)))
    try:
        for pack_id, pack_entries in packs:
            parts.append(PACK_HEAD.pack(pack_id, len(pack_entries)))
            parts += [_pack_entry(e) for e in pack_entries]
    except struct.error as error:
        raise ValueError(f"index entry does not fit the format: {error}") from None
    return b"".join(parts)


def _group_by_pack(entries: Iterable[IndexEntry]) -> list[tuple[bytes, list[IndexEntry]]]:
    """Entries sorted by pack and offset, grouped by pack; an entry given twice is kept once,
    two different entries at one place are an error. One sort with a C key (entries of one
    pack usually come in order already) and one pass: this runs for every pack a backup writes."""
    packs: list[tuple[bytes, list[IndexEntry]]] = []
    previous: IndexEntry | None = None
    for e in sorted(entries, key=_place):
        if len(e.pack_id) != ID_SIZE:
            raise ValueError(f"pack id must be {ID_SIZE} bytes, got {len(e.pack_id)}")
        if previous is not None and previous.offset == e.offset and previous.pack_id == e.pack_id:
            if previous != e:
                raise ValueError(f"two different entries at offset {e.offset} of {e.pack_id.hex()}")
            continue
        if not packs or packs[-1][0] != e.pack_id:
            packs.append((e.pack_id, []))
        packs[-1][1].append(e)
        previous = e
    return packs


_place = attrgetter("pack_id", "offset")


def _pack_entry(e: IndexEntry) -> bytes:
    problem = check_fields(e.blob_type, e.compression, e.blob_id)
    if problem:
        raise ValueError(problem)
    return ENTRY.pack(e.blob_type, e.compression, e.offset, e.length, e.raw_length, e.blob_id)


def decode_plaintext(plaintext: bytes, what: str) -> IndexFile:
    """Parse a plaintext; raises IntegrityError naming `what` if it is malformed."""
    reader = _Reader(plaintext, what)
    magic, version, replaced_count = reader.take(PREAMBLE)
    if magic != MAGIC:
        raise IntegrityError(f"{what}: not an index file (magic {magic!r})")
    if version != VERSION:
        raise IntegrityError(f"{what}: unsupported index version {version}")
    supersedes = tuple(file_id for (file_id,) in reader.take_many(FILE_ID, replaced_count))
    (pack_count,) = reader.take(COUNT)
    entries: list[IndexEntry] = []
    for _ in range(pack_count):
        pack_id, entry_count = reader.take(PACK_HEAD)
        for fields in reader.take_many(ENTRY, entry_count):
            entries.append(_entry(pack_id, fields, what))
    reader.expect_end()
    return IndexFile(supersedes, tuple(entries))


def _entry(pack_id: bytes, fields: tuple[int, int, int, int, int, bytes], what: str) -> IndexEntry:
    blob_type, compression, offset, length, raw_length, blob_id = fields
    problem = check_fields(blob_type, compression, blob_id)
    if problem:
        raise IntegrityError(f"{what}: {problem}")
    return IndexEntry(blob_id, blob_type, pack_id, offset, length, raw_length, compression)


class _Reader:
    """Walks a plaintext front to back; running out of bytes is an IntegrityError."""

    def __init__(self, data: bytes, what: str) -> None:
        self._data = data
        self._pos = 0
        self._what = what

    def _advance(self, size: int) -> int:
        start = self._pos
        if start + size > len(self._data):
            raise IntegrityError(f"{self._what}: ends early (needs {start + size} bytes)")
        self._pos += size
        return start

    def take(self, layout: struct.Struct) -> tuple[Any, ...]:
        return layout.unpack_from(self._data, self._advance(layout.size))

    def take_many(self, layout: struct.Struct, count: int) -> Iterator[tuple[Any, ...]]:
        start = self._advance(layout.size * count)
        return layout.iter_unpack(memoryview(self._data)[start : self._pos])

    def expect_end(self) -> None:
        if self._pos != len(self._data):
            raise IntegrityError(f"{self._what}: {len(self._data) - self._pos} trailing bytes")


def encode_index(
    entries: Iterable[IndexEntry], supersedes: Iterable[bytes], sealer: Sealing
) -> tuple[str, bytes | bytearray]:
    """Return (object name, stored bytes) of a new index file."""
    compressed = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(
        encode_plaintext(entries, supersedes)
    )
    stored = sealer.seal(compressed, INDEX_ASSOCIATED)
    return index_object_name(blake3.blake3(stored).digest()), stored


def decode_index(data: bytes, sealer: Sealing, name: str) -> IndexFile:
    """Check `data` against its object `name`, open, decompress and parse it.

    Raises IntegrityError naming the file on any damage: wrong hash, failed authentication,
    bad zstd frame or malformed plaintext.
    """
    what = f"index file {name}"
    actual = blake3.blake3(data).digest()
    try:
        expected = index_file_id(name)
    except ValueError as error:
        raise IntegrityError(f"{what}: {error}") from None
    if actual != expected:
        raise IntegrityError(f"{what}: content hashes to {actual.hex()} (corrupted or truncated)")
    compressed = sealer.open(data, INDEX_ASSOCIATED, what)
    try:
        plaintext = zstandard.ZstdDecompressor().decompress(compressed)
    except zstandard.ZstdError as error:
        raise IntegrityError(f"{what}: bad zstd frame ({error})") from None
    return decode_plaintext(plaintext, what)
