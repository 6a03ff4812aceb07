"""Moving one file's contents from the source to the target: by id when both repositories name
and cut data alike, otherwise streamed through the target's chunker. Every blob is read through
the source repository, which authenticates it and checks it against its id. Memory: one source
blob, one read block and one target chunk, whatever the file's size."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

import blake3

from snapstore.chunker.stream import BLOCK_SIZE, iter_chunks
from snapstore.copier.options import CopyCounters
from snapstore.repository.protocols import BlobLoader, BlobSaver

# Contents already moved in this run (hard links, duplicate files, files in several snapshots),
# so they are not read again; bounded, so memory does not grow with the repository.
MEMO_ENTRIES = 20_000
MIN_BLOCK = 64 << 10


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
    def __init__(self, source: BlobLoader, target: BlobSaver, counters: CopyCounters, rechunk: bool) -> None:
        self.source = source
        self.target = target
        self.counters = counters
        self.rechunk = rechunk
        self._scanner = target.new_scanner() if rechunk else None
        self._memo: OrderedDict[bytes, tuple[bytes, ...]] = OrderedDict()

    def copy(self, content: tuple[bytes, ...], size: int) -> tuple[bytes, ...]:
        """The target's chunk ids of a file whose source chunk ids are `content`."""
        if not content:
            return ()
        key = blake3.blake3(b"".join(content)).digest()
        if (known := self._memo.get(key)) is not None:
            self._memo.move_to_end(key)
            return known
        ids = self._rechunk(content, size) if self.rechunk else self._by_id(content)
        self._memo[key] = ids
        if len(self._memo) > MEMO_ENTRIES:
            self._memo.popitem(last=False)
        return ids

    def _read(self, blob_id: bytes) -> bytes:
        data = self.source.load_data(blob_id)
        self.counters.blobs_read += 1
        self.counters.bytes_read += len(data)
        return data

    def _store(self, data: bytes, blob_id: bytes) -> bytes:
        added = self.target.save_data(data, blob_id)
        if added:
            self.counters.data_blobs_added += 1
            self.counters.bytes_added += len(data)
            self.counters.bytes_stored += added
        return blob_id

    def _by_id(self, content: tuple[bytes, ...]) -> tuple[bytes, ...]:
        for blob_id in content:
            if not self.target.has_data(blob_id):
                self._store(self._read(blob_id), blob_id)
        return content

    def _rechunk(self, content: tuple[bytes, ...], size: int) -> tuple[bytes, ...]:
        scanner = self._scanner
        assert scanner is not None
        if len(content) == 1:
            data = self._read(content[0])
            if len(data) <= scanner.min_size:  # one chunk whatever the chunker: no scanning
                return (self._store(data, self.target.blob_id(data)),)
            blobs: Iterator[bytes] = iter([data])
        else:
            blobs = (self._read(blob_id) for blob_id in content)
        block = min(BLOCK_SIZE, max(size, MIN_BLOCK))
        ids = []
        try:
            for chunk in iter_chunks(_BlobStream(blobs).readinto, scanner, block):
                ids.append(self._store(chunk, self.target.blob_id(chunk)))
        except BaseException:
            scanner.finish()  # a failed read must not leak into the next file
            raise
        return tuple(ids)
