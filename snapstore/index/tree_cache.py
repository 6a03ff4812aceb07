"""The local tree cache: tree blobs already read from the repository, kept decrypted beside the
index cache, so that the next backup finds its parent's folder listings without one repository
read, decryption and index lookup per folder (docs/design.md §5.2).

Only bytes are kept here. Tree plaintexts are appended to a file `payloads-<generation>`; an
LMDB database maps each tree id to (generation, offset, length). Whoever reads an entry checks
it against its id (the keyed BLAKE3 of the plaintext), which this layer cannot compute, and
`discard`s one that does not match: a corrupted entry costs one repository read, never a wrong
listing. Plaintexts are not compressed: a zstd context sized for a large folder's tree cost a
backup of 200,000 files 6 MiB of peak memory, more than the disk it would save matters.

Payloads are read with pread, not through LMDB's memory map: every mapped page a process touches
stays in its resident set (and the kernel maps up to 64 KiB around each), so reading all trees
through the map would have grown a backup of 200,000 files by the 18 MiB of the cache.

Writes are batched (`PUT_BATCH`), appended inside an LMDB write transaction (so appends of
processes sharing the cache never interleave, and an entry is recorded only with its bytes in
the file). When the payload file would pass `limit`, the next generation starts empty and the
older files are deleted: the cache stays bounded, and the trees read since are the ones kept.
"""

from __future__ import annotations

import os
import struct
import threading
from pathlib import Path

import lmdb

FORMAT_VERSION = 1
"""Layout of the entries and files below; a mismatch empties the cache."""
DEFAULT_LIMIT = 512 << 20
MAP_SIZE = 1 << 40  # address space only: the file grows with the number of trees cached
PUT_BATCH = 512 << 10  # bytes gathered before one write transaction (one fsync)
ENTRY = struct.Struct("<IQI")  # generation, offset, length
_FORMAT_KEY = b"format"
_GENERATION_KEY = b"generation"
_PAYLOADS = "payloads-"


class TreeCache:
    """Cached tree payloads in folder `path`; safe to share between threads, and several
    processes may use the same folder (LMDB's write lock orders their appends)."""

    def __init__(
        self, path: str | os.PathLike[str], limit: int = DEFAULT_LIMIT, batch: int = PUT_BATCH
    ) -> None:
        self.path = Path(path)
        self.limit = limit
        self.batch = batch
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        # metasync off: one fdatasync per batch instead of two; a crash may lose the last batch.
        self._env = lmdb.open(
            str(self.path), map_size=MAP_SIZE, max_dbs=2, mode=0o600, readahead=False,
            metasync=False,
        )  # fmt: skip
        self._lock = threading.Lock()  # over the pending puts and the open payload files
        self._pending: dict[bytes, bytes] = {}  # put, not yet written
        self._pending_size = 0
        self._readers: dict[int, int] = {}  # generation -> descriptor of its payload file
        with self._env.begin(write=True) as txn:
            self._meta = self._env.open_db(b"meta", txn=txn)
            self._trees = self._env.open_db(b"trees", txn=txn)
            if txn.get(_FORMAT_KEY, db=self._meta) != str(FORMAT_VERSION).encode():
                txn.drop(self._trees, delete=False)
                txn.put(_FORMAT_KEY, str(FORMAT_VERSION).encode(), db=self._meta)
                self._start_generation(txn, self._generation(txn) + 1)

    def get(self, tree_id: bytes) -> bytes | None:
        """The plaintext put under `tree_id`, or None; unchecked (see above)."""
        with self._lock:
            found = self._pending.get(tree_id)
        if found is not None:
            return found
        with self._env.begin() as txn:
            value = txn.get(tree_id, db=self._trees)
        if value is None or len(value) != ENTRY.size:  # absent, or damaged
            return None
        return self._read(*ENTRY.unpack(value))

    def _read(self, generation: int, offset: int, length: int) -> bytes | None:
        with self._lock:
            fd = self._readers.get(generation)
            if fd is None:
                try:
                    fd = os.open(self._payloads(generation), os.O_RDONLY)
                except FileNotFoundError:  # a newer generation began in another process
                    return None
                self._readers[generation] = fd
        if offset + length > os.fstat(fd).st_size:  # a damaged entry must not size a read
            return None
        payload = os.pread(fd, length, offset)
        return payload if len(payload) == length else None

    def put(self, tree_id: bytes, plaintext: bytes) -> None:
        with self._lock:
            self._pending[tree_id] = plaintext
            self._pending_size += len(plaintext)
            full = self._pending_size >= self.batch
        if full:
            self.flush()

    def discard(self, tree_id: bytes) -> None:
        """Remove an entry that did not match its id."""
        with self._lock:
            self._pending.pop(tree_id, None)
        with self._env.begin(write=True) as txn:
            txn.delete(tree_id, db=self._trees)

    def flush(self) -> None:
        """Append the trees put so far and record them."""
        with self._lock:
            pending, size = self._pending, self._pending_size
            self._pending, self._pending_size = {}, 0
        if not pending:
            return
        with self._env.begin(write=True) as txn:
            generation = self._generation(txn)
            if self._file_size(generation) + size > self.limit:
                generation += 1
                self._start_generation(txn, generation)
            fd = os.open(self._payloads(generation), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                offset = os.fstat(fd).st_size
                _write_all(fd, b"".join(pending.values()))
            finally:
                os.close(fd)
            for tree_id, plaintext in pending.items():
                txn.put(tree_id, ENTRY.pack(generation, offset, len(plaintext)), db=self._trees)
                offset += len(plaintext)

    def _start_generation(self, txn: lmdb.Transaction, generation: int) -> None:
        """Empty the cache: forget every entry and delete the payload files (a process still
        reading one keeps its open descriptor; one that opens it later finds it gone: a miss)."""
        txn.drop(self._trees, delete=False)
        txn.put(_GENERATION_KEY, str(generation).encode(), db=self._meta)
        for old in self.path.glob(_PAYLOADS + "*"):
            old.unlink(missing_ok=True)

    def _generation(self, txn: lmdb.Transaction) -> int:
        return int(txn.get(_GENERATION_KEY, b"0", db=self._meta))

    def _payloads(self, generation: int) -> Path:
        return self.path / f"{_PAYLOADS}{generation}"

    def _file_size(self, generation: int) -> int:
        try:
            return self._payloads(generation).stat().st_size
        except FileNotFoundError:
            return 0

    def size(self) -> int:
        """Bytes of the current payload file."""
        with self._env.begin() as txn:
            return self._file_size(self._generation(txn))

    def __len__(self) -> int:
        with self._env.begin() as txn:
            entries: int = txn.stat(self._trees)["entries"]
            return entries

    def close(self) -> None:
        self.flush()
        with self._lock:
            for fd in self._readers.values():
                os.close(fd)
            self._readers.clear()
        self._env.close()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
