"""The local tree cache: tree blobs already read from the repository, kept decrypted in an LMDB
database beside the index cache, so that the next backup finds its parent's folder listings
without one repository read, decryption and index lookup per folder (docs/design.md §5.2).

Only bytes are kept here: tree id -> compression u8, plaintext length u32, payload (the
plaintext, or its zstd frame). Whoever reads an entry checks it against its id (the keyed
BLAKE3 of the plaintext), which this layer cannot compute, and `discard`s one that does not
match: a corrupted entry costs one repository read, never a wrong listing.

Writes are batched (`PUT_BATCH`): a write transaction per tree would cost one fsync each. The
database holds at most `limit` bytes of pages (plus one batch); a batch that would pass the limit
empties it first, so the cache never grows without bound and the trees read since are kept.
"""

from __future__ import annotations

import os
import struct
import threading
from pathlib import Path

import lmdb

FORMAT_VERSION = 1
"""Layout of the values below; a mismatch empties the cache."""
DEFAULT_LIMIT = 512 << 20
MAP_SIZE = 1 << 40  # address space only: the file grows as pages are used, up to about `limit`
PUT_BATCH = 1 << 20  # bytes of payload gathered before one write transaction
HEADER = struct.Struct("<BI")  # compression, plaintext length
_FORMAT_KEY = b"format"


class TreeCache:
    """Cached tree payloads in an LMDB environment in folder `path`; safe to share between
    threads, and several processes may open the same folder (LMDB locks)."""

    def __init__(
        self, path: str | os.PathLike[str], limit: int = DEFAULT_LIMIT, batch: int = PUT_BATCH
    ) -> None:
        self.path = Path(path)
        self.limit = limit
        self.batch = batch
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._env = lmdb.open(
            str(self.path), map_size=MAP_SIZE, max_dbs=2, mode=0o600, readahead=False
        )
        with self._env.begin(write=True) as txn:
            self._meta = self._env.open_db(b"meta", txn=txn)
            self._trees = self._env.open_db(b"trees", txn=txn)
            if txn.get(_FORMAT_KEY, db=self._meta) != str(FORMAT_VERSION).encode():
                txn.drop(self._trees, delete=False)
                txn.put(_FORMAT_KEY, str(FORMAT_VERSION).encode(), db=self._meta)
        self._lock = threading.Lock()
        self._pending: dict[bytes, bytes] = {}  # put, not yet written
        self._pending_size = 0

    def get(self, tree_id: bytes) -> tuple[int, int, bytes] | None:
        """(compression, plaintext length, payload) as put, or None; unchecked (see above)."""
        value = self._pending.get(tree_id)
        if value is None:
            with self._env.begin() as txn:
                value = txn.get(tree_id, db=self._trees)
        if value is None or len(value) < HEADER.size:
            return None
        compression, raw_length = HEADER.unpack_from(value)
        return compression, raw_length, value[HEADER.size :]

    def put(self, tree_id: bytes, compression: int, raw_length: int, payload: bytes) -> None:
        value = HEADER.pack(compression, raw_length) + payload
        with self._lock:
            self._pending[tree_id] = value
            self._pending_size += len(value)
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
        """Write the trees put so far."""
        with self._lock:
            pending, size = self._pending, self._pending_size
            self._pending, self._pending_size = {}, 0
        if not pending:
            return
        with self._env.begin(write=True) as txn:
            if self.size(txn) + size > self.limit:
                txn.drop(self._trees, delete=False)
            for tree_id, value in pending.items():
                txn.put(tree_id, value, db=self._trees)

    def size(self, txn: lmdb.Transaction | None = None) -> int:
        """Bytes of the pages the cached trees take."""
        if txn is None:
            with self._env.begin() as own:
                return self.size(own)
        stat = txn.stat(self._trees)
        pages: int = stat["branch_pages"] + stat["leaf_pages"] + stat["overflow_pages"]
        return pages * int(stat["psize"])

    def __len__(self) -> int:
        with self._env.begin() as txn:
            entries: int = txn.stat(self._trees)["entries"]
            return entries

    def close(self) -> None:
        self.flush()
        self._env.close()
