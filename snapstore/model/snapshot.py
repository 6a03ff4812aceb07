"""`Snapshot`: the record of one backup, pointing at its root tree; `Summary`: what it cost.

Encoding (format version 1), canonical JSON as defined in `json_canonical`, keys:

* always: ``version`` (1), ``time`` (RFC 3339 with microseconds and offset), ``hostname``,
  ``username``, ``uid``, ``gid``, ``paths`` (list of strings, in the order given), ``tree``
  (root tree id as hex), ``program_version``;
* only when set: ``tags`` (sorted, unique strings), ``parent`` (hex id of the parent snapshot),
  ``excludes`` (list of strings, in the order given), ``summary`` (object: every `Summary`
  field under its own name, integers, and ``backup_start``/``backup_end`` as RFC 3339 times),
  ``original`` (a copy made by `snap copy`: hex id of the snapshot it was copied from, or that
  snapshot's own ``original`` when it was itself a copy).

The snapshot's own id is computed by the repository from these bytes; it is not stored inside.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from snapstore.errors import IntegrityError
from snapstore.model.json_canonical import (
    FieldReader,
    check_canonical,
    check_text,
    check_time,
    dumps,
    format_time,
    is_hex_id,
    loads_object,
)
from snapstore.model.node import check_id, check_int

SNAPSHOT_VERSION = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """Counters of one backup run; every count is a non-negative int."""

    files_new: int
    files_changed: int
    files_unmodified: int
    dirs_new: int
    dirs_changed: int
    dirs_unmodified: int
    data_blobs: int
    tree_blobs: int
    data_added: int  # bytes of new plaintext
    data_added_packed: int  # bytes written to packs (compressed, encrypted)
    total_files_processed: int
    total_bytes_processed: int
    errors: int  # entries that could not be read
    backup_start: datetime
    backup_end: datetime

    def __post_init__(self) -> None:
        for name in _SUMMARY_COUNTS:
            check_int(getattr(self, name), name)
        check_time(self.backup_start, "backup_start")
        check_time(self.backup_end, "backup_end")


_SUMMARY_TIMES = ("backup_start", "backup_end")
_SUMMARY_COUNTS = tuple(f.name for f in fields(Summary) if f.name not in _SUMMARY_TIMES)


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """One backup. Construction validates (ValueError) and sorts and de-duplicates `tags`."""

    time: datetime  # timezone-aware
    hostname: str
    username: str
    uid: int
    gid: int
    paths: tuple[str, ...]  # absolute, as given
    tree: bytes  # root tree id
    program_version: str
    tags: tuple[str, ...] = ()
    parent: str | None = None  # hex id of the snapshot this one was compared against
    excludes: tuple[str, ...] = ()
    summary: Summary | None = None
    original: str | None = None  # hex id of the first snapshot of a chain of copies

    def __post_init__(self) -> None:
        check_time(self.time, "time")
        for name in ("hostname", "username", "program_version"):
            check_text(getattr(self, name), name)
        check_int(self.uid, "uid")
        check_int(self.gid, "gid")
        check_id(self.tree, "tree")
        for name in ("parent", "original"):
            value = getattr(self, name)
            if value is not None and not is_hex_id(value):
                raise ValueError(f"{name} must be a snapshot id: 64 lowercase hex digits")
        if self.summary is not None and not isinstance(self.summary, Summary):
            raise ValueError("summary must be a Summary")
        object.__setattr__(self, "paths", _texts(self.paths, "paths"))
        object.__setattr__(self, "excludes", _texts(self.excludes, "excludes"))
        object.__setattr__(self, "tags", tuple(sorted(set(_texts(self.tags, "tags")))))
        for path in self.paths:
            if not path.startswith("/"):
                raise ValueError(f"path {path!r} is not absolute")
        if "" in self.tags:
            raise ValueError("a tag must not be empty")

    def encode(self) -> bytes:
        return dumps(_snapshot_to_json(self))

    @classmethod
    def decode(cls, data: bytes) -> Snapshot:
        """Parse an encoding made by `encode`; IntegrityError for anything else."""
        reader = FieldReader(loads_object(data, "snapshot"), "snapshot")
        version = reader.get("version", int)
        if version != SNAPSHOT_VERSION:
            reader.fail(f"unsupported version {version}")
        values: dict[str, Any] = {
            "time": reader.time("time"),
            "hostname": reader.get("hostname", str),
            "username": reader.get("username", str),
            "uid": reader.get("uid", int),
            "gid": reader.get("gid", int),
            "paths": reader.strings("paths", required=True),
            "tree": reader.id("tree"),
            "program_version": reader.get("program_version", str),
            "tags": reader.strings("tags"),
            "parent": reader.get("parent", str, None),
            "excludes": reader.strings("excludes"),
            "original": reader.get("original", str, None),
        }
        if reader.has("summary"):
            values["summary"] = _summary_from_json(reader.get("summary", dict))
        reader.finish()
        try:
            snapshot = cls(**values)
        except ValueError as exc:
            raise IntegrityError(f"snapshot: {exc}") from None
        check_canonical(data, _snapshot_to_json(snapshot), "snapshot")
        return snapshot


def _texts(values: Iterable[str], what: str) -> tuple[str, ...]:
    if isinstance(values, (str, bytes)):  # a lone string would become a tuple of characters
        raise ValueError(f"{what} must be a sequence of str, not a single string")
    result = tuple(values)
    for i, value in enumerate(result):
        check_text(value, f"{what}[{i}]")
    return result


def _snapshot_to_json(snapshot: Snapshot) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "version": SNAPSHOT_VERSION,
        "time": format_time(snapshot.time),
        "hostname": snapshot.hostname,
        "username": snapshot.username,
        "uid": snapshot.uid,
        "gid": snapshot.gid,
        "paths": list(snapshot.paths),
        "tree": snapshot.tree.hex(),
        "program_version": snapshot.program_version,
    }
    if snapshot.tags:
        obj["tags"] = list(snapshot.tags)
    if snapshot.parent is not None:
        obj["parent"] = snapshot.parent
    if snapshot.excludes:
        obj["excludes"] = list(snapshot.excludes)
    if snapshot.summary is not None:
        obj["summary"] = _summary_to_json(snapshot.summary)
    if snapshot.original is not None:
        obj["original"] = snapshot.original
    return obj


def _summary_to_json(summary: Summary) -> dict[str, Any]:
    obj: dict[str, Any] = {name: getattr(summary, name) for name in _SUMMARY_COUNTS}
    for name in _SUMMARY_TIMES:
        obj[name] = format_time(getattr(summary, name))
    return obj


def _summary_from_json(obj: dict[str, Any]) -> Summary:
    reader = FieldReader(obj, "snapshot summary")
    values: dict[str, Any] = {name: reader.get(name, int) for name in _SUMMARY_COUNTS}
    values.update({name: reader.time(name) for name in _SUMMARY_TIMES})
    reader.finish()
    try:
        return Summary(**values)
    except ValueError as exc:
        raise IntegrityError(f"snapshot summary: {exc}") from None
