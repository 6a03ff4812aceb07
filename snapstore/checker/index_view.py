"""The checker's own reading of the index files (docs/design.md §5.1).

The local cache is not trusted here: it is a copy that may predate damage. Every index file is
downloaded and decoded; files another file supersedes are left out (transitively, as the cache
sync does) but still decoded, since a damaged one is damage all the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from snapstore.backend import Backend
from snapstore.checker.options import CheckReport
from snapstore.errors import BackendError, IntegrityError, NotFoundError
from snapstore.index import (
    INDEX_FOLDER,
    IndexEntry,
    IndexFile,
    Sealing,
    decode_index,
    index_object_name,
)
from snapstore.pack import pack_object_name


@dataclass
class IndexView:
    """Where the index files say blobs are.

    Held in memory: about 200 bytes per blob. A repository of tens of millions of blobs would
    need these maps on disk (an LMDB map like the index cache, or `DiskBlobSet` for sets).
    """

    packs: dict[bytes, dict[int, IndexEntry]] = field(default_factory=dict)  # pack -> offset ->
    blobs: dict[bytes, IndexEntry] = field(default_factory=dict)  # first location of each blob
    # Blobs whose bytes cannot be had (pack missing, truncated, blob damaged) -> why; filled by
    # the pack checks so that the tree walk can name the files that lose data.
    unreadable: dict[bytes, str] = field(default_factory=dict)

    def add(self, entry: IndexEntry, index_file: str, report: CheckReport) -> None:
        in_pack = self.packs.setdefault(entry.pack_id, {})
        other = in_pack.setdefault(entry.offset, entry)
        if other != entry:
            report.error(
                "index-conflict",
                f"index file {index_file} disagrees with another one about "
                f"{pack_object_name(entry.pack_id)} at offset {entry.offset}: blob "
                f"{entry.blob_id.hex()} there, blob {other.blob_id.hex()} elsewhere",
                index_file=index_file, pack=entry.pack_id.hex(), blob=entry.blob_id.hex(),
            )  # fmt: skip
            return
        self.blobs.setdefault(entry.blob_id, entry)

    def mark_unreadable(self, entry: IndexEntry, reason: str) -> None:
        """Only if it is the location readers use: another copy of the blob may be fine."""
        if self.blobs.get(entry.blob_id) == entry:
            self.unreadable.setdefault(entry.blob_id, reason)


def load_index(backend: Backend, sealer: Sealing, report: CheckReport) -> IndexView:
    names = sorted(info.name for info in backend.list(INDEX_FOLDER))
    decoded: dict[str, IndexFile] = {}
    for name in names:
        try:
            decoded[name] = decode_index(backend.load(name), sealer, name)
        except NotFoundError:
            # Listed, then gone: a concurrent prune replaced it by a file listed or not yet
            # written; its packs are then reported as unreferenced at worst.
            report.note("index-vanished", f"index file {name} was removed during the check",
                        index_file=name)  # fmt: skip
        except (IntegrityError, BackendError) as error:
            report.error("index", str(error), index_file=name)
    report.index_files = len(decoded)
    superseded = {
        index_object_name(file_id) for index in decoded.values() for file_id in index.supersedes
    }
    view = IndexView()
    # Name order, as the cache merges them: both keep the same copy of a blob stored twice.
    for name, index in decoded.items():
        if name in superseded:
            report.note(
                "index-superseded",
                f"index file {name} is superseded by another one (a prune has not removed it yet)",
                index_file=name,
            )
            continue
        for entry in index.entries:
            view.add(entry, name, report)
    return view
