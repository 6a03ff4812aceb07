"""Tree packs read whole from an object store: a walk over a snapshot (restore, prune, check, ls)
loads its trees one folder at a time, and one read per tree means one round trip per folder,
which on an object store is most of the time of a restore of many small files (4,578 trees, one
read each, for the 200,000 files of the small-files benchmark). Trees have packs of their own,
written in the order the backup met the folders, so the trees of one walk are mostly in a few
packs: the first tree needed from a pack brings the whole pack, and the trees after it are cut
out of memory. From a local folder (or a NAS mount) a tree read costs microseconds, and each
tree is read alone, which holds no pack in memory.

Memory stays bounded: the packs held are at most `HELD_BYTES`, least recently used dropped
first, and a pack is read whole once per session at most; a tree of a pack dropped before is
read alone, as every tree was before, so a walk that wanders among more packs than fit never
reads more than each pack once plus the trees themselves.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from snapstore.index import IndexEntry

MiB = 1 << 20
HELD_BYTES = 32 * MiB


class TreePacks:
    """`load_pack(pack_id)` reads a whole pack, `load_range(pack_id, offset, length)` a part.
    Packs are read whole only when `remote` (the backend waits a round trip per request) and
    `pack_size` (the repository's target size) leaves room for two of them."""

    def __init__(
        self, load_pack: Callable[[bytes], bytes], load_range: Callable[[bytes, int, int], bytes],
        pack_size: int, remote: bool, held_bytes: int = HELD_BYTES,
    ) -> None:  # fmt: skip
        self._load_pack = load_pack
        self._load_range = load_range
        self._whole = remote and 2 * pack_size <= held_bytes
        self._held_bytes = held_bytes
        self._held: OrderedDict[bytes, bytes] = OrderedDict()
        self._size = 0
        self._read_whole: set[bytes] = set()
        self._lock = threading.Lock()
        self.whole_reads = 0  # for tests and reports
        self.blob_reads = 0

    def envelope(self, entry: IndexEntry) -> bytes | memoryview:
        """The stored bytes of tree blob `entry`."""
        end = entry.offset + entry.length
        with self._lock:
            pack = self._held.get(entry.pack_id)
            if pack is not None and end <= len(pack):
                self._held.move_to_end(entry.pack_id)
                return memoryview(pack)[entry.offset : end]
            whole = self._whole and entry.pack_id not in self._read_whole
            if whole:
                self._read_whole.add(entry.pack_id)
                self.whole_reads += 1
            else:
                self.blob_reads += 1
        if not whole:
            return self._load_range(entry.pack_id, entry.offset, entry.length)
        pack = self._load_pack(entry.pack_id)
        self._hold(entry.pack_id, pack)
        # A pack shorter than the index says is damaged: the slice comes out short, and opening
        # the blob fails its authentication, naming it.
        return memoryview(pack)[entry.offset : end]

    def _hold(self, pack_id: bytes, pack: bytes) -> None:
        if len(pack) > self._held_bytes:
            return
        with self._lock:
            self._held[pack_id] = pack
            self._size += len(pack)
            while self._size > self._held_bytes:
                _, dropped = self._held.popitem(last=False)
                self._size -= len(dropped)
