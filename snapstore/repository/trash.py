"""Trash markers (docs/design.md §6.3): `trash/<pack id>` says a prune found a pack unneeded at
a time; a later prune deletes it once that is safe, or takes it back. Written by garbage
collection; read by backups (which do not deduplicate against marked packs) and by check."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from datetime import datetime

from snapstore.backend import Backend
from snapstore.errors import NotFoundError
from snapstore.repository import layout


@dataclass(frozen=True)
class TrashMark:
    pack_id: bytes
    marked_at: datetime
    hostname: str


def mark(backend: Backend, pack_id: bytes, now: datetime) -> None:
    document = {"marked_at": now.isoformat(), "hostname": socket.gethostname()}
    backend.save(layout.trash_name(pack_id), json.dumps(document, sort_keys=True).encode())


def unmark(backend: Backend, pack_id: bytes) -> None:
    try:
        backend.remove(layout.trash_name(pack_id))
    except NotFoundError:
        pass


def list_marks(backend: Backend, default_time: datetime) -> dict[bytes, TrashMark]:
    """All markers; an unreadable one counts as marked at `default_time` (now), which only
    delays that pack's deletion."""
    marks = {}
    for info in backend.list(layout.TRASH):
        try:
            pack_id = bytes.fromhex(info.name.rsplit("/", 1)[1])
        except ValueError:
            continue  # not a marker of ours
        try:
            document = json.loads(backend.load(info.name))
            marked_at = datetime.fromisoformat(document["marked_at"])
            hostname = str(document.get("hostname", ""))
        except NotFoundError:
            continue
        except (ValueError, KeyError, TypeError):
            marked_at, hostname = default_time, ""
        marks[pack_id] = TrashMark(pack_id, marked_at, hostname)
    return marks


def marked_packs(backend: Backend) -> set[bytes]:
    """Ids of the marked packs, from one listing (markers are not read)."""
    found = set()
    for info in backend.list(layout.TRASH):
        try:
            found.add(bytes.fromhex(info.name.rsplit("/", 1)[1]))
        except ValueError:
            continue  # not a marker of ours
    return found
