"""Every construction rule of Node, Tree, Snapshot and Summary: a broken record is a ValueError
before it can be encoded, and the accepted edge values stay accepted."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

import pytest

from snapstore.model import (
    BLOCKDEV,
    CHARDEV,
    DIR,
    FIFO,
    FILE,
    SOCKET,
    SYMLINK,
    Node,
    Snapshot,
    Summary,
    Tree,
)

ID = bytes(range(32))
UTC = timezone.utc
WHEN = datetime(2026, 11, 21, 22, 3, 14, 123456, tzinfo=timezone(timedelta(hours=1)))


def node(**changes: Any) -> Node:
    """A valid regular file, with `changes` applied."""
    fields: dict[str, Any] = dict(
        name=b"f",
        kind=FILE,
        mode=0o644,
        uid=1000,
        gid=1000,
        user="u",
        group="g",
        mtime_ns=1,
        ctime_ns=2,
        size=3,
        device=4,
        inode=5,
        nlink=1,
        content=(ID,),
    )
    return Node(**{**fields, **changes})


NEUTRAL = dict(size=0, content=())
KIND_EXTRAS: dict[str, dict[str, Any]] = {
    FILE: {},
    DIR: {**NEUTRAL, "subtree": ID},
    SYMLINK: {**NEUTRAL, "symlink_target": b"../x"},
    FIFO: NEUTRAL,
    SOCKET: NEUTRAL,
    CHARDEV: {**NEUTRAL, "rdev": 0x0501},
    BLOCKDEV: {**NEUTRAL, "rdev": 0x0801},
}


@pytest.mark.parametrize("kind", sorted(KIND_EXTRAS))
def test_every_kind_constructs(kind: str) -> None:
    assert node(kind=kind, **KIND_EXTRAS[kind]).kind == kind


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"name": b""}, "not a directory entry name"),
        ({"name": b"."}, "not a directory entry name"),
        ({"name": b".."}, "not a directory entry name"),
        ({"name": b"a/b"}, "'/' or NUL"),
        ({"name": b"a\0b"}, "'/' or NUL"),
        ({"name": "text"}, "name must be bytes"),
        ({"kind": "hardlink"}, "kind 'hardlink'"),
        ({"mode": 0o10000}, "bits outside"),
        ({"mode": -1}, "mode must not be negative"),
        ({"uid": -1}, "uid must not be negative"),
        ({"gid": -1}, "gid must not be negative"),
        ({"size": -1}, "size must not be negative"),
        ({"device": -1}, "device must not be negative"),
        ({"inode": -1}, "inode must not be negative"),
        ({"nlink": -1}, "nlink must not be negative"),
        ({"uid": True}, "uid must be an int"),
        ({"mtime_ns": 1.5}, "mtime_ns must be an int"),
        ({"ctime_ns": "1"}, "ctime_ns must be an int"),
        ({"user": b"root"}, "user must be a str"),
        ({"group": "\udcff"}, "group is not encodable as UTF-8"),
        ({"content": (ID[:31],)}, "content[0] must be 32 bytes"),
        ({"content": (ID, ID + b"x")}, "content[1] must be 32 bytes"),
        ({"rdev": 1}, "rdev must be 0 for a file"),
        ({"subtree": ID}, "subtree is required for a dir and not allowed"),
        ({"symlink_target": b"x"}, "symlink_target is required for a symlink"),
        ({"xattrs": ((b"user.a",),)}, "(name, value) pair of bytes"),
        ({"xattrs": ((b"user.a", "v"),)}, "(name, value) pair of bytes"),
        ({"xattrs": ((b"", b"v"),)}, "empty or contains NUL"),
        ({"xattrs": ((b"user.\0", b"v"),)}, "empty or contains NUL"),
        ({"xattrs": ((b"user.a", b"1"), (b"user.a", b"2"))}, "duplicate xattr name"),
    ],
)
def test_node_rules(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        node(**changes)


@pytest.mark.parametrize(
    "kind,changes,message",
    [
        (DIR, {"size": 0, "content": ()}, "subtree is required for a dir"),
        (DIR, {"size": 0, "subtree": ID[:16], "content": ()}, "subtree must be 32 bytes"),
        (DIR, {"size": 4096, "subtree": ID, "content": ()}, "size must be 0 for a dir"),
        (DIR, {"size": 0, "subtree": ID}, "content is only for files"),
        (SYMLINK, NEUTRAL, "symlink_target is required for a symlink"),
        (SYMLINK, {**NEUTRAL, "symlink_target": "x"}, "symlink_target must be bytes"),
        (SYMLINK, {**NEUTRAL, "symlink_target": b"a\0"}, "without NUL"),
        (SYMLINK, {"size": 4, "content": (), "symlink_target": b"../x"}, "size must be 0"),
        (FIFO, {**NEUTRAL, "rdev": 1}, "rdev must be 0 for a fifo"),
        (CHARDEV, {**NEUTRAL, "rdev": -1}, "rdev must not be negative"),
    ],
)
def test_kind_specific_rules(kind: str, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        node(kind=kind, **changes)


def test_node_accepts_edge_values_and_sorts_xattrs() -> None:
    edge = node(
        name=b"\xff\xfe",
        mode=0o7777,
        uid=0,
        gid=2**64 - 1,
        user=None,
        group="",
        mtime_ns=-(2**63),
        ctime_ns=-1,
        size=0,
        inode=2**64 - 1,
        nlink=0,
        content=[ID, ID],
        xattrs=[(b"\xff", b"\0"), [b"user.b", b""]],
    )
    assert edge.xattrs == ((b"user.b", b""), (b"\xff", b"\0"))  # sorted by name bytes
    assert edge.content == (ID, ID)  # lists become tuples: nodes stay hashable
    assert hash(edge) == hash(replace(edge))
    assert node(kind=SYMLINK, symlink_target=b"", **NEUTRAL).symlink_target == b""


def test_node_is_frozen() -> None:
    with pytest.raises(AttributeError):
        node().mode = 0  # type: ignore[misc]


def test_tree_sorts_by_name_bytes_and_refuses_duplicates() -> None:
    names = [b"b", b"\xff", b"B", b"a.txt", b"a"]
    tree = Tree(node(name=name) for name in names)
    assert [n.name for n in tree] == sorted(names)  # bytes order: b"B" < b"a" < b"\xff"
    assert tree.get(b"a.txt") == node(name=b"a.txt")
    assert tree.get(b"c") is None
    assert tree[0].name == b"B" and tree[-1].name == b"\xff"
    assert tree.nodes == tuple(tree)
    with pytest.raises(ValueError, match="duplicate name b'a'"):
        Tree([node(name=b"a"), node(name=b"a", inode=9)])
    with pytest.raises(ValueError, match="Node objects only"):
        Tree([node(), "f"])  # type: ignore[list-item]


def snapshot(**changes: Any) -> Snapshot:
    fields: dict[str, Any] = dict(
        time=WHEN,
        hostname="host",
        username="user",
        uid=1000,
        gid=1000,
        paths=("/home",),
        tree=ID,
        program_version="snapstore 0.1.0",
    )
    return Snapshot(**{**fields, **changes})


def summary(**changes: Any) -> Summary:
    counts = dict.fromkeys(
        "files_new files_changed files_unmodified dirs_new dirs_changed dirs_unmodified "
        "data_blobs tree_blobs data_added data_added_packed total_files_processed "
        "total_bytes_processed errors".split(),
        0,
    )
    return Summary(**{**counts, "backup_start": WHEN, "backup_end": WHEN, **changes})


class LocalMeanTime(tzinfo):
    """An offset with seconds, like zoneinfo's pre-1900 local mean times: not RFC 3339."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(minutes=9, seconds=21)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "LMT"


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"time": datetime(2026, 1, 1)}, "time must be timezone-aware"),
        ({"time": "2026-01-01T00:00:00.000000+00:00"}, "time must be a datetime"),
        ({"time": datetime(1900, 1, 1, tzinfo=LocalMeanTime())}, "whole number of minutes"),
        ({"hostname": None}, "hostname must be a str"),
        ({"username": "\udc80"}, "username is not encodable"),
        ({"program_version": 1}, "program_version must be a str"),
        ({"uid": -1}, "uid must not be negative"),
        ({"gid": 1.0}, "gid must be an int"),
        ({"tree": ID.hex()}, "tree must be 32 bytes"),
        ({"tree": ID[:31]}, "tree must be 32 bytes"),
        ({"parent": ID}, "parent must be a snapshot id"),
        ({"parent": ID.hex().upper()}, "parent must be a snapshot id"),
        ({"parent": ID.hex()[:62]}, "parent must be a snapshot id"),
        ({"paths": ("home",)}, "path 'home' is not absolute"),
        ({"paths": "/home"}, "paths must be a sequence of str"),
        ({"paths": (b"/home",)}, r"paths\[0\] must be a str"),
        ({"paths": ("/\udcff",)}, r"paths\[0\] is not encodable"),
        ({"tags": ("",)}, "tag must not be empty"),
        ({"tags": (1,)}, r"tags\[0\] must be a str"),
        ({"excludes": ("*.o", None)}, r"excludes\[1\] must be a str"),
        ({"summary": {}}, "summary must be a Summary"),
    ],
)
def test_snapshot_rules(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        snapshot(**changes)


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"files_new": -1}, "files_new must not be negative"),
        ({"errors": True}, "errors must be an int"),
        ({"data_added": 1.0}, "data_added must be an int"),
        ({"backup_start": datetime(2026, 1, 1)}, "backup_start must be timezone-aware"),
        ({"backup_end": None}, "backup_end must be a datetime"),
    ],
)
def test_summary_rules(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        summary(**changes)


def test_snapshot_normalises_tags_and_keeps_paths_and_excludes_as_given() -> None:
    made = snapshot(
        tags=["weekly", "db", "weekly"],
        paths=["/srv", "/etc"],
        excludes=["*.tmp", "*.o"],
        summary=summary(),
        parent=ID.hex(),
    )
    assert made.tags == ("db", "weekly")
    assert made.paths == ("/srv", "/etc")
    assert made.excludes == ("*.tmp", "*.o")
    assert hash(made) == hash(replace(made))
