"""The backup pipeline: files are read and cut into chunks on the walking thread, and each chunk
is hashed, deduplicated, compressed, sealed and packed on worker threads (BLAKE3, zstd and the
AEAD release the GIL, so the workers use all cores). Memory is bounded by a limit on the bytes of
chunks in flight, not by file or repository size: the walker waits when it is reached.

Small chunks are batched into one worker job, so a tree of many small files does not pay a
thread hand-off per file. Files of at most one chunk are read by the workers; once a backup has
met `PROCESS_AFTER` of them, each worker thread hands its small files to a helper process of its
own (`seal_process`), which reads and seals them outside this process's GIL: per small file the
Python and system-call overhead dominates, and threads serialize on it (docs/design.md §12).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from snapstore.archiver.byte_budget import ByteBudget
from snapstore.archiver.file_reading import open_for_reading, read_small
from snapstore.archiver.options import Counters
from snapstore.archiver.seal_process import HelperStartError, SealProcess
from snapstore.chunker.stream import iter_chunks
from snapstore.repository.data_sealing import SealedBlob
from snapstore.repository.protocols import BlobSaver

DEFAULT_WORKERS = os.cpu_count() or 2
MAX_BYTES_IN_FLIGHT = 8 << 20  # raw bytes read but not yet packed: 8 keep 2 workers busy
BATCH_BYTES = 1 << 20
BATCH_CHUNKS = 64
# Small files met before helper processes start: each costs about 0.2 s of CPU to start and
# 25 MB of memory, which 16,000 files did not repay and 25,600 did (docs/benchmarks.md).
PROCESS_AFTER = 16384


class FileContent:
    """The chunk ids of one file, filled in by workers; `ids()` waits for them."""

    def __init__(self) -> None:
        self._slots: list[bytes | None] = []
        self._futures: list[Future[None]] = []
        self.error: OSError | None = None  # a small file the worker could not read

    def ids(self) -> tuple[bytes, ...]:
        """Raises OSError if the file could not be read."""
        for future in self._futures:
            future.result()  # re-raises a worker's error
        if self.error is not None:
            raise self.error
        assert all(slot is not None for slot in self._slots)
        return tuple(self._slots)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Unread:
    """A small file (at most one chunk) that the worker reads itself, so the walking thread
    spends no time in open and read system calls."""

    path: bytes


Job = list[tuple[FileContent, int, bytes | _Unread, int]]  # content, slot, data, budget weight


class ChunkPipeline:
    def __init__(
        self,
        repo: BlobSaver,
        counters: Counters,
        *,
        dry_run: bool = False,
        workers: int = DEFAULT_WORKERS,
        max_in_flight: int = MAX_BYTES_IN_FLIGHT,
        process_after: int | None = PROCESS_AFTER,
    ) -> None:
        self.repo = repo
        self.counters = counters
        self.dry_run = dry_run
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="snap-chunk")
        self._budget = ByteBudget(max_in_flight)
        self._lock = threading.Lock()
        self._batch: Job = []
        self._batch_bytes = 0
        self._batch_futures: list[FileContent] = []
        self._scanner = repo.new_scanner()  # reused: finish() resets it for the next file
        self._stream_scanner = repo.new_scanner(stream=True)
        # A dry run stores nothing: its workers only hash, which helpers would not speed up.
        self._process_after = None if dry_run else process_after
        self._small_files = 0
        self._local = threading.local()
        self._processes: list[SealProcess] = []
        self._cannot_start = False  # a helper failed to start: start no more

    def read_file(self, path: bytes, size: int) -> FileContent:
        """Read and chunk `path` (`size` bytes by its stat); its chunks are stored in the
        background. A large file is read now and raises OSError if it cannot be; a small one is
        read by a worker, and `wait` raises its OSError (nothing of it is recorded then)."""
        content = FileContent()
        if size <= self._scanner.min_size:
            self._small_files += 1
            content._slots.append(None)
            self._add(content, 0, _Unread(path), max(size, 1))
            return content
        fd = open_for_reading(path)
        with os.fdopen(fd, "rb", buffering=0) as f:
            # Most files are smaller than the minimum chunk: one read, one chunk, no scanning.
            head = f.read(self._scanner.min_size + 1)
            if len(head) <= self._scanner.min_size:
                chunks: Iterable[bytes] = [head] if head else []
            else:
                f.seek(0)
                chunks = iter_chunks(f.readinto, self._scanner)
            try:
                for chunk in chunks:
                    self.counters.bytes_read += len(chunk)
                    content._slots.append(None)
                    self._add(content, len(content._slots) - 1, chunk, len(chunk))
            except BaseException:
                self._scanner.finish()  # a read error mid-file must not leak into the next file
                raise
        return content

    def read_stream(self, readinto: Callable[[memoryview], int | None]) -> tuple[FileContent, int]:
        """Chunk a stream of unknown length (standard input, a command's output) that `readinto`
        fills blocks from until it returns 0; return its content and its length. Memory stays
        bounded by the block size and the in-flight budget, whatever the length."""
        content, size = FileContent(), 0
        try:
            for chunk in iter_chunks(readinto, self._stream_scanner):
                size += len(chunk)
                self.counters.bytes_read += len(chunk)
                content._slots.append(None)
                self._add(content, len(content._slots) - 1, chunk, len(chunk))
        except BaseException:
            self._stream_scanner.finish()  # a failed stream must not leak into the next one
            raise
        return content, size

    def _add(self, content: FileContent, slot: int, data: bytes | _Unread, weight: int) -> None:
        self._batch.append((content, slot, data, weight))
        self._batch_bytes += weight
        # A file's chunks come in a row: comparing with the last is enough.
        if not self._batch_futures or self._batch_futures[-1] is not content:
            self._batch_futures.append(content)
        if self._batch_bytes >= BATCH_BYTES or len(self._batch) >= BATCH_CHUNKS:
            self.submit_batch()

    def submit_batch(self) -> None:
        """Hand the collected chunks to a worker (also before waiting for their ids), once the
        budget has room for them: one budget operation per batch, not per small file, so memory
        stays within the budget plus the batch being collected."""
        if not self._batch:
            return
        job, contents, weight = self._batch, self._batch_futures, self._batch_bytes
        self._batch, self._batch_bytes, self._batch_futures = [], 0, []
        self._budget.acquire(weight)
        future = self._pool.submit(self._store, job)
        for content in contents:
            content._futures.append(future)

    def _store(self, job: Job) -> None:
        try:
            unread = [(content, data.path) for content, _, data, _ in job if isinstance(data, _Unread)]
            process = self._process() if unread else None
            if process is not None:
                self._store_sealed(process, unread)
            for content, slot, data, _ in job:
                if not isinstance(data, _Unread):
                    content._slots[slot] = self._store_chunk(data)
                elif process is None:
                    self._store_small(content, data.path)
        finally:
            self._budget.release(sum(weight for *_, weight in job))

    def _process(self) -> SealProcess | None:
        """This worker thread's helper process, started on first need; None until the backup
        has met enough small files to repay it, or when one could not be started."""
        if self._process_after is None or self._small_files < self._process_after:
            return None
        process: SealProcess | None = getattr(self._local, "process", None)
        if process is None and not self._cannot_start:
            try:
                process = SealProcess(self.repo.data_sealing(), self._scanner.min_size)
            except HelperStartError:  # this thread goes on as it began, and so do later ones
                self._cannot_start = True
                return None
            self._local.process = process
            with self._lock:
                self._processes.append(process)
        return process

    def _store_sealed(self, process: SealProcess, unread: list[tuple[FileContent, bytes]]) -> None:
        results = process.seal([path for _, path in unread])
        for (content, path), result in zip(unread, results):
            kind = result[0]
            if kind == "sealed":
                _, blob_id, envelope, raw_length, compression = result
                sealed = SealedBlob(blob_id, envelope, raw_length, compression)  # type: ignore[arg-type]
                content._slots = [self._store_sealed_blob(sealed)]
            elif kind == "empty":
                content._slots = []
            elif kind == "error":
                content.error = OSError(result[1], result[2], os.fsdecode(path))
            else:  # grown past one chunk since the walk: chunk it here
                self._store_small(content, path)

    def _store_sealed_blob(self, sealed: SealedBlob) -> bytes:
        added = self.repo.save_sealed_data(sealed)
        with self._lock:
            self.counters.bytes_read += sealed.raw_length
        self._count(sealed.raw_length, added)
        return sealed.blob_id

    def _store_small(self, content: FileContent, path: bytes) -> None:
        try:
            data = read_small(path, self._scanner.min_size)
            if data is None:  # it grew since the walk saw it
                fd = open_for_reading(path)
                with os.fdopen(fd, "rb", buffering=0) as f:
                    data = f.read()
        except OSError as error:
            content.error = error
            return
        with self._lock:
            self.counters.bytes_read += len(data)
        if not data:
            content._slots = []
        elif len(data) <= self._scanner.min_size:
            content._slots = [self._store_chunk(data)]
        else:  # chunk it here, with a scanner of this thread's
            scanner = self.repo.new_scanner()
            ends = scanner.feed(data) + scanner.finish()
            content._slots = [self._store_chunk(data[a:b]) for a, b in zip([0, *ends], ends)]

    def _store_chunk(self, chunk: bytes) -> bytes:
        blob_id = self.repo.blob_id(chunk)
        if self.dry_run:
            added = 0 if self.repo.has_data(blob_id) else -1
        else:
            added = self.repo.save_data(chunk, blob_id)
        self._count(len(chunk), added)
        return blob_id

    def _count(self, size: int, added: int) -> None:
        if not added:
            return
        with self._lock:
            self.counters.data_added += size
            if added > 0:
                self.counters.data_blobs += 1
                self.counters.data_added_packed += added

    def wait(self, content: FileContent) -> tuple[bytes, ...]:
        self.submit_batch()
        return content.ids()

    def close(self) -> None:
        try:
            self.submit_batch()
            self._pool.shutdown(wait=True)
        finally:
            for process in self._processes:
                process.close()
            self._processes.clear()

