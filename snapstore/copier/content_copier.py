"""Moving one file's contents from the source to the target: by id when both repositories name
and cut data alike, otherwise streamed through the target's chunker. Every blob is read through
the source repository, which authenticates it and checks it against its id.

Reading and cutting happen on the calling thread; hashing, compression, encryption and packing
of the target's blobs on worker threads (they release the GIL). A file's chunk ids are
`Pending` until its blobs are stored, so the files of a folder are stored in parallel; the bytes
handed to the workers are bounded (`MAX_BYTES_IN_FLIGHT`), so memory is too, whatever the size
of a file or of the repository.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import blake3

from snapstore.archiver.byte_budget import ByteBudget
from snapstore.chunker.stream import BLOCK_SIZE, iter_chunks
from snapstore.copier.options import CopyCounters
from snapstore.repository.protocols import BlobLoader, BlobSaver

DEFAULT_WORKERS = os.cpu_count() or 2
MAX_BYTES_IN_FLIGHT = 32 << 20  # source blobs handed to the workers and not yet stored
# Contents already moved in this run (hard links, duplicate files, files in several snapshots)
# are not read again; the memo is bounded by the number of chunk ids it holds.
MEMO_IDS = 200_000
MIN_BLOCK = 64 << 10


class Pending:
    """The target's chunk ids of one file, some still being stored."""

    def __init__(self, slots: list[bytes | Future[bytes]]) -> None:
        self._slots = slots

    def __len__(self) -> int:
        return len(self._slots)

    def ids(self) -> tuple[bytes, ...]:
        """Waits for the workers; re-raises the first error one met."""
        ids = tuple(s.result() if isinstance(s, Future) else s for s in self._slots)
        self._slots = list(ids)
        return ids


class _BlobStream:
    """A `readinto` over the concatenation of a sequence of blobs."""

    def __init__(self, blobs: Iterator[bytes]) -> None:
        self._blobs = blobs
        self._current = memoryview(b"")

    def readinto(self, view: memoryview) -> int:
        filled = 0
        while filled < len(view):
            if not self._current:
                following = next(self._blobs, None)
                if following is None:
                    break
                self._current = memoryview(following)
            n = min(len(view) - filled, len(self._current))
            view[filled : filled + n] = self._current[:n]
            self._current = self._current[n:]
            filled += n
        return filled


class ContentCopier:
    """`stream_below`: a file whose first chunk (of several) is shorter than this was cut by the
    source's stream chunker (the file chunker cuts no chunk but the last below its minimum), so
    it is re-cut with the target's stream chunker, as a stream backed up there would be."""

    def __init__(
        self, source: BlobLoader, target: BlobSaver, counters: CopyCounters, rechunk: bool,
        workers: int = DEFAULT_WORKERS, max_in_flight: int = MAX_BYTES_IN_FLIGHT,
        stream_below: int = 0,
    ) -> None:  # fmt: skip
        self.source = source
        self.target = target
        self.counters = counters
        self.rechunk = rechunk
        self.stream_below = stream_below
        self._scanner = target.new_scanner() if rechunk else None
        self._stream_scanner = target.new_scanner(stream=True) if rechunk else None
        self._memo: OrderedDict[bytes, Pending] = OrderedDict()
        self._memo_ids = 0
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="snap-copy")
        self._budget = ByteBudget(max_in_flight)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def copy(self, content: tuple[bytes, ...], size: int) -> Pending:
        """The target's chunk ids of a file whose source chunk ids are `content`."""
        if not content:
            return Pending([])
        key = blake3.blake3(b"".join(content)).digest()
        if (known := self._memo.get(key)) is not None:
            self._memo.move_to_end(key)
            return known
        pending = self._rechunk(content, size) if self.rechunk else self._by_id(content)
        self._remember(key, pending, len(content))
        return pending

    def _remember(self, key: bytes, pending: Pending, count: int) -> None:
        self._memo[key] = pending
        self._memo_ids += count
        while self._memo_ids > MEMO_IDS and len(self._memo) > 1:
            _, dropped = self._memo.popitem(last=False)
            self._memo_ids -= len(dropped)

    def _read(self, blob_id: bytes) -> bytes:
        data = self.source.load_data(blob_id)
        self.counters.blobs_read += 1
        self.counters.bytes_read += len(data)
        return data

    def _submit(self, data: bytes, blob_id: bytes | None) -> Future[bytes]:
        self._budget.acquire(len(data))
        try:
            return self._pool.submit(self._store, data, blob_id)
        except BaseException:
            self._budget.release(len(data))
            raise

    def _store(self, data: bytes, blob_id: bytes | None) -> bytes:
        try:
            if blob_id is None:
                blob_id = self.target.blob_id(data)
            added = self.target.save_data(data, blob_id)
            if added:
                with self._lock:
                    self.counters.data_blobs_added += 1
                    self.counters.bytes_added += len(data)
                    self.counters.bytes_stored += added
            return blob_id
        finally:
            self._budget.release(len(data))

    def _by_id(self, content: tuple[bytes, ...]) -> Pending:
        slots: list[bytes | Future[bytes]] = []
        for blob_id in content:
            if self.target.has_data(blob_id):
                slots.append(blob_id)
            else:
                slots.append(self._submit(self._read(blob_id), blob_id))
        return Pending(slots)

    def _rechunk(self, content: tuple[bytes, ...], size: int) -> Pending:
        scanner = self._scanner
        assert scanner is not None and self._stream_scanner is not None
        first = self._read(content[0])
        if len(content) == 1 and len(first) <= scanner.min_size:  # one chunk: no scanning
            return Pending([self._submit(first, None)])
        if len(content) > 1 and len(first) < self.stream_below:
            scanner = self._stream_scanner
        blobs = itertools.chain([first], (self._read(blob_id) for blob_id in content[1:]))
        block = min(BLOCK_SIZE, max(size, MIN_BLOCK))
        slots: list[bytes | Future[bytes]] = []
        try:
            for chunk in iter_chunks(_BlobStream(blobs).readinto, scanner, block):
                slots.append(self._submit(chunk, None))
        except BaseException:
            scanner.finish()  # a failed read must not leak into the next file
            raise
        return Pending(slots)
