"""Repack: copy the used blobs of mostly-garbage packs into new packs, so the old ones can go.
Envelopes are copied as they are (they are bound to the blob's type and id, not to a pack), after
each is authenticated and checked against its id, so a damaged blob is never spread."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from snapstore.gc.pack_usage import KeptCopies
from snapstore.index import DiskBlobSet, encode_index
from snapstore.pack import PackWriter, load_pack_header, pack_object_name
from snapstore.repository import Repository


@dataclass
class RepackResult:
    copied: set[tuple[bytes, bytes]] = field(default_factory=set)  # (old pack, blob) copied
    packs_written: int = 0
    blobs_copied: int = 0
    bytes_copied: int = 0


class Repacker:
    def __init__(self, repo: Repository, used: DiskBlobSet, kept: KeptCopies) -> None:
        self.repo = repo
        self.used = used
        self.kept = kept
        self.result = RepackResult()
        self._writers: dict[int, PackWriter] = {}
        self._copied: set[bytes] = set()

    def repack(self, pack_ids: Iterable[bytes]) -> RepackResult:
        for pack_id in pack_ids:
            self._copy_pack(pack_id)
        for blob_type in list(self._writers):
            self._store(blob_type)
        return self.result

    def _copy_pack(self, pack_id: bytes) -> None:
        name = pack_object_name(pack_id)
        wanted = [
            e for e in load_pack_header(self.repo.backend, name, self.repo.sealer)
            if self.kept.is_used_copy(e, self.used) and e.blob_id not in self._copied
        ]  # fmt: skip
        if not wanted:
            return
        data = self.repo.backend.load(name)
        for entry in wanted:
            envelope = data[entry.offset : entry.offset + entry.length]
            self.repo.blobs.open_blob(entry, envelope)  # raises IntegrityError if damaged
            writer = self._writers.setdefault(entry.blob_type, PackWriter())
            writer.add(entry.blob_type, entry.blob_id, envelope, entry.raw_length, entry.compression)
            self._copied.add(entry.blob_id)
            self.result.copied.add((pack_id, entry.blob_id))
            self.result.blobs_copied += 1
            self.result.bytes_copied += entry.length
            if writer.size >= self.repo.config.pack_size:
                self._store(entry.blob_type)

    def _store(self, blob_type: int) -> None:
        """Pack first, then its index file: the copies are durable and findable before any
        original leaves the index."""
        writer = self._writers.pop(blob_type)
        if not writer.count:
            return
        pack = writer.finish(self.repo.sealer)
        self.repo.backend.save(pack.name, pack.data)
        name, data = encode_index(pack.entries, (), self.repo.sealer)
        self.repo.backend.save(name, data)
        self.result.packs_written += 1
