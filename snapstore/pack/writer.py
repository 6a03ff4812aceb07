"""Building one pack (docs/design.md §4 pack): envelopes go to a sink, in memory or spooled to
a temporary file (`sinks`), and `finish` seals the header and names the pack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from snapstore.backend import ObjectData
from snapstore.index.entry import U32_MAX, IndexEntry, Sealing, check_fields
from snapstore.pack.header import (
    HEADER_ASSOCIATED,
    HEADER_LENGTH,
    HeaderEntry,
    encode_header,
    index_entries,
    pack_object_name,
)
from snapstore.pack.sinks import MemorySink, PackSink

MAX_PACK_SIZE = U32_MAX
"""§4/§5: offsets and lengths are u32, so no pack may reach 4 GiB (blobs, header and trailer)."""
HEADER_RESERVE = 1 << 20
"""Room kept under MAX_PACK_SIZE for the sealed header (42 bytes per blob) and its length."""


@dataclass(frozen=True, slots=True)
class FinishedPack:
    """A complete pack: its bytes, its id and where each of its blobs is."""

    data: ObjectData
    pack_id: bytes
    entries: tuple[IndexEntry, ...]
    release: Callable[[], None] = field(default=lambda: None, compare=False)
    """Frees `data` (a spooled pack's mapping and file); call once it is stored."""
    file: int | None = field(default=None, compare=False)
    """The descriptor of the spooled file holding `data` (valid until `release`), or None."""

    @property
    def name(self) -> str:
        """The backend object name to save `data` under."""
        return pack_object_name(self.pack_id)


class PackWriter:
    """Collects sealed blobs for one pack; `finish` seals the header and returns the pack.

    Not thread-safe: one writer per packer thread. Unusable after `finish`.
    """

    def __init__(self, sink: PackSink | None = None) -> None:
        self._sink = sink or MemorySink()
        self._header: list[HeaderEntry] = []
        self._size = 0
        self._finished = False

    @property
    def size(self) -> int:
        """Bytes of blobs added so far (the header is not counted)."""
        return self._size

    @property
    def count(self) -> int:
        """Number of blobs added so far."""
        return len(self._header)

    def add(
        self,
        blob_type: int,
        blob_id: bytes,
        envelope: ObjectData,
        raw_length: int,
        compression: int,
    ) -> None:
        """Append one sealed blob. Raises ValueError for fields the format cannot store."""
        if self._finished:
            raise ValueError("pack writer already finished")
        problem = check_fields(blob_type, compression, blob_id)
        if problem:
            raise ValueError(problem)
        # A fresh envelope from the sealer is kept as it is; any other buffer is copied, so a
        # caller reusing its buffer cannot change what the header describes.
        stored = envelope if type(envelope) in (bytes, bytearray) else bytes(envelope)
        if not stored:
            raise ValueError("an envelope is never empty")
        if not 0 <= raw_length <= U32_MAX:
            raise ValueError(f"raw length {raw_length} does not fit in u32")
        if self._size + len(stored) > MAX_PACK_SIZE - HEADER_RESERVE:
            raise ValueError(f"pack would exceed {MAX_PACK_SIZE} bytes; finish it first")
        self._sink.write(stored)
        self._header.append(HeaderEntry(blob_type, compression, len(stored), raw_length, blob_id))
        self._size += len(stored)

    def finish(self, sealer: Sealing) -> FinishedPack:
        """Seal the header, append it and its length, and return the complete pack."""
        if self._finished:
            raise ValueError("pack writer already finished")
        self._finished = True
        sealed_header = sealer.seal(encode_header(self._header), HEADER_ASSOCIATED)
        self._sink.write(sealed_header)
        self._sink.write(HEADER_LENGTH.pack(len(sealed_header)))
        data, pack_id, release, file = self._sink.close()
        return FinishedPack(
            data, pack_id, tuple(index_entries(self._header, pack_id)), release, file
        )
