"""Reading a pack's header from its tail, and checking a pack against its id (docs/design.md §4
pack).

A reader never needs the whole pack to list it: the last 4 bytes give the sealed header's length,
and the header gives every blob's place. One speculative read of the last `TAIL_GUESS` bytes
usually holds both, saving a round trip on remote storage.
"""

from __future__ import annotations

from collections.abc import Callable

from snapstore.backend import Backend
from snapstore.errors import IntegrityError
from snapstore.index.entry import IndexEntry, Sealing
from snapstore.pack.header import (
    HEADER_ASSOCIATED,
    HEADER_LENGTH,
    decode_header,
    index_entries,
    pack_id_from_name,
    pack_id_of,
    pack_object_name,
)

TAIL_GUESS = 16 * 1024
"""Bytes read from the end of a pack in the first request: a header of about 380 blobs fits."""

TailLoader = Callable[[int, int], bytes]
"""`load(offset, length)` of one pack, e.g. `lambda o, n: backend.load(name, o, n)`."""


def read_header(
    tail_loader: TailLoader, pack_size: int, sealer: Sealing, pack_name: str
) -> list[IndexEntry]:
    """Return the entries of pack `pack_name` (its object name), `pack_size` bytes long.

    Loads only the tail. Raises IntegrityError naming the pack when the pack is truncated, the
    header length points outside it, the header does not authenticate or is malformed, or its
    blobs do not exactly fill the space before the header. Raises ValueError if `pack_name` is
    not a pack object name (the entries need the pack id it holds).
    """
    pack_id = pack_id_from_name(pack_name)
    what = f"pack {pack_name}"
    trailer = HEADER_LENGTH.size
    if pack_size < trailer:
        raise IntegrityError(f"{what}: {pack_size} bytes, too short to hold a header length")
    tail_start = max(0, pack_size - TAIL_GUESS)
    tail = tail_loader(tail_start, pack_size - tail_start)
    if len(tail) != pack_size - tail_start:
        expected = pack_size - tail_start
        raise IntegrityError(f"{what}: read {len(tail)} bytes of its tail, expected {expected}")
    (header_length,) = HEADER_LENGTH.unpack_from(tail, len(tail) - trailer)
    blobs_end = pack_size - trailer - header_length
    if blobs_end < 0:
        raise IntegrityError(
            f"{what}: header length {header_length} exceeds the pack size {pack_size} "
            "(truncated or corrupted)"
        )
    sealed = _sealed_header(tail_loader, tail, tail_start, blobs_end, header_length, what)
    plaintext = sealer.open(sealed, HEADER_ASSOCIATED, f"{what} header")
    entries = index_entries(decode_header(plaintext, what), pack_id)
    _check_tiling(entries, blobs_end, what)
    return entries


def _sealed_header(
    tail_loader: TailLoader, tail: bytes, tail_start: int, blobs_end: int, length: int, what: str
) -> bytes:
    if blobs_end >= tail_start:
        start = blobs_end - tail_start
        return tail[start : start + length]
    sealed = tail_loader(blobs_end, length)
    if len(sealed) != length:
        raise IntegrityError(f"{what}: read {len(sealed)} bytes of its header, expected {length}")
    return sealed


def _check_tiling(entries: list[IndexEntry], blobs_end: int, what: str) -> None:
    """Blobs must cover [0, blobs_end) without gap or overlap; offsets are cumulative, so it is
    enough that no blob is empty and the lengths add up."""
    for e in entries:
        if e.length == 0:
            raise IntegrityError(f"{what}: header lists an empty blob {e.blob_id.hex()}")
    covered = sum(e.length for e in entries)
    if covered != blobs_end:
        raise IntegrityError(
            f"{what}: header describes {covered} bytes of blobs but the pack holds {blobs_end}"
        )


def load_pack_header(
    backend: Backend, name: str, sealer: Sealing, size: int | None = None
) -> list[IndexEntry]:
    """`read_header` over a backend object; pass `size` when a listing already gave it."""
    if size is None:
        size = backend.stat(name).size
    return read_header(
        lambda offset, length: backend.load(name, offset, length), size, sealer, name
    )


def verify_pack_id(data: bytes | bytearray | memoryview, pack_id: bytes) -> None:
    """Raise IntegrityError unless `data` hashes to `pack_id`; needs no key."""
    actual = pack_id_of(data)
    if actual != pack_id:
        raise IntegrityError(
            f"pack {pack_object_name(pack_id)}: content hashes to {actual.hex()} "
            "(corrupted or truncated)"
        )
