"""Malformed encodings: each is refused with IntegrityError, and the message names what is wrong.

Most cases start from the canonical JSON of a valid record, damage one thing and re-serialise
canonically, so that the damage, not the spacing, is what decode must notice."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import pytest

from snapstore.errors import IntegrityError
from snapstore.model import DIR, FILE, SYMLINK, Node, Snapshot, Summary, Tree
from snapstore.model.json_canonical import dumps
from tests.model.test_validation import WHEN, summary

ID = bytes(range(32))
HEX = ID.hex()
COMMON: dict[str, Any] = dict(
    mode=0o644,
    uid=0,
    gid=0,
    user="root",
    group="root",
    mtime_ns=1,
    ctime_ns=2,
    device=3,
    inode=4,
    nlink=1,
)
TREE = Tree(
    [
        Node(name=b"a", kind=FILE, size=5, content=(ID,), xattrs=((b"user.x", b"1"),), **COMMON),
        Node(name=b"b", kind=DIR, size=0, subtree=ID, **COMMON),
        Node(name=b"c", kind=SYMLINK, size=0, symlink_target=b"a", **COMMON),
    ]
)
SNAPSHOT = Snapshot(
    time=WHEN,
    hostname="h",
    username="u",
    uid=1,
    gid=1,
    paths=("/srv",),
    tree=ID,
    program_version="0.1",
    tags=("a", "b"),
    parent=HEX,
    excludes=("*.o",),
    summary=summary(),
)
Mutation = Callable[[dict[str, Any]], object]


def damaged(record: Tree | Snapshot, mutate: Mutation) -> bytes:
    obj = json.loads(record.encode())
    mutate(obj)
    try:
        return dumps(obj)
    except UnicodeEncodeError:  # a lone surrogate: only JSON's escapes can carry it
        return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


RAW_TREE_CASES = [
    (b"\xff", "not valid UTF-8 JSON"),
    (b"", "not valid UTF-8 JSON"),
    (b'{"nodes":[]', "not valid UTF-8 JSON"),
    (b"\xef\xbb\xbf" + Tree().encode(), "not valid UTF-8 JSON"),  # a BOM
    (b"[" * 100_000, "not valid UTF-8 JSON"),  # nesting deep enough to exhaust recursion
    (b"[]", "top level is not a JSON object"),
    (b'"nodes"', "top level is not a JSON object"),
    (b'{"nodes":[],"nodes":[],"version":1}', "duplicate key"),
    (b'{"nodes":[],"version":1.0}', "number 1.0 is not an integer"),
    (b'{"nodes":[],"version":NaN}', "number NaN is not an integer"),
    (b'{"nodes":[],"version":1e0}', "is not an integer"),
    (b'{"nodes": [],"version":1}', "not in canonical form"),
    (b'{"version":1,"nodes":[]}', "not in canonical form"),
    (b'{"nodes":[],"version":1}\n', "not in canonical form"),
    (b'{"nodes":[],"version":01}', "not valid UTF-8 JSON"),
    (b'{"nodes":[],"version":-0}', "unsupported version 0"),
]


@pytest.mark.parametrize("data,message", RAW_TREE_CASES)
def test_raw_tree_bytes(data: bytes, message: str) -> None:
    with pytest.raises(IntegrityError, match=message):
        Tree.decode(data)


NODE_FIELDS = "name kind mode uid gid mtime_ns ctime_ns size device inode nlink".split()


@pytest.mark.parametrize("field", NODE_FIELDS)
def test_the_fields_of_a_node_are_required(field: str) -> None:
    data = damaged(TREE, lambda t: t["nodes"][0].pop(field))
    with pytest.raises(IntegrityError, match=f"tree node 0: missing field '{field}'"):
        Tree.decode(data)


def node0(key: str, value: object) -> Mutation:
    return lambda t: t["nodes"][0].__setitem__(key, value)


TREE_CASES: list[tuple[Mutation, str]] = [
    (lambda t: t.pop("version"), "tree: missing field 'version'"),
    (lambda t: t.pop("nodes"), "tree: missing field 'nodes'"),
    (lambda t: t.update(version=2), "unsupported version 2"),
    (lambda t: t.update(version=True), "field 'version' must be a JSON integer"),
    (lambda t: t.update(comment="x"), "tree: unknown field(s) 'comment'"),
    (lambda t: t.update(nodes={}), "field 'nodes' must be a JSON list"),
    (lambda t: t["nodes"].__setitem__(1, "b"), "tree node 1: not a JSON object"),
    (node0("atime_ns", 1), "tree node 0: unknown field(s) 'atime_ns'"),
    (node0("mode", "420"), "field 'mode' must be a JSON integer"),
    (node0("size", False), "field 'size' must be a JSON integer"),
    (node0("size", -1), "tree node 0: size must not be negative"),
    (node0("user", 0), "field 'user' must be a JSON string"),
    (node0("group", None), "field 'group' must be a JSON string"),
    (node0("kind", "door"), "tree node 0: kind 'door'"),
    (node0("name", "x/y"), "contains '/' or NUL"),
    (node0("name_b64", "YQ=="), "both 'name' and 'name_b64' are present"),
    (lambda t: t["nodes"][0].pop("name") and node0("name_b64", "!!!!")(t), "not valid base64"),
    (lambda t: t["nodes"][0].pop("name") and node0("name_b64", "Af8")(t), "not valid base64"),
    (lambda t: t["nodes"][0].pop("name") and node0("name_b64", "Af9=")(t), "not canonical"),
    (lambda t: t["nodes"][0].pop("name") and node0("name_b64", "YQ==")(t), "holds valid UTF-8"),
    (lambda t: t["nodes"].reverse(), "tree node 1: unsorted name b'b'"),
    (lambda t: t["nodes"][1].update(name="a"), "tree node 1: duplicate name b'a'"),
    (node0("content", HEX), "field 'content' must be a JSON list"),
    (node0("content", [1]), "field 'content' must be a list of hex strings"),
    (node0("content", [HEX[:-2]]), "field 'content'[0]: an id must be 64 lowercase hex"),
    (node0("content", [HEX.upper()]), "an id must be 64 lowercase hex"),
    (node0("content", []), "not in canonical form"),  # an empty list is written as no key
    (node0("subtree", HEX), "subtree is required for a dir and not allowed"),
    (lambda t: t["nodes"][1].pop("subtree"), "tree node 1: subtree is required for a dir"),
    (lambda t: t["nodes"][1].update(subtree=HEX + "00"), "an id must be 64 lowercase hex"),
    (lambda t: t["nodes"][2].pop("symlink_target"), "symlink_target is required"),
    (node0("symlink_target_b64", "/w=="), "symlink_target is required for a symlink"),
    (node0("rdev", 0), "not in canonical form"),
    (node0("rdev", 7), "rdev must be 0 for a file"),
    (node0("xattrs", {}), "field 'xattrs' must be a JSON list"),
    (node0("xattrs", [1]), "tree node 0: xattr 0: not a JSON object"),
    (node0("xattrs", [{"name": "user.x"}]), "xattr 0: missing field 'value_b64'"),
    (node0("xattrs", [{"value_b64": ""}]), "xattr 0: missing field 'name' (or 'name_b64')"),
    (node0("xattrs", [{"name": "a", "value_b64": "", "x": 1}]), "unknown field(s) 'x'"),
    (node0("xattrs", [{"name": "a", "value": ""}]), "xattr 0: missing field 'value_b64'"),
    (
        node0("xattrs", [{"name": "b", "value_b64": ""}, {"name": "a", "value_b64": ""}]),
        "not in canonical form",
    ),
    (node0("xattrs", [{"name": "a", "value_b64": ""}] * 2), "duplicate xattr name b'a'"),
    (node0("xattrs", []), "not in canonical form"),
    (node0("name", "\ud800"), "field 'name' holds a lone surrogate"),
    (node0("user", "\udcff"), "field 'user' holds a lone surrogate"),
    (node0("xattrs", [{"name": "\udc80", "value_b64": ""}]), "xattr 0: field 'name' holds a"),
]


@pytest.mark.parametrize("mutate,message", TREE_CASES, ids=[m for _, m in TREE_CASES])
def test_malformed_trees(mutate: Mutation, message: str) -> None:
    data = damaged(TREE, mutate)
    with pytest.raises(IntegrityError, match=re.escape(message)):
        Tree.decode(data)


SNAPSHOT_FIELDS = "version time hostname username uid gid paths tree program_version".split()


@pytest.mark.parametrize("field", SNAPSHOT_FIELDS)
def test_the_fields_of_a_snapshot_are_required(field: str) -> None:
    data = damaged(SNAPSHOT, lambda s: s.pop(field))
    with pytest.raises(IntegrityError, match=f"snapshot: missing field '{field}'"):
        Snapshot.decode(data)


@pytest.mark.parametrize("field", [f.name for f in fields(Summary)])
def test_the_fields_of_a_summary_are_required(field: str) -> None:
    data = damaged(SNAPSHOT, lambda s: s["summary"].pop(field))
    with pytest.raises(IntegrityError, match=f"snapshot summary: missing field '{field}'"):
        Snapshot.decode(data)


def top(key: str, value: object) -> Mutation:
    return lambda s: s.__setitem__(key, value)


def in_summary(key: str, value: object) -> Mutation:
    return lambda s: s["summary"].__setitem__(key, value)


SNAPSHOT_CASES: list[tuple[Mutation, str]] = [
    (top("version", 2), "snapshot: unsupported version 2"),
    (top("id", HEX), "snapshot: unknown field(s) 'id'"),
    (top("time", "2026-11-21T22:03:14+01:00"), "field 'time': not an RFC 3339 time"),
    (top("time", "2026-11-21T22:03:14.123456Z"), "not an RFC 3339 time"),
    (top("time", "2026-11-21T22:03:14.123456"), "not an RFC 3339 time"),
    (top("time", "2026-11-21 22:03:14.123456+01:00"), "not an RFC 3339 time"),
    (top("time", "2026-11-21T22:03:14.123+01:00"), "not an RFC 3339 time"),
    (top("time", "2026-02-30T22:03:14.123456+01:00"), "field 'time': not a valid date"),
    (top("time", "2026-11-21T22:03:14.123456+24:00"), "field 'time': not a valid date"),
    (top("time", "2026-11-21T22:03:14.123456-00:00"), "not in canonical form"),
    (top("time", 1763762594), "field 'time' must be a JSON string"),
    (top("tree", HEX.upper()), "field 'tree': an id must be 64 lowercase hex"),
    (top("tree", HEX[2:]), "field 'tree': an id must be 64 lowercase hex"),
    (top("parent", "xyz"), "snapshot: parent must be a snapshot id"),
    (top("parent", None), "field 'parent' must be a JSON string"),
    (top("paths", "/srv"), "field 'paths' must be a JSON list"),
    (top("paths", [1]), "field 'paths' must be a list of strings"),
    (top("paths", ["srv"]), "snapshot: path 'srv' is not absolute"),
    (top("tags", ["b", "a"]), "not in canonical form"),
    (top("tags", ["a", "a"]), "not in canonical form"),
    (top("tags", []), "not in canonical form"),
    (top("tags", [""]), "a tag must not be empty"),
    (top("excludes", "*.o"), "field 'excludes' must be a JSON list"),
    (top("excludes", []), "not in canonical form"),
    (top("uid", -1), "snapshot: uid must not be negative"),
    (top("hostname", ["h"]), "field 'hostname' must be a JSON string"),
    (top("summary", None), "field 'summary' must be a JSON object"),
    (in_summary("files_new", -1), "snapshot summary: files_new must not be negative"),
    (in_summary("errors", "0"), "snapshot summary: field 'errors' must be a JSON integer"),
    (in_summary("backup_end", "yesterday"), "field 'backup_end': not an RFC 3339 time"),
    (in_summary("duration", 1), "snapshot summary: unknown field(s) 'duration'"),
    (top("time", "\u0662026-11-21T22:03:14.123456+01:00"), "not an RFC 3339 time"),
    (top("paths", ["/\udcff"]), "field 'paths' holds a lone surrogate"),
    (top("tags", ["\ud800"]), "field 'tags' holds a lone surrogate"),
    (top("hostname", "\ud800"), "field 'hostname' holds a lone surrogate"),
]


@pytest.mark.parametrize("mutate,message", SNAPSHOT_CASES, ids=[m for _, m in SNAPSHOT_CASES])
def test_malformed_snapshots(mutate: Mutation, message: str) -> None:
    data = damaged(SNAPSHOT, mutate)
    with pytest.raises(IntegrityError, match=re.escape(message)):
        Snapshot.decode(data)


def test_a_tree_is_not_a_snapshot_and_back() -> None:
    with pytest.raises(IntegrityError, match="snapshot: missing field"):
        Snapshot.decode(TREE.encode())
    with pytest.raises(IntegrityError, match="tree: missing field 'nodes'"):
        Tree.decode(SNAPSHOT.encode())


def test_the_undamaged_records_decode() -> None:
    assert Tree.decode(TREE.encode()) == TREE
    assert Snapshot.decode(SNAPSHOT.encode()) == SNAPSHOT


def test_authenticated_decode_checks_only_the_version() -> None:
    from snapstore.model import Tree

    spaced = b'{"nodes": [], "version": 1}'
    with pytest.raises(IntegrityError, match="canonical"):
        Tree.decode(spaced)
    assert Tree.decode(spaced, authenticated=True) == Tree()
    with pytest.raises(IntegrityError):
        Tree.decode(b'{"nodes":[],"version":2}', authenticated=True)
