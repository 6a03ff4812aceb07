"""Property tests: every valid record survives encode/decode unchanged, encodings are canonical
(decode then encode gives the same bytes), and tree encodings do not depend on input order."""

from __future__ import annotations

import dataclasses

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snapstore.errors import IntegrityError
from snapstore.model.json_canonical import dumps
from snapstore.model.tree import _tree_to_json
from snapstore.model import (
    BLOCKDEV,
    CHARDEV,
    DIR,
    FILE,
    KINDS,
    SYMLINK,
    Node,
    Snapshot,
    Summary,
    Tree,
    tree_references,
)

UINT64 = st.integers(0, 2**64 - 1)
# Times before 1970 are negative; beyond the 64-bit range to show nothing truncates.
TIME_NS = st.integers(-(2**70), 2**70)
IDS = st.binary(min_size=32, max_size=32)


def _valid_name(name: bytes) -> bool:
    return name not in (b"", b".", b"..") and b"/" not in name and b"\0" not in name


# Half text (stored as "name"), half arbitrary bytes (mostly not UTF-8, stored as "name_b64").
NAMES = st.one_of(
    st.text(min_size=1, max_size=12).map(lambda t: t.encode("utf-8")),
    st.binary(min_size=1, max_size=12),
).filter(_valid_name)
SYMLINK_TARGETS = st.one_of(
    st.text(max_size=20).map(lambda t: t.encode("utf-8")), st.binary(max_size=20)
).filter(lambda target: b"\0" not in target)
XATTR_NAMES = st.one_of(st.text(min_size=1, max_size=8).map(str.encode), st.binary(min_size=1))
XATTRS = st.lists(
    st.tuples(XATTR_NAMES.filter(lambda n: b"\0" not in n), st.binary(max_size=16)),
    max_size=3,
    unique_by=lambda pair: pair[0],
)


@st.composite
def nodes(draw: st.DrawFn, name: st.SearchStrategy[bytes] = NAMES) -> Node:
    kind = draw(st.sampled_from(sorted(KINDS)))
    return Node(
        name=draw(name),
        kind=kind,
        mode=draw(st.integers(0, 0o7777)),
        uid=draw(UINT64),
        gid=draw(UINT64),
        user=draw(st.none() | st.text(max_size=8)),
        group=draw(st.none() | st.text(max_size=8)),
        mtime_ns=draw(TIME_NS),
        ctime_ns=draw(TIME_NS),
        size=draw(UINT64) if kind == FILE else 0,
        device=draw(UINT64),
        inode=draw(UINT64),
        nlink=draw(UINT64),
        rdev=draw(UINT64) if kind in (CHARDEV, BLOCKDEV) else 0,
        symlink_target=draw(SYMLINK_TARGETS) if kind == SYMLINK else None,
        xattrs=tuple(draw(XATTRS)),
        content=tuple(draw(st.lists(IDS, max_size=3))) if kind == FILE else (),
        subtree=draw(IDS) if kind == DIR else None,
    )


TREES = st.lists(nodes(), max_size=6, unique_by=lambda node: node.name).map(Tree)
ZONES = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
TIMES = st.datetimes(timezones=ZONES)
TEXT = st.text(max_size=10)


@st.composite
def summaries(draw: st.DrawFn) -> Summary:
    counts = {name: draw(UINT64) for name in SUMMARY_COUNTS}
    return Summary(**counts, backup_start=draw(TIMES), backup_end=draw(TIMES))


SUMMARY_COUNTS = (
    "files_new files_changed files_unmodified dirs_new dirs_changed dirs_unmodified data_blobs "
    "tree_blobs data_added data_added_packed total_files_processed total_bytes_processed errors"
).split()

SNAPSHOTS = st.builds(
    Snapshot,
    time=TIMES,
    hostname=TEXT,
    username=TEXT,
    uid=UINT64,
    gid=UINT64,
    paths=st.lists(TEXT.map(lambda t: "/" + t), max_size=3).map(tuple),
    tree=IDS,
    program_version=TEXT,
    tags=st.lists(st.text(min_size=1, max_size=6), max_size=4).map(tuple),
    parent=st.none() | IDS.map(bytes.hex),
    excludes=st.lists(TEXT, max_size=3).map(tuple),
    summary=st.none() | summaries(),
    original=st.none() | IDS.map(bytes.hex),
)


@given(TREES)
def test_tree_round_trip(tree: Tree) -> None:
    data = tree.encode()
    decoded = Tree.decode(data)
    assert decoded == tree
    assert list(decoded) == list(tree)
    assert decoded.encode() == data


@given(TREES)
@settings(max_examples=300)
def test_fast_tree_encoding_is_the_canonical_json(tree: Tree) -> None:
    """`Tree.encode` writes the JSON by hand for speed; it must be byte for byte what the
    canonical encoder makes of the same objects (the decoder checks against the latter)."""
    assert tree.encode() == dumps(_tree_to_json(tree))


