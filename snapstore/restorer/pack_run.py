"""One read of a restore: a run of blobs from one pack (at most `MAX_READ` bytes), the places in
the target each is written to, and the files the run writes whole. A run is written by a thread
of the restore or by a helper process (`restore_worker`), with the same code; it is plain data,
so that it can be sent to one.

A file all of whose chunks are in one run is created, written, given its metadata and closed by
that run, through one descriptor. Any other file was created with its final size before the runs
started, and each run only writes its chunks into it; the restore sets its metadata once all
runs are done.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from snapstore.errors import SnapError
from snapstore.index import IndexEntry
from snapstore.restorer.metadata import FileMetadata, apply_file_metadata

MAX_READ = 8 << 20
# Runs for helper processes are smaller: each is in memory twice (read here, opened there).
HELPER_READ = 2 << 20
HOLE_BLOCK = 4096
_ZERO_BLOCK = bytes(HOLE_BLOCK)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
_REOPEN = os.O_WRONLY | os.O_CLOEXEC


class RestoreError(SnapError):
    """Writing to the target failed (disk full, permission): names the file."""


def write_error(path: bytes, error: OSError) -> RestoreError:
    if error.errno == errno.ENOSPC:
        return RestoreError(f"target disk full while writing {os.fsdecode(path)}")
    return RestoreError(f"cannot write {os.fsdecode(path)}: {error.strerror or error}")


Place = tuple[bytes, int]  # path, offset in the file


# A file the run writes entirely: its size, its number of places in the run, the mode to create
# it with, and the metadata to set after its last write (a plain tuple, as FileMetadata).
WholeFile = tuple[int, int, int, FileMetadata | None]


@dataclass
class PackRun:
    pack_id: bytes
    entries: list[IndexEntry]  # in pack order, one read spans them
    places: list[list[Place]]  # per entry
    whole: dict[bytes, WholeFile] = field(default_factory=dict)

    @property
    def start(self) -> int:
        return self.entries[0].offset

    @property
    def length(self) -> int:
        last = self.entries[-1]
        return last.offset + last.length - self.start


# A run as sent to a helper process: plain tuples pickle four times faster than index entries.
WireRun = tuple[bytes, list[tuple[bytes, int, int, int, int, int]], list[list[Place]], dict[bytes, WholeFile]]


def run_to_wire(run: PackRun) -> WireRun:
    entries = [(e.blob_id, e.blob_type, e.offset, e.length, e.raw_length, e.compression) for e in run.entries]
    return run.pack_id, entries, run.places, run.whole


def run_from_wire(wire: WireRun) -> PackRun:
    pack_id, entries, places, whole = wire
    return PackRun(
        pack_id,
        [IndexEntry(b, t, pack_id, offset, length, raw, c) for b, t, offset, length, raw, c in entries],
        places,
        whole,
    )


@dataclass
class RunStats:
    bytes_written: int = 0
    holes_bytes: int = 0
    warnings: list[str] = field(default_factory=list)

    def add(self, other: RunStats) -> None:
        self.bytes_written += other.bytes_written
        self.holes_bytes += other.holes_bytes
        self.warnings += other.warnings


def pack_runs(entries: Iterable[IndexEntry], max_read: int = MAX_READ) -> Iterator[list[IndexEntry]]:
    """A pack's needed blobs in offset order, cut into reads of at most `max_read` bytes, so
    memory stays bounded (each byte is still read once)."""
    run: list[IndexEntry] = []
    for entry in sorted(entries, key=lambda e: e.offset):
        if run and entry.offset + entry.length - run[0].offset > max_read:
            yield run
            run = []
        run.append(entry)
    if run:
        yield run


def write_run(run: PackRun, blobs: Iterable[tuple[IndexEntry, bytes]]) -> RunStats:
    """Write each of the run's blobs (given in the run's order, opened) to its places."""
    writer = _RunWriter(run)
    try:
        for (_, data), places in zip(blobs, run.places, strict=True):
            for path, offset in places:
                writer.write(path, data, offset)
    finally:
        writer.close_all()
    return writer.stats


class _RunWriter:
    def __init__(self, run: PackRun) -> None:
        self.whole = run.whole
        self.stats = RunStats()
        self._open: dict[bytes, list[int]] = {}  # path -> [fd, writes left, end of the last byte written]

    def write(self, path: bytes, data: bytes, offset: int) -> None:
        try:
            whole = self.whole.get(path)
            if whole is None:
                fd = os.open(path, _REOPEN)
                try:
                    self._write_data(fd, data, offset)
                finally:
                    os.close(fd)
                return
            opened = self._open.get(path)
            if opened is None:
                opened = self._open[path] = [os.open(path, _CREATE, whole[2]), whole[1], 0]
            end = self._write_data(opened[0], data, offset)
            opened[1] -= 1
            opened[2] = max(opened[2], end)
            if not opened[1]:
                self._finish(path, whole, opened)
        except OSError as error:
            raise write_error(path, error) from None

    def _write_data(self, fd: int, data: bytes, offset: int) -> int:
        """Write `data` but its zero blocks; return where the last byte written ends."""
        written = end = 0
        for start, stop in _data_runs(data, offset):
            _pwrite_all(fd, memoryview(data)[start:stop], offset + start)
            written += stop - start
            end = offset + stop
        self.stats.bytes_written += written
        self.stats.holes_bytes += len(data) - written
        return end

    def _finish(self, path: bytes, whole: WholeFile, opened: list[int]) -> None:
        del self._open[path]
        fd, _, end = opened
        size, _, _, metadata = whole
        try:
            if end < size:  # it ends in a hole
                os.ftruncate(fd, size)
            if metadata is not None:
                apply_file_metadata(fd, path, metadata, self.stats.warnings)
        finally:
            os.close(fd)

    def close_all(self) -> None:
        """After an error: the files left open are closed (and stay incomplete)."""
        for opened in self._open.values():
            os.close(opened[0])
        self._open.clear()


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


def _pwrite_all(fd: int, view: memoryview, offset: int) -> None:
    while view:
        done = os.pwrite(fd, view, offset)
        view = view[done:]
        offset += done
