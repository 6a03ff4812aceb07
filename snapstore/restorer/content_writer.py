"""Writing restored file contents: chunk placements grouped by pack, packs read in parallel and
each once, blobs written with positional writes to every place they belong. All-zero 4 KiB
blocks are skipped rather than written, so sparse files get their holes back.
"""

from __future__ import annotations

import errno
import os
import threading
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from snapstore.errors import IntegrityError, SnapError
from snapstore.index import IndexEntry
from snapstore.model import Node
from snapstore.restorer.metadata import apply_metadata_fd

DEFAULT_READERS = 4
MAX_READ = 8 << 20
HOLE_BLOCK = 4096
_ZERO_BLOCK = bytes(HOLE_BLOCK)


class PackSource(Protocol):
    def lookup(self, blob_id: bytes) -> IndexEntry | None: ...

    def load_from_pack(self, entries: list[IndexEntry]) -> Iterator[tuple[IndexEntry, bytes]]: ...


class RestoreError(SnapError):
    """Writing to the target failed (disk full, permission): names the file."""


def write_error(path: bytes, error: OSError) -> RestoreError:
    if error.errno == errno.ENOSPC:
        return RestoreError(f"target disk full while writing {os.fsdecode(path)}")
    return RestoreError(f"cannot write {os.fsdecode(path)}: {error.strerror or error}")


@dataclass
class WriteStats:
    bytes_written: int = 0
    holes_bytes: int = 0
    packs_read: int = 0


def _data_runs(data: bytes, offset: int) -> Iterator[tuple[int, int]]:
    """(start, end) runs of `data` to write; the rest are whole zero blocks aligned to the file."""
    if data.find(_ZERO_BLOCK) < 0 and len(data) >= HOLE_BLOCK:
        yield 0, len(data)
        return
    run_start = None
    position = 0
    while position < len(data):
        # Blocks are aligned to the file, not to the chunk, as the file system's blocks are.
        end = min(len(data), position + HOLE_BLOCK - (offset + position) % HOLE_BLOCK)
        zero = data.count(0, position, end) == end - position
        if zero and run_start is not None:
            yield run_start, position
            run_start = None
        elif not zero and run_start is None:
            run_start = position
        position = end
    if run_start is not None:
        yield run_start, len(data)


@dataclass
class _Unfinished:
    """A planned file with chunks still to write."""

    remaining: int
    size: int | None  # final size, until the first write creates the file with it
    node: Node | None  # metadata to apply after the last write


class ContentWriter:
    def __init__(self, repo: PackSource, readers: int = DEFAULT_READERS) -> None:
        self.repo = repo
        self.readers = readers
        self.stats = WriteStats()
        self.warnings: list[str] = []  # metadata that could not be applied
        self._places: dict[bytes, list[tuple[bytes, int]]] = defaultdict(list)
        self._entries: dict[bytes, IndexEntry] = {}
        self._files: dict[bytes, _Unfinished] = {}
        self._lock = threading.Lock()

    @property
    def planned_files(self) -> int:
        return len(self._files)

    def add_file(
        self, path: bytes, content: tuple[bytes, ...], create_now: bool = False,
        node: Node | None = None,
    ) -> None:  # fmt: skip
        """Plan `path`'s chunks (offsets from the index's plaintext lengths). The file is created
        with its final size by its first write, which saves a second open of every file; it is
        created now when it has no content or `create_now` (a hard link will point at it).
        `node`'s metadata is applied through the descriptor of the last write."""
        total = 0
        for blob_id in content:
            entry = self.repo.lookup(blob_id)
            if entry is None:
                raise IntegrityError(f"data blob {blob_id.hex()} of {os.fsdecode(path)} is not in the index")
            self._places[blob_id].append((path, total))
            self._entries[blob_id] = entry
            total += entry.raw_length
        if content:
            self._files[path] = _Unfinished(len(content), None if create_now else total, node)
            if not create_now:
                return
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            try:
                os.ftruncate(fd, total)
            finally:
                os.close(fd)
        except OSError as error:
            raise write_error(path, error) from None

    def run(self) -> WriteStats:
        """Write every file planned since the last run; the totals count all runs."""
        by_pack: dict[bytes, list[IndexEntry]] = defaultdict(list)
        for entry in self._entries.values():
            by_pack[entry.pack_id].append(entry)
        with ThreadPoolExecutor(self.readers, thread_name_prefix="snap-restore") as pool:
            for future in [pool.submit(self._restore_pack, entries) for entries in by_pack.values()]:
                future.result()
        self._places.clear()
        self._entries.clear()
        return self.stats

    def _restore_pack(self, entries: list[IndexEntry]) -> None:
        for run in _runs(entries):
            for entry, data in self.repo.load_from_pack(run):
                for path, offset in self._places[entry.blob_id]:
                    self._write(path, data, offset)
        with self._lock:
            self.stats.packs_read += 1

    def _write(self, path: bytes, data: bytes, offset: int) -> None:
        written = 0
        try:
            # O_CREAT on every write: several threads may write the first chunks of one file.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                with self._lock:
                    unfinished = self._files[path]
                    size, unfinished.size = unfinished.size, None
                if size is not None:  # the first write sets the final size (trailing holes)
                    os.ftruncate(fd, size)
                for start, end in _data_runs(data, offset):
                    _pwrite_all(fd, memoryview(data)[start:end], offset + start)
                    written += end - start
                with self._lock:
                    unfinished.remaining -= 1
                    last = unfinished.remaining == 0
                    if last:
                        del self._files[path]
                if last and unfinished.node is not None:  # every other write has finished
                    apply_metadata_fd(fd, path, unfinished.node, self.warnings)
            finally:
                os.close(fd)
        except OSError as error:
            raise write_error(path, error) from None
        with self._lock:
            self.stats.bytes_written += written
            self.stats.holes_bytes += len(data) - written


def _runs(entries: list[IndexEntry]) -> Iterator[list[IndexEntry]]:
    """A pack's needed blobs in offset order, cut into reads of at most `MAX_READ` bytes, so
    memory stays bounded (each byte is still read once)."""
    run: list[IndexEntry] = []
    for entry in sorted(entries, key=lambda e: e.offset):
        if run and entry.offset + entry.length - run[0].offset > MAX_READ:
            yield run
            run = []
        run.append(entry)
    if run:
        yield run


def _pwrite_all(fd: int, view: memoryview, offset: int) -> None:
    while view:
        done = os.pwrite(fd, view, offset)
        view = view[done:]
        offset += done