@given(TREES)
def test_trusted_decode_gives_what_validated_decode_gives(tree: Tree) -> None:
    """The unchecked path for authenticated trees must build exactly the nodes the checked
    path builds: same values and same types (bytes, not str or bytearray; tuples)."""
    data = tree.encode()
    trusted, checked = Tree.decode(data, authenticated=True), Tree.decode(data)
    assert trusted == checked == tree
    assert trusted.get(tree[0].name) == tree[0] if len(tree) else True
    for mine, theirs in zip(trusted, checked):
        for field in dataclasses.fields(Node):
            value, expected = getattr(mine, field.name), getattr(theirs, field.name)
            assert type(value) is type(expected), field.name
            assert value == expected, field.name
    assert trusted.encode() == data


@given(TREES)
def test_tree_references_are_the_chunks_and_subtrees_of_the_decoded_tree(tree: Tree) -> None:
    """What garbage collection marks without decoding nodes: every chunk id (in order, repeats
    kept) and every folder's subtree, and nothing else, whatever names or xattrs hold."""
    content, subtrees = tree_references(tree.encode())
    assert content == [chunk for node in tree for chunk in node.content]
    assert subtrees == [node.subtree for node in tree if node.kind == DIR]


def test_tree_references_refuse_a_newer_format() -> None:
    with pytest.raises(IntegrityError, match="unsupported version 2"):
        tree_references(b'{"nodes":[],"version":2}')


@given(st.lists(nodes(), max_size=6, unique_by=lambda node: node.name), st.randoms())
def test_tree_encoding_does_not_depend_on_input_order(listing: list[Node], rnd: object) -> None:
    shuffled = list(listing)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert Tree(shuffled).encode() == Tree(listing).encode()
    assert Tree(shuffled) == Tree(listing)


@given(SNAPSHOTS)
def test_snapshot_round_trip(snapshot: Snapshot) -> None:
    data = snapshot.encode()
    decoded = Snapshot.decode(data)
    assert decoded == snapshot
    assert decoded.time.utcoffset() == snapshot.time.utcoffset()
    assert decoded.encode() == data


@given(TREES, st.data())
def test_a_damaged_tree_fails_cleanly_or_is_canonical(tree: Tree, data: st.DataObject) -> None:
    """Flip one byte: decode raises IntegrityError, or (a digit changed, say) it decodes to a
    record whose canonical encoding is exactly the damaged bytes: one encoding per value."""
    encoded = bytearray(tree.encode())
    index = data.draw(st.integers(0, len(encoded) - 1))
    encoded[index] = data.draw(st.integers(0, 255).filter(lambda b: b != encoded[index]))
    try:
        decoded = Tree.decode(bytes(encoded))
    except IntegrityError:
        return
    assert decoded.encode() == bytes(encoded)


# Any JSON value, strings included lone surrogates (which JSON escapes can carry, UTF-8 cannot).
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(st.characters(exclude_categories=()), max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)


def _damaged(whole: dict[str, Any], obj: dict[str, Any], data: st.DataObject) -> bytes:
    """Set one key of `obj` (part of `whole`) to any JSON value; serialise with escapes."""
    key = data.draw(st.sampled_from([*sorted(obj), "unknown"]))
    obj[key] = data.draw(JSON_VALUES)
    return json.dumps(whole, sort_keys=True, separators=(",", ":")).encode()


@settings(max_examples=50)
@given(TREES.filter(len), st.data())
def test_any_json_in_any_node_field_fails_cleanly(tree: Tree, data: st.DataObject) -> None:
    whole = json.loads(tree.encode())
    try:
        Tree.decode(_damaged(whole, whole["nodes"][0], data))
    except IntegrityError:
        pass


@settings(max_examples=50)
@given(SNAPSHOTS, st.data())
def test_any_json_in_any_snapshot_field_fails_cleanly(snap: Snapshot, data: st.DataObject) -> None:
    whole = json.loads(snap.encode())
    try:
        Snapshot.decode(_damaged(whole, whole, data))
    except IntegrityError:
        pass


@given(st.binary(max_size=64))
def test_arbitrary_bytes_never_raise_anything_but_integrity_error(data: bytes) -> None:
    for decode in (Tree.decode, Snapshot.decode):
        try:
            decode(data)
        except IntegrityError:
            pass


def test_empty_tree() -> None:
    assert Tree().encode() == b'{"nodes":[],"version":1}'
    assert Tree.decode(b'{"nodes":[],"version":1}') == Tree()
    assert len(Tree()) == 0


def test_time_keeps_its_offset_and_decodes_to_the_same_instant() -> None:
    moment = datetime(2026, 11, 21, 22, 3, 14, 123456, tzinfo=timezone(timedelta(hours=1)))
    snapshot = Snapshot(
        time=moment,
        hostname="h",
        username="u",
        uid=0,
        gid=0,
        paths=("/",),
        tree=bytes(32),
        program_version="1",
    )
    assert b'"time":"2026-11-21T22:03:14.123456+01:00"' in snapshot.encode()
    assert Snapshot.decode(snapshot.encode()).time == moment.astimezone(timezone.utc)
