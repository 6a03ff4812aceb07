"""Where a pack's bytes collect while it is built: in memory, or spooled to an unnamed temporary
file (docs/design.md §4). A spooled pack costs no process memory while it fills; when finished,
a backend that saves from a file (the local one) copies it from its descriptor, any other gets
its bytes mapped read-only, and the file vanishes once released."""

from __future__ import annotations

import mmap
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import blake3

from snapstore.backend import ObjectData
from snapstore.pack.header import pack_id_of


class PackSink(Protocol):
    def write(self, data: ObjectData) -> None: ...

    def close(self) -> tuple[ObjectData, bytes, Callable[[], None], int | None]:
        """The pack's bytes, their BLAKE3-256 (the pack id), what frees them, and the descriptor
        of a file holding them (None in memory)."""
        ...


class MemorySink:
    """Parts kept in a list and joined once: adding is O(1), each byte is copied once."""

    def __init__(self) -> None:
        self._parts: list[ObjectData] = []

    def write(self, data: ObjectData) -> None:
        self._parts.append(data)

    def close(self) -> tuple[ObjectData, bytes, Callable[[], None], int | None]:
        data = b"".join(self._parts)
        self._parts = []
        return data, pack_id_of(data), _nothing, None


WRITE_BUFFER = 1 << 20


class SpoolSink:
    """An unnamed file in `folder` (O_TMPFILE where the file system has it): nothing is left
    behind by a crash, and pages written are the page cache's, not the process's."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Buffered: small files make blobs of a few KiB, one write call each would be a syscall.
        self._file = tempfile.TemporaryFile(dir=folder, buffering=WRITE_BUFFER)  # noqa: SIM115 (closed by release)
        self._hash = blake3.blake3()
        self._size = 0

    def write(self, data: ObjectData) -> None:
        self._file.write(data)  # a buffered file writes everything or raises
        self._hash.update(data)
        self._size += len(data)

    def close(self) -> tuple[ObjectData, bytes, Callable[[], None], int | None]:
        self._file.flush()
        # Mapping costs nothing until the pages are read, which saving from the file never does.
        mapped = mmap.mmap(self._file.fileno(), self._size, prot=mmap.PROT_READ)
        view = memoryview(mapped)
        file = self._file

        def release() -> None:
            view.release()
            mapped.close()
            file.close()

        return view, self._hash.digest(), release, file.fileno()


def _nothing() -> None:
    return None
