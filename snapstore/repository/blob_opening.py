"""Turning a blob read from its pack back into plaintext (authenticated, decompressed, and
checked against its id), also away from the `Repository` object: a restore's helper processes
open the blobs they were sent with a `BlobOpening` they were given (docs/design.md §12)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from snapstore.compression import decompress
from snapstore.crypto import Sealer, keyed_blob_id
from snapstore.errors import IntegrityError
from snapstore.index import BlobType, IndexEntry
from snapstore.repository.layout import blob_associated


def open_blob(sealer: Sealer, id_key: bytes, entry: IndexEntry, envelope: bytes | memoryview) -> bytes:
    """Authenticate, decompress and check a blob; IntegrityError names it and its pack."""
    what = f"{BlobType(entry.blob_type).name.lower()} blob {entry.blob_id.hex()}"
    where = f"{what} in pack {entry.pack_id.hex()}"
    payload = sealer.open(envelope, blob_associated(entry.blob_type, entry.blob_id), where)
    try:
        plaintext = decompress(payload, entry.compression, entry.raw_length)
    except Exception as error:  # zstd raises its own error type
        raise IntegrityError(f"{where}: cannot decompress ({error})") from None
    if len(plaintext) != entry.raw_length or keyed_blob_id(id_key, plaintext) != entry.blob_id:
        raise IntegrityError(f"{where}: content does not match its id")
    return plaintext


def open_span(
    sealer: Sealer, id_key: bytes, entries: list[IndexEntry], span: bytes
) -> Iterator[tuple[IndexEntry, bytes]]:
    """Open each of `entries` (in pack order, one pack) from `span`, the bytes read from the
    first one's offset to the end of the last."""
    view = memoryview(span)
    start = entries[0].offset
    for entry in entries:
        at = entry.offset - start
        yield entry, open_blob(sealer, id_key, entry, view[at : at + entry.length])


@dataclass(frozen=True)
class BlobOpening:
    """The secrets that open blobs: the id key and the encryption key. Passed only to the
    restore's own helper processes, through a pipe."""

    id_key: bytes
    encryption_key: bytes

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<secret>)"

    def sealer(self) -> Sealer:
        return Sealer(self.encryption_key)
