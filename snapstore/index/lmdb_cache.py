"""The local index cache: an LMDB database of the repository's index files (lmdb is imported only
here and in `tree_cache`).

The index files in the repository are the truth; this cache only makes lookups fast and can be
wiped and rebuilt at any time. Everything stays on disk (memory-mapped), so memory use does not
grow with the number of blobs. Named databases:

    blobs       blob id -> pack number u32, type u8, compression u8, offset, length, raw length
    packs       pack number (u32 big-endian, so keys sort numerically) -> pack id
    pack_ids    pack id -> pack number; a 32-byte pack id is stored once, not once per blob
    files       names of the index files merged
    superseded  names of index files known to be replaced by another one, never merged
    meta        b"format" -> FORMAT_VERSION; a mismatch wipes the cache, which is then rebuilt
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType

import lmdb

from snapstore.errors import IntegrityError
from snapstore.index.entry import IndexEntry

FORMAT_VERSION = 1
"""Layout of this cache (not of the repository); bump it when the layout below changes."""
MAP_SIZE = 1 << 40
"""1 TiB of address space: LMDB grows the file only as it is used, so this is just a ceiling."""
MAX_DBS = 16
"""Room to open the named databases of other cache versions too, so a wipe can drop them."""

MERGE_BATCH = 10_000
BLOB_VALUE = struct.Struct("<IBBIII")
PACK_NUMBER = struct.Struct(">I")
_VALUE_PACK_NUMBER = struct.Struct("<I")  # the first field of BLOB_VALUE
_FORMAT_KEY = b"format"
_DATA_DBS = (b"blobs", b"packs", b"pack_ids", b"files", b"superseded")


class IndexCache:
    """Blob locations merged from index files, kept in an LMDB environment in folder `path`.

    Safe to share between threads; several processes may open the same folder (LMDB locks).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        # readahead off: lookups are random, and reading ahead would only evict useful pages.
        self._env = lmdb.open(
            str(self.path), map_size=MAP_SIZE, max_dbs=MAX_DBS, mode=0o600, readahead=False
        )
        self._check_version()
        with self._env.begin(write=True) as txn:
            self._blobs, self._packs, self._pack_ids, self._files, self._superseded = (
                self._env.open_db(name, txn=txn) for name in _DATA_DBS
            )

    def _check_version(self) -> None:
        expected = str(FORMAT_VERSION).encode()
        with self._env.begin(write=True) as txn:
            meta = self._env.open_db(b"meta", txn=txn)
            version = txn.get(_FORMAT_KEY, db=meta)
        if version == expected:
            return
        if version is not None:
            self._drop_everything()
        with self._env.begin(write=True) as txn:
            meta = self._env.open_db(b"meta", txn=txn)
            txn.put(_FORMAT_KEY, expected, db=meta)

    def _drop_everything(self) -> None:
        """Delete every named database, whatever version created it (their names are the keys
        of LMDB's main database)."""
        with self._env.begin(write=True) as txn:
            names = list(txn.cursor().iternext(keys=True, values=False))
            for name in names:
                txn.drop(self._env.open_db(name, txn=txn), delete=True)

    def lookup(self, blob_id: bytes) -> IndexEntry | None:
        """Where blob `blob_id` is stored, or None if no merged index file lists it."""
        with self._env.begin() as txn:
            value = txn.get(blob_id, db=self._blobs)
            return None if value is None else self._entry(txn, blob_id, value)

    def lookup_many(self, blob_ids: Iterable[bytes]) -> dict[bytes, IndexEntry]:
        """`lookup` of many blobs in one read transaction; the blobs not listed are left out."""
        found: dict[bytes, IndexEntry] = {}
        with self._env.begin() as txn:
            for blob_id, value, pack_id in self._located(txn, blob_ids):
                _, blob_type, compression, offset, length, raw_length = BLOB_VALUE.unpack(value)
                found[blob_id] = IndexEntry(blob_id, blob_type, pack_id, offset, length, raw_length, compression)
        return found

    def packs_of(self, blob_ids: Iterable[bytes]) -> dict[bytes, bytes]:
        """`pack_of` of many blobs in one read transaction; the blobs not listed are left out."""
        with self._env.begin() as txn:
            return {blob_id: pack_id for blob_id, _, pack_id in self._located(txn, blob_ids)}

    def _located(
        self, txn: lmdb.Transaction, blob_ids: Iterable[bytes]
    ) -> Iterator[tuple[bytes, bytes | memoryview, bytes]]:
        """(blob id, stored value, pack id) of each listed blob; each pack id is read once."""
        packs: dict[int, bytes] = {}
        for blob_id in blob_ids:
            value = txn.get(blob_id, db=self._blobs)
            if value is None:
                continue
            number = _VALUE_PACK_NUMBER.unpack_from(value)[0]
            pack_id = packs.get(number)
            if pack_id is None:
                pack_id = packs[number] = self._pack_id(txn, number)
            yield blob_id, value, pack_id

    def pack_of(self, blob_id: bytes) -> bytes | None:
        """The id of the pack holding blob `blob_id`, or None: `lookup` without building the
        entry (a backup asks this for every chunk and tree it reuses)."""
        with self._env.begin() as txn:
            value = txn.get(blob_id, db=self._blobs)
            if value is None:
                return None
            number = PACK_NUMBER.pack(*_VALUE_PACK_NUMBER.unpack_from(value))
            pack_id = txn.get(number, db=self._packs)
            if pack_id is None:
                raise IntegrityError(f"index cache {self.path}: blob refers to an unknown pack")
            return bytes(pack_id)

    def contains(self, blob_id: bytes) -> bool:
        with self._env.begin() as txn:
            return txn.get(blob_id, db=self._blobs) is not None

    def knows_pack(self, pack_id: bytes) -> bool:
        """Does any merged index file list a blob in pack `pack_id`?"""
        with self._env.begin() as txn:
            return txn.get(pack_id, db=self._pack_ids) is not None

    def merge(self, index_name: str, entries: Iterable[IndexEntry]) -> bool:
        """Add the entries of index file `index_name`; False if it was already merged. A blob
        already present keeps its first-seen location. Entries go in in transactions of
        `MERGE_BATCH`, and the file is recorded as merged in the last one: a write transaction
        keeps every page it touches in memory, and random ids touch pages all over the tree, so
        one transaction per large file would cost memory in proportion to the cache. Merging
        again after an interruption is harmless (puts never overwrite)."""
        key = index_name.encode()
        with self._env.begin() as txn:
            if txn.get(key, db=self._files) is not None:
                return False
        batch: list[IndexEntry] = []
        for entry in entries:
            batch.append(entry)
            if len(batch) >= MERGE_BATCH:
                self._put_entries(batch, None)
                batch = []
        self._put_entries(batch, key)
        return True

    def _put_entries(self, entries: list[IndexEntry], file_key: bytes | None) -> None:
        with self._env.begin(write=True) as txn:
            numbers: dict[bytes, int] = {}
            # Sorted ids: neighbouring puts share pages, so the transaction touches fewer.
            for e in sorted(entries, key=lambda entry: entry.blob_id):
                number = numbers.get(e.pack_id)
                if number is None:
                    number = numbers[e.pack_id] = self._pack_number(txn, e.pack_id)
                value = BLOB_VALUE.pack(
                    number, e.blob_type, e.compression, e.offset, e.length, e.raw_length
                )
                # overwrite=False: first seen wins, so merging in a fixed order is deterministic.
                txn.put(e.blob_id, value, db=self._blobs, overwrite=False)
            if file_key is not None:
                txn.put(file_key, b"", db=self._files)

    def _pack_number(self, txn: lmdb.Transaction, pack_id: bytes) -> int:
        known = txn.get(pack_id, db=self._pack_ids)
        if known is not None:
            number: int = PACK_NUMBER.unpack(known)[0]
            return number
        cursor = txn.cursor(db=self._packs)
        number = PACK_NUMBER.unpack(cursor.key())[0] + 1 if cursor.last() else 0
        txn.put(PACK_NUMBER.pack(number), pack_id, db=self._packs)
        txn.put(pack_id, PACK_NUMBER.pack(number), db=self._pack_ids)
        return number

    def _entry(self, txn: lmdb.Transaction, blob_id: bytes, value: bytes) -> IndexEntry:
        number, blob_type, compression, offset, length, raw_length = BLOB_VALUE.unpack(value)
        pack_id = self._pack_id(txn, number)
        return IndexEntry(blob_id, blob_type, pack_id, offset, length, raw_length, compression)

    def _pack_id(self, txn: lmdb.Transaction, number: int) -> bytes:
        pack_id = txn.get(PACK_NUMBER.pack(number), db=self._packs)
        if pack_id is None:
            raise IntegrityError(f"index cache {self.path}: blob refers to unknown pack {number}")
        return bytes(pack_id)

    def __iter__(self) -> Iterator[IndexEntry]:
        """Every entry, in blob id order, read from one consistent snapshot of the cache."""
        with self._env.begin() as txn:
            for blob_id, value in txn.cursor(db=self._blobs):
                yield self._entry(txn, blob_id, value)

    def __len__(self) -> int:
        with self._env.begin() as txn:
            entries: int = txn.stat(self._blobs)["entries"]
            return entries

    def known_files(self) -> set[str]:
        """Names of the index files merged."""
        return self._names(self._files)

    def superseded_files(self) -> set[str]:
        """Names of index files recorded as replaced by another file (see `mark_superseded`)."""
        return self._names(self._superseded)

    def mark_superseded(self, names: Iterable[str]) -> None:
        with self._env.begin(write=True) as txn:
            for name in names:
                txn.put(name.encode(), b"", db=self._superseded)

    def forget_superseded(self, names: Iterable[str]) -> None:
        """Drop records of superseded files, e.g. once they are gone from the repository."""
        with self._env.begin(write=True) as txn:
            for name in names:
                txn.delete(name.encode(), db=self._superseded)

    def _names(self, db: lmdb._Database) -> set[str]:
        with self._env.begin() as txn:
            return {key.decode() for key in txn.cursor(db=db).iternext(keys=True, values=False)}

    def clear(self) -> None:
        """Forget every entry and file, in one transaction, ready for a rebuild."""
        with self._env.begin(write=True) as txn:
            for db in (self._blobs, self._packs, self._pack_ids, self._files, self._superseded):
                txn.drop(db, delete=False)

    def close(self) -> None:
        self._env.close()

    def __enter__(self) -> IndexCache:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"IndexCache({str(self.path)!r})"


