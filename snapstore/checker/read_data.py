"""`--read-data`: download packs in full, check each against its name (§2: the name is the
BLAKE3-256 of the bytes, no key needed), then open every blob the index places in it
(authentication, decompression, id check, §3.2). One pack in memory at a time."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from snapstore.backend import Backend
from snapstore.checker.index_view import IndexView
from snapstore.checker.options import CheckReport
from snapstore.errors import BackendError, IntegrityError
from snapstore.index import IndexEntry
from snapstore.pack import pack_object_name, verify_pack_id


class BlobOpener(Protocol):
    def open_blob(self, entry: IndexEntry, envelope: bytes | memoryview) -> bytes:
        """Authenticate, decompress and check a blob; IntegrityError naming it if damaged."""
        ...


def read_packs(
    backend: Backend, opener: BlobOpener, view: IndexView, pack_ids: Iterable[bytes],
    report: CheckReport,
) -> None:  # fmt: skip
    for pack_id in pack_ids:
        name = pack_object_name(pack_id)
        try:
            data = backend.load(name)
        except BackendError as error:
            report.error("pack-read", f"pack {name} cannot be read: {error}", pack=pack_id.hex())
            continue
        report.packs_read += 1
        report.bytes_read += len(data)
        try:
            verify_pack_id(data, pack_id)
        except IntegrityError as error:
            report.error("pack-data", str(error), pack=pack_id.hex())
        _open_blobs(opener, view, pack_id, memoryview(data), report)


def _open_blobs(
    opener: BlobOpener, view: IndexView, pack_id: bytes, data: memoryview, report: CheckReport
) -> None:
    """A damaged pack may still hold intact blobs: each is judged on its own, so the report
    names exactly the blobs (and, through the tree walk, the files) that lost data."""
    for entry in sorted(view.packs[pack_id].values(), key=lambda e: e.offset):
        if entry.offset + entry.length > len(data):
            continue  # beyond the end of a truncated pack: already reported
        try:
            opener.open_blob(entry, data[entry.offset : entry.offset + entry.length])
        except IntegrityError as error:
            report.error("blob-damaged", str(error), pack=pack_id.hex(), blob=entry.blob_id.hex())
            view.mark_unreadable(entry, f"damaged in pack {pack_object_name(pack_id)}")
            continue
        report.blobs_read += 1
