"""Writing restored file contents: chunk placements grouped by pack, each pack read once in runs
of at most 8 MiB, runs written in parallel, each blob with positional writes to every place it
belongs. All-zero 4 KiB blocks are skipped rather than written, so sparse files get their holes
back.

Planned files are written in batches; a batch is written while the next one is planned. The runs
of the first `process_after` files are written by threads of this process; after that, by helper
processes (`restore_worker`, one per core at most), because per small file the Python and
system-call overhead dominates and threads serialize on it (docs/design.md §12). Reader threads
here read the runs and hand each to an idle helper (`helper_pool`): from a remote repository as
many as without helpers, so that reads wait for their round trips while the helpers write.
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict, deque
from collections.abc import Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from snapstore.errors import IntegrityError
from snapstore.helper_process import HelperProcess
from snapstore.index import IndexEntry
from snapstore.model import Node
from snapstore.repository.blob_opening import BlobOpening
from snapstore.restorer import pack_run
from snapstore.restorer.helper_pool import HelperPool
from snapstore.restorer.metadata import CREATE_MODE, Creation, FileMetadata, apply_metadata
from snapstore.restorer.pack_run import (
    PackRun, Place, RestoreError, RunStats, pack_runs, run_to_wire, write_error, write_run,
)  # fmt: skip

DEFAULT_READERS = 4
WORKER = "snapstore.restorer.restore_worker"
# Files planned before helper processes start. A helper costs about 0.1 s of CPU to start and
# 25-50 MB of memory: a restore of tens of thousands of files is done in a second or two without
# them, and one of hundreds of thousands of small files takes half the time with them
# (docs/benchmarks.md). The restorer starts them from the first batch when the snapshot holds at
# least MANY_FILES files.
PROCESS_AFTER = 50_000
MANY_FILES = 50_000
# Batches of planned files queued for writing at once: the planning goes on while helpers write,
# and none of them waits for the other at a batch boundary.
BATCHES_IN_FLIGHT = 2
_MANY = object()  # a file with chunks in several runs


class PackSource(Protocol):
    def lookup_many(self, blob_ids: Collection[bytes]) -> dict[bytes, IndexEntry]: ...

    def load_from_pack(self, entries: list[IndexEntry]) -> Iterator[tuple[IndexEntry, bytes]]: ...


class HelperPackSource(PackSource, Protocol):
    """What helper processes need besides: the keys, and the stored bytes of a pack range."""

    def blob_opening(self) -> BlobOpening: ...

    def load_pack_range(self, pack_id: bytes, offset: int, length: int) -> bytes: ...


@dataclass(slots=True)
class _Planned:
    content: tuple[bytes, ...]
    size: int  # known once the batch looked its blobs up
    node: Node | None  # metadata to set once written
    fresh: bool  # its folder was made by this restore
    created: bool  # created already (a hard link will point at it)


@dataclass
class _Batch:
    futures: list[Future[RunStats]]
    shared: list[tuple[bytes, Node | None]]  # files written by several runs: metadata when all are done


class ContentWriter:
    def __init__(
        self, repo: PackSource, readers: int = DEFAULT_READERS, creation: Creation | None = None,
        process_after: int | None = PROCESS_AFTER, remote: bool = False,
    ) -> None:  # fmt: skip
        self.repo = repo
        self.readers = readers
        self.remote = remote  # each read waits a round trip (backend.waits_round_trips)
        self.creation = creation
        self.process_after = process_after
        self.stats = RunStats()
        self._places: dict[bytes, list[Place]] = defaultdict(list)
        self._entries: dict[bytes, IndexEntry] = {}
        self._files: dict[bytes, _Planned] = {}
        self._files_before = 0  # planned in earlier batches
        self._pending: deque[_Batch] = deque()
        self._threads: ThreadPoolExecutor | None = None
        self._helper_threads: ThreadPoolExecutor | None = None
        self._helpers = HelperPool(min(readers, os.cpu_count() or 2), self._start_helper)
        self.runs_written = {"threads": 0, "helpers": 0}  # by whom: for tests and reports
        self._lock = threading.Lock()

    @property
    def planned_files(self) -> int:
        return len(self._files)

    @property
    def helpers(self) -> list[HelperProcess]:
        """The helper processes started so far."""
        return self._helpers.helpers

    def add_file(
        self, path: bytes, content: tuple[bytes, ...], create_now: bool = False,
        node: Node | None = None, fresh: bool = False,
    ) -> None:  # fmt: skip
        """Plan `path`'s chunks. A file is created by the run that writes it, or before the
        runs when several write it; it is created now when it has no content or `create_now` (a
        hard link will point at it). `fresh`: its folder was made by this restore, so nothing is
        in the way. The chunks are looked up when the batch starts, all in one go."""
        planned = _Planned(content, 0, node, fresh, create_now)
        if content:
            self._files[path] = planned
        if create_now or not content:
            if content:
                self._place({path: planned}, self.repo.lookup_many(content))
            _create_sized(path, planned.size)

    def submit(self) -> None:
        """Start writing the files planned so far; wait while `BATCHES_IN_FLIGHT` others are."""
        self._pending.append(self._start_batch())
        while len(self._pending) > BATCHES_IN_FLIGHT:
            self._finish(self._pending.popleft())

    def wait(self) -> RunStats:
        """Wait for the batches being written; the totals count all batches."""
        while self._pending:
            self._finish(self._pending.popleft())
        return self.stats

    def _finish(self, batch: _Batch) -> None:
        for future in batch.futures:
            self.stats.add(future.result())
        for path, node in batch.shared:
            if node is not None:
                apply_metadata(path, node, self.stats.warnings)

    def close(self) -> None:
        """Stop the threads and helper processes (after an error, without writing the rest)."""
        for pool in (self._threads, self._helper_threads):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        self._helpers.close()

    def _start_batch(self) -> _Batch:
        unplaced = {p: f for p, f in self._files.items() if not f.created}
        self._place(unplaced, self.repo.lookup_many({b for f in unplaced.values() for b in f.content}))
        use_helpers = self.process_after is not None and self._files_before >= self.process_after
        runs = self._plan_runs(pack_run.HELPER_READ if use_helpers else pack_run.MAX_READ)
        shared = self._assign_files(runs)
        self._files_before += len(self._files)
        self._places.clear()
        self._entries.clear()
        self._files.clear()
        if use_helpers:
            work, pool = self._run_in_helper, self._helper_pool()
        else:
            work, pool = self._run_in_thread, self._thread_pool()
        return _Batch([pool.submit(work, run) for run in runs], shared)

    def _place(self, files: dict[bytes, _Planned], entries: dict[bytes, IndexEntry]) -> None:
        """Where each chunk goes (offsets from the index's plaintext lengths), and the sizes."""
        for path, planned in files.items():
            total = 0
            for blob_id in planned.content:
                entry = entries.get(blob_id)
                if entry is None:
                    raise IntegrityError(f"data blob {blob_id.hex()} of {os.fsdecode(path)} is not in the index")
                self._places[blob_id].append((path, total))
                self._entries[blob_id] = entry
                total += entry.raw_length
            planned.size = total

    def _plan_runs(self, max_read: int) -> list[PackRun]:
        by_pack: dict[bytes, list[IndexEntry]] = defaultdict(list)
        for entry in self._entries.values():
            by_pack[entry.pack_id].append(entry)
        return [
            PackRun(pack_id, run, [self._places[e.blob_id] for e in run])
            for pack_id, entries in by_pack.items()
            for run in pack_runs(entries, max_read)
        ]

    def _assign_files(self, runs: list[PackRun]) -> list[tuple[bytes, Node | None]]:
        """Give each file that one run writes whole to that run; create the others now, with
        their final size, and return them."""
        run_of: dict[bytes, object] = {}
        writes: dict[bytes, int] = defaultdict(int)
        for run in runs:
            for places in run.places:
                for path, _ in places:
                    if run_of.setdefault(path, run) is not run:
                        run_of[path] = _MANY
                    writes[path] += 1
        shared = []
        for path, planned in self._files.items():
            only = run_of[path]
            if planned.created or not isinstance(only, PackRun):
                if not planned.created:
                    _create_sized(path, planned.size)
                shared.append((path, planned.node))
                continue
            create_mode, metadata = self._creation_plan(planned)
            only.whole[path] = (planned.size, writes[path], create_mode, metadata)
        return shared

    def _creation_plan(self, planned: _Planned) -> tuple[int, FileMetadata | None]:
        if planned.node is None:
            return CREATE_MODE, None
        if self.creation is None:
            node = planned.node
            owner = (node.uid, node.gid) if os.geteuid() == 0 else None
            return CREATE_MODE, (owner, node.mode, node.xattrs, node.mtime_ns)
        return self.creation.plan(planned.node, planned.fresh)

    def _thread_pool(self) -> ThreadPoolExecutor:
        if self._threads is None:
            self._threads = ThreadPoolExecutor(self.readers, thread_name_prefix="snap-restore")
        return self._threads

    def _helper_pool(self) -> ThreadPoolExecutor:
        """Readers for the helpers: from a remote repository as many as without helpers, so that
        reads wait for their round trips while the helpers write; from a local one, one per
        helper (a local read is done at once, and each run in flight is memory)."""
        if self._helper_threads is None:
            count = self.readers if self.remote else self._helpers.count
            self._helper_threads = ThreadPoolExecutor(count, thread_name_prefix="snap-restore-in")
        return self._helper_threads

    def _run_in_thread(self, run: PackRun) -> RunStats:
        self._count_run("threads")
        return write_run(run, self.repo.load_from_pack(run.entries))

    def _run_in_helper(self, run: PackRun) -> RunStats:
        if self._helpers.cannot_start:
            return self._run_in_thread(run)
        repo: HelperPackSource = self.repo  # type: ignore[assignment]
        data = repo.load_pack_range(run.pack_id, run.start, run.length)
        with self._helpers.borrow() as helper:
            if helper is None:  # none could be started (no memory or process slots left)
                return self._run_in_thread(run)
            self._count_run("helpers")
            answer = helper.request((run_to_wire(run), data))
            match answer:
                case ("done", RunStats() as stats):
                    return stats
                case ("integrity", str(message)):
                    raise IntegrityError(message)
                case ("restore", str(message)):
                    raise RestoreError(message)
            raise helper.out_of_turn()

    def _start_helper(self) -> HelperProcess:
        repo: HelperPackSource = self.repo  # type: ignore[assignment]
        return HelperProcess(WORKER, repo.blob_opening(), "restore")

    def _count_run(self, by: str) -> None:
        with self._lock:
            self.runs_written[by] += 1


def _create_sized(path: bytes, size: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, CREATE_MODE)
        try:
            if size:
                os.ftruncate(fd, size)
        finally:
            os.close(fd)
    except OSError as error:
        raise write_error(path, error) from None
