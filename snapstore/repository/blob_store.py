"""Saving and loading blobs: deduplication against the index, packing, and index files.

Write ordering (docs/design.md §6): a pack is saved before the index file that lists it, and an
index file before any snapshot that needs it. An index file is written after every pack, so a
backup killed at any moment leaves every uploaded pack indexed, and the next backup reuses it.
Thread-safe: the CPU-heavy work (hashing, compression, encryption) runs outside the lock, and
full packs are stored by uploader threads while the callers go on filling the next ones; at most
`MAX_QUEUED_PACKS` finished packs wait in memory.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from snapstore.backend import Backend, FileSaver, waits_round_trips
from snapstore.crypto import MasterKey, Sealer
from snapstore.errors import IntegrityError, NotFoundError, SnapError
from snapstore.index import BlobType, IndexCache, IndexEntry, encode_index, sync_cache
from snapstore.pack import FinishedPack, PackWriter, load_pack_header, pack_object_name
from snapstore.pack.sinks import SpoolSink
from snapstore.repository.blob_opening import open_blob, open_span
from snapstore.repository.data_sealing import SealedBlob, seal_blob
from snapstore.repository.tree_packs import TreePacks


class ConcurrentPruneError(SnapError):
    """A pack a backup deduplicated against was deleted while the backup ran."""


UPLOAD_THREADS = 2
MAX_QUEUED_PACKS = 3


class BlobStore:
    def __init__(
        self,
        backend: Backend,
        master: MasterKey,
        sealer: Sealer,
        cache: IndexCache,
        pack_size: int,
        compression_level: int,
        spool: Path | None = None,
    ) -> None:
        self.backend = backend
        self.master = master
        self.sealer = sealer
        self.cache = cache
        self.pack_size = pack_size
        self.compression_level = compression_level
        self.spool = spool  # folder for packs being built; None keeps them in memory
        self._lock = threading.Lock()
        self._writers: dict[int, PackWriter] = {}
        # Blobs added since the last index file: in an open pack (None) or an unindexed one.
        self._pending: dict[bytes, IndexEntry | None] = {}
        self.packs_written = 0
        self.index_files_written = 0
        self._uploader: ThreadPoolExecutor | None = None
        self._upload_slots = threading.BoundedSemaphore(MAX_QUEUED_PACKS)
        self._uploads: set[Future[None]] = set()
        self._upload_error: BaseException | None = None
        self.reused_packs: set[bytes] = set()
        self.trashed: set[bytes] = set()  # packs marked for deletion when the session began
        self.tree_packs = TreePacks(self.load_pack, self.load_range, pack_size, waits_round_trips(backend))

    def has(self, blob_id: bytes) -> bool:
        """Is the blob stored? A blob found in an existing pack records that pack as *reused*:
        `secure_reused` checks, before a snapshot is saved, that a concurrent prune has not
        taken it away (docs/design.md §6.3)."""
        with self._lock:
            if blob_id in self._pending:
                return True
        pack_id = self.cache.pack_of(blob_id)
        if pack_id is None or pack_id in self.trashed:
            return False  # a marked pack may be deleted: store the blob again rather than use it
        with self._lock:
            self.reused_packs.add(pack_id)
        return True

    def secure_reused(self) -> int:
        """Make sure every reused pack is still indexed: re-index one that a concurrent prune
        took out of the index (it is still in the trash); fail if one is gone. Returns the
        number of packs re-indexed."""
        sync_cache(self.cache, self.backend, self.sealer)
        rescued = 0
        for pack_id in sorted(self.reused_packs):
            if self.cache.knows_pack(pack_id):
                continue
            name = pack_object_name(pack_id)
            try:
                entries = load_pack_header(self.backend, name, self.sealer)
            except NotFoundError:
                raise ConcurrentPruneError(
                    f"pack {pack_id.hex()} that this backup refers to was deleted by a "
                    "concurrent prune; the snapshot was not saved: run the backup again"
                ) from None
            index_name, data = encode_index(entries, (), self.sealer)
            self.backend.save(index_name, data)
            self.cache.merge(index_name, entries)
            rescued += 1
        return rescued

    def lookup(self, blob_id: bytes) -> IndexEntry | None:
        with self._lock:
            entry = self._pending.get(blob_id)
        return entry if entry is not None else self.cache.lookup(blob_id)

    def lookup_many(self, blob_ids: Collection[bytes]) -> dict[bytes, IndexEntry]:
        """`lookup` of many blobs at once; the blobs not in the index are left out."""
        with self._lock:
            pending = {b: e for b in blob_ids if (e := self._pending.get(b)) is not None} if self._pending else {}
        found = self.cache.lookup_many(b for b in blob_ids if b not in pending)
        found.update(pending)
        return found

    def save(self, blob_type: BlobType, plaintext: bytes, blob_id: bytes) -> int:
        """Store the blob unless it is known; return the bytes added to packs (0 if known)."""
        if self._upload_error is not None:
            raise self._upload_error
        if self.has(blob_id):
            return 0
        envelope, compression = seal_blob(self.sealer, blob_type, blob_id, plaintext, self.compression_level)
        return self._add(blob_type, blob_id, envelope, len(plaintext), compression)

    def save_sealed(self, sealed: SealedBlob) -> int:
        """Store a data blob sealed elsewhere (a helper process) unless it is known; return the
        bytes added to packs (0 if known)."""
        if self._upload_error is not None:
            raise self._upload_error
        if self.has(sealed.blob_id):
            return 0
        return self._add(BlobType.DATA, sealed.blob_id, sealed.envelope, sealed.raw_length, sealed.compression)

    def _add(self, blob_type: BlobType, blob_id: bytes, envelope: bytes | bytearray, raw_length: int,
             compression: int) -> int:  # fmt: skip
        full: FinishedPack | None = None
        with self._lock:
            if blob_id in self._pending:  # another thread stored it meanwhile
                return 0
            writer = self._writers.get(blob_type) or self._writers.setdefault(blob_type, self._new_writer())
            writer.add(blob_type, blob_id, envelope, raw_length, compression)
            self._pending[blob_id] = None
            if writer.size >= self.pack_size:
                full = self._writers.pop(blob_type).finish(self.sealer)
        if full is not None:
            self._queue(full)
        return len(envelope)

    def _new_writer(self) -> PackWriter:
        return PackWriter(SpoolSink(self.spool) if self.spool is not None else None)

    def flush(self) -> None:
        """Finish and store every open pack with its index file; wait until all are durable.
        Raises the first error an upload met."""
        with self._lock:
            finished = [w.finish(self.sealer) for w in self._writers.values() if w.count]
            self._writers.clear()
        for pack in finished:
            self._queue(pack)
        with self._lock:
            pending = list(self._uploads)
        for future in pending:
            future.exception()
        if self._upload_error is not None:
            raise self._upload_error

    def close(self) -> None:
        if self._uploader is not None:
            self._uploader.shutdown(wait=True)
            self._uploader = None

    def _queue(self, pack: FinishedPack) -> None:
        self._upload_slots.acquire()  # backpressure: wait while too many packs are queued
        with self._lock:
            if self._uploader is None:
                self._uploader = ThreadPoolExecutor(UPLOAD_THREADS, thread_name_prefix="snap-upload")
            future = self._uploader.submit(self._upload, pack)
            self._uploads.add(future)
        future.add_done_callback(self._upload_done)

    def _upload(self, pack: FinishedPack) -> None:
        try:
            self._store_pack(pack)
        except BaseException as error:
            self._upload_error = self._upload_error or error
            raise
        finally:
            self._upload_slots.release()

    def _upload_done(self, future: Future[None]) -> None:
        with self._lock:
            self._uploads.discard(future)

    def _store_pack(self, pack: FinishedPack) -> None:
        try:
            if pack.file is not None and isinstance(self.backend, FileSaver):
                # Mapped pages read by `save` would count in this process's resident memory.
                self.backend.save_file(pack.name, pack.file, memoryview(pack.data).nbytes)
            else:
                self.backend.save(pack.name, pack.data)
        finally:
            pack.release()
        name, data = encode_index(pack.entries, (), self.sealer)
        self.backend.save(name, data)
        self.cache.merge(name, pack.entries)
        with self._lock:
            for entry in pack.entries:
                self._pending.pop(entry.blob_id, None)
            self.packs_written += 1
            self.index_files_written += 1

    def load(self, blob_id: bytes, blob_type: BlobType) -> bytes:
        """Load, authenticate, decompress and check one blob; IntegrityError names it. Trees
        come out of whole tree packs (`tree_packs`)."""
        entry = self.lookup(blob_id)
        if entry is None:
            raise IntegrityError(f"{blob_type.name.lower()} blob {blob_id.hex()} is not in the index")
        if blob_type == BlobType.TREE:
            return self.open_blob(entry, self.tree_packs.envelope(entry))
        return self.open_blob(entry, self.load_range(entry.pack_id, entry.offset, entry.length))

    def load_pack(self, pack_id: bytes) -> bytes:
        return self.load_range(pack_id, 0, None)

    def load_from_pack(self, entries: list[IndexEntry]) -> Iterator[tuple[IndexEntry, bytes]]:
        """Blobs of one pack, with one read spanning them all (restore reads each pack once)."""
        ordered = sorted(entries, key=lambda e: e.offset)
        start = ordered[0].offset
        span = self.load_range(ordered[0].pack_id, start, ordered[-1].offset + ordered[-1].length - start)
        return open_span(self.sealer, self.master.id_key, ordered, span)

    def load_range(self, pack_id: bytes, offset: int, length: int | None) -> bytes:
        """Bytes of a pack as stored, `length` None for all from `offset`; a missing pack is an
        IntegrityError."""
        try:
            return self.backend.load(pack_object_name(pack_id), offset, length)
        except NotFoundError:
            raise IntegrityError(f"pack {pack_id.hex()} is missing") from None

    def open_blob(self, entry: IndexEntry, envelope: bytes | memoryview) -> bytes:
        """Authenticate, decompress and check a blob read from its pack."""
        return open_blob(self.sealer, self.master.id_key, entry, envelope)
