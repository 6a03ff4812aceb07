"""Turning plaintext into a sealed blob (compressed, then encrypted and bound to its type and id),
also away from the `Repository` object: a backup's helper processes seal small files with a
`DataSealing` they were given, and the repository only packs the result (docs/design.md §12)."""

from __future__ import annotations

from dataclasses import dataclass

from snapstore.compression import compress
from snapstore.crypto import Sealer, keyed_blob_id
from snapstore.index import BlobType
from snapstore.repository.blob_opening import BlobOpening
from snapstore.repository.layout import blob_associated


def seal_blob(
    sealer: Sealer, blob_type: BlobType, blob_id: bytes, plaintext: bytes | memoryview, level: int
) -> tuple[bytearray, int]:
    """The envelope of one blob and its compression, as stored in a pack."""
    payload, compression = compress(plaintext, level)
    return sealer.seal(payload, blob_associated(blob_type, blob_id)), compression


@dataclass(frozen=True)
class SealedBlob:
    """A data blob ready to be packed."""

    blob_id: bytes
    envelope: bytes | bytearray
    raw_length: int
    compression: int


@dataclass(frozen=True, repr=False)
class DataSealing(BlobOpening):
    """The secrets and settings that make data blobs: the keys that open them, and the
    compression level. Passed only to the backup's own helper processes, through a pipe."""

    compression_level: int

    def seal(self, sealer: Sealer, plaintext: bytes) -> SealedBlob:
        blob_id = keyed_blob_id(self.id_key, plaintext)
        envelope, compression = seal_blob(sealer, BlobType.DATA, blob_id, plaintext, self.compression_level)
        return SealedBlob(blob_id, envelope, len(plaintext), compression)