class DiskBlobSet:
    """A set of blob ids kept in a temporary LMDB database in `folder`, so that garbage
    collection's set of used blobs need not fit in memory however large the repository is.
    Adds are batched into write transactions; the folder is the caller's to remove."""

    BATCH = 50_000

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        # No fsync: the set is thrown away after use, durability would only cost time.
        self._env = lmdb.open(
            str(folder), map_size=MAP_SIZE, sync=False, metasync=False, readahead=False
        )
        self._pending: set[bytes] = set()
        self._count = 0

    def add(self, blob_id: bytes) -> None:
        self._pending.add(blob_id)
        if len(self._pending) >= self.BATCH:
            self._flush()

    def add_many(self, blob_ids: Iterable[bytes]) -> None:
        self._pending.update(blob_ids)
        if len(self._pending) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        with self._env.begin(write=True) as txn:
            for blob_id in self._pending:
                if txn.put(blob_id, b"", overwrite=False):
                    self._count += 1
        self._pending.clear()

    def __contains__(self, blob_id: object) -> bool:
        if blob_id in self._pending:
            return True
        with self._env.begin() as txn:
            return txn.get(blob_id) is not None  # type: ignore[call-overload]

    def present(self, blob_ids: Iterable[bytes]) -> set[bytes]:
        """Those of `blob_ids` in the set, looked up in one read transaction."""
        pending = self._pending
        with self._env.begin() as txn:
            return {b for b in blob_ids if b in pending or txn.get(b) is not None}

    def __len__(self) -> int:
        self._flush()
        return self._count

    def close(self) -> None:
        self._env.close()
