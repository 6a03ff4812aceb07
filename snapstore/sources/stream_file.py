"""`StreamFile`: where a stream goes in the snapshot and the metadata its file gets; and
`BlockReader`, which hands the chunker full blocks from a pipe or file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Protocol

from snapstore.errors import StreamError

# Dumps hold whole databases: only their owner may read a restored one.
STREAM_FILE_MODE = 0o600


@dataclass(frozen=True, kw_only=True)
class StreamFile:
    snapshot_path: str
    tags: tuple[str, ...] = ()
    mode: int = STREAM_FILE_MODE
    uid: int = field(default_factory=os.getuid)
    gid: int = field(default_factory=os.getgid)


class _RawReader(Protocol):
    def readinto(self, buffer: memoryview, /) -> int | None: ...


class BlockReader:
    """Fills each buffer as far as the source goes (a pipe gives at most 64 KiB per read), so
    the chunker scans whole blocks; a read error becomes StreamError naming `label`."""

    def __init__(self, raw: _RawReader, label: str) -> None:
        self._raw = raw
        self._label = label

    def readinto(self, buffer: memoryview) -> int:
        filled = 0
        while filled < len(buffer):
            try:
                count = self._raw.readinto(buffer[filled:])
            except OSError as error:
                raise StreamError(f"reading {self._label} failed: {error.strerror or error}; "
                                  "no snapshot was saved") from None  # fmt: skip
            if not count:
                break
            filled += count
        return filled
