"""Packs against the index (docs/design.md §4, §5): every indexed pack exists, is as large as
its index entries imply, and its header lists exactly those entries. Packs no index lists, and
packs a prune marked as trash (pending deletion; a prune takes them out of the index when it
marks them, a backup that reused one puts it back), are information.

`data/` is listed once; headers are read from each pack's tail (one or two range reads).
"""

from __future__ import annotations

from collections.abc import Container

from snapstore.backend import Backend
from snapstore.checker.index_view import IndexView
from snapstore.checker.options import CheckReport
from snapstore.crypto import ENVELOPE_OVERHEAD
from snapstore.errors import BackendError, IntegrityError
from snapstore.index import IndexEntry, Sealing
from snapstore.pack import load_pack_header, pack_id_from_name, pack_object_name
from snapstore.pack.header import DATA_FOLDER, HEADER_ENTRY, HEADER_LENGTH
from snapstore.pack.header import PREAMBLE as HEADER_PREAMBLE
from snapstore.repository.trash import marked_packs


def implied_size(entries: list[IndexEntry]) -> int:
    """The least size of a pack holding `entries` (§4): its blobs, the sealed header listing
    them, and the header length. Equal to the real size when the index lists every blob."""
    blobs_end = max(e.offset + e.length for e in entries)
    header = ENVELOPE_OVERHEAD + HEADER_PREAMBLE.size + HEADER_ENTRY.size * len(entries)
    return blobs_end + header + HEADER_LENGTH.size


def check_packs(
    backend: Backend, sealer: Sealing, view: IndexView, report: CheckReport
) -> dict[bytes, int]:
    """Check each indexed pack; return the sizes of those present on the backend (by id)."""
    on_backend = _list_packs(backend, report)
    present: dict[bytes, int] = {}
    trash = marked_packs(backend)
    for pack_id in sorted(view.packs):
        entries = sorted(view.packs[pack_id].values(), key=lambda e: e.offset)
        size = on_backend.get(pack_id)
        if size is None:
            name = pack_object_name(pack_id)
            report.error("pack-missing", f"pack {name} is in the index but not on the backend",
                         pack=pack_id.hex())  # fmt: skip
            for entry in entries:
                view.mark_unreadable(entry, f"pack {name} is missing")
            continue
        present[pack_id] = size
        if _has_implied_size(pack_id, entries, size, view, report):
            _compare_header(backend, sealer, pack_id, entries, size, report, pack_id in trash)
    report.packs = len(present)
    for pack_id in sorted(on_backend.keys() - view.packs.keys() - trash):
        report.note(
            "pack-unreferenced",
            f"pack {pack_object_name(pack_id)} is in no index (left by an interrupted backup; "
            "`snap repair index` indexes it, prune removes it)",
            pack=pack_id.hex(),
        )
    _note_trash(trash, on_backend, view, report)
    return present


def _list_packs(backend: Backend, report: CheckReport) -> dict[bytes, int]:
    found = {}
    for info in backend.list(DATA_FOLDER):
        try:
            found[pack_id_from_name(info.name)] = info.size
        except ValueError:
            report.note("stray-object", f"{info.name} is not a pack name", object=info.name)
    return found


def _has_implied_size(
    pack_id: bytes, entries: list[IndexEntry], size: int, view: IndexView, report: CheckReport
) -> bool:
    needed = implied_size(entries)
    if size >= needed:
        return True
    name = pack_object_name(pack_id)
    report.error(
        "pack-size",
        f"pack {name} is {size} bytes, its {len(entries)} index entries need at least {needed} "
        "(truncated)",
        pack=pack_id.hex(), size=size, expected=needed,
    )  # fmt: skip
    for entry in entries:
        if entry.offset + entry.length > size:
            view.mark_unreadable(entry, f"pack {name} is truncated")
    return False


def _compare_header(
    backend: Backend, sealer: Sealing, pack_id: bytes, entries: list[IndexEntry], size: int,
    report: CheckReport, marked: bool,
) -> None:  # fmt: skip
    """A marked pack that was repacked keeps only its uncopied blobs in the index
    (docs/design.md §6.3): header entries missing from the index are expected there."""
    name = pack_object_name(pack_id)
    try:
        header = load_pack_header(backend, name, sealer, size)
    except (IntegrityError, BackendError) as error:
        report.error("pack-header", f"pack {name}: header cannot be read: {error}",
                     pack=pack_id.hex())  # fmt: skip
        return
    only_index = sorted(set(entries) - set(header), key=lambda e: e.offset)
    only_header = sorted(set(header) - set(entries), key=lambda e: e.offset)
    if not only_index and not only_header:
        return
    if not only_index:
        if not marked:  # blobs no index lists are garbage to prune, not damage
            report.note("pack-partly-indexed", f"pack {name}: {len(only_header)} blobs of its "
                        "header are in no index (garbage for prune)", pack=pack_id.hex())  # fmt: skip
        return
    first = (only_index or only_header)[0]
    report.error(
        "pack-header",
        f"pack {name}: index and pack header disagree: {len(only_index)} index entries not in "
        f"the header, {len(only_header)} header entries not in the index (first: blob "
        f"{first.blob_id.hex()} at offset {first.offset})",
        pack=pack_id.hex(), blob=first.blob_id.hex(),
    )  # fmt: skip


def _note_trash(
    trash: set[bytes], on_backend: Container[bytes], view: IndexView, report: CheckReport
) -> None:
    for pack_id in sorted(trash):
        state = "still indexed" if pack_id in view.packs else "no longer indexed"
        if pack_id not in on_backend:
            state = "already deleted (the marker is left over)"
        report.note(
            "pack-trash",
            f"pack {pack_object_name(pack_id)} is pending deletion by prune ({state})",
            pack=pack_id.hex(),
        )
