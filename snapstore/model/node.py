"""`Node`: one directory entry as recorded in a tree, and its JSON object form.

Only what restoring and change detection need is kept; atime is left out because reading a file
changes it, and a tree must not change when nothing in the directory did. Fields that have one
meaning for some kinds only (size, rdev, content, subtree, symlink target) must hold their neutral
value for the other kinds, so that identical directories always encode to identical trees: a
directory's st_size, for example, differs between file systems and would break deduplication.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from json.encoder import encode_basestring as _json_string  # the one dumps uses
from typing import Any

from snapstore.errors import IntegrityError
from snapstore.model.json_canonical import (
    ID_SIZE,
    FieldReader,
    check_text,
    encode_b64,
    put_raw_bytes,
)

FILE = "file"
DIR = "dir"
SYMLINK = "symlink"
FIFO = "fifo"
CHARDEV = "chardev"
BLOCKDEV = "blockdev"
SOCKET = "socket"
KINDS = frozenset({FILE, DIR, SYMLINK, FIFO, CHARDEV, BLOCKDEV, SOCKET})
DEVICE_KINDS = frozenset({CHARDEV, BLOCKDEV})

MODE_BITS = 0o7777  # permissions plus setuid, setgid, sticky: st_mode & 0o7777


def check_int(value: object, what: str, *, signed: bool = False) -> None:
    """ValueError unless `value` is an int (not a bool) and, unless `signed`, not negative."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{what} must be an int")
    if not signed and value < 0:
        raise ValueError(f"{what} must not be negative")


def check_id(value: object, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != ID_SIZE:
        raise ValueError(f"{what} must be {ID_SIZE} bytes")


def check_name(value: object) -> None:
    """A file name as Linux stores it in a directory: one path component."""
    if not isinstance(value, bytes):
        raise ValueError("name must be bytes")
    if value in (b"", b".", b".."):
        raise ValueError(f"name {value!r} is not a directory entry name")
    if b"/" in value or b"\0" in value:
        raise ValueError(f"name {value!r} contains '/' or NUL")


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """One directory entry. Construction validates every field (ValueError) and sorts xattrs."""

    name: bytes
    kind: str
    mode: int
    uid: int
    gid: int
    user: str | None
    group: str | None
    mtime_ns: int  # may be negative: files can predate 1970
    ctime_ns: int
    size: int  # a file's size; 0 for every other kind
    device: int  # st_dev, inode and nlink detect changes; (device, inode) identify hard links
    inode: int
    nlink: int
    rdev: int = 0  # device number, only for chardev and blockdev
    symlink_target: bytes | None = None
    xattrs: tuple[tuple[bytes, bytes], ...] = ()  # (name, value), sorted by name
    content: tuple[bytes, ...] = ()  # chunk ids of a file's data, in order
    subtree: bytes | None = None  # id of a directory's tree

    def __post_init__(self) -> None:
        check_name(self.name)
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is not one of {sorted(KINDS)}")
        self._check_ints()
        for field in ("user", "group"):
            if getattr(self, field) is not None:
                check_text(getattr(self, field), field)
        self._check_kind_fields()
        object.__setattr__(self, "content", tuple(self.content))
        for i, chunk in enumerate(self.content):
            check_id(chunk, f"content[{i}]")
        object.__setattr__(self, "xattrs", _sorted_xattrs(self.xattrs))

    def _check_ints(self) -> None:
        check_int(self.mode, "mode")
        if self.mode > MODE_BITS:
            raise ValueError(f"mode {self.mode:o} has bits outside {MODE_BITS:o}")
        for field in ("uid", "gid", "size", "device", "inode", "nlink", "rdev"):
            check_int(getattr(self, field), field)
        check_int(self.mtime_ns, "mtime_ns", signed=True)
        check_int(self.ctime_ns, "ctime_ns", signed=True)

    def _check_kind_fields(self) -> None:
        if self.size and self.kind != FILE:
            raise ValueError(f"size must be 0 for a {self.kind}")
        if self.rdev and self.kind not in DEVICE_KINDS:
            raise ValueError(f"rdev must be 0 for a {self.kind}")
        if self.content and self.kind != FILE:
            raise ValueError(f"content is only for files, not a {self.kind}")
        if (self.subtree is not None) != (self.kind == DIR):
            raise ValueError("subtree is required for a dir and not allowed for other kinds")
        if self.subtree is not None:
            check_id(self.subtree, "subtree")
        if (self.symlink_target is not None) != (self.kind == SYMLINK):
            raise ValueError("symlink_target is required for a symlink and not allowed otherwise")
        if self.symlink_target is not None:
            if not isinstance(self.symlink_target, bytes) or b"\0" in self.symlink_target:
                raise ValueError("symlink_target must be bytes without NUL")


# The slots' own setters: the frozen dataclass refuses attribute assignment, not these.
_SETTERS = tuple(getattr(Node, field).__set__ for field in Node.__slots__)


def unchecked_node(*values: Any) -> Node:
    """A node from all its field values in declaration order, without validation: for nodes
    whose values are valid by construction (read from the file system by node_reader, where
    validation cost a third of the backup's per-file work). Tests compare it with `Node(...)`."""
    node = object.__new__(Node)
    for setter, value in zip(_SETTERS, values, strict=True):
        setter(node, value)
    return node


def _sorted_xattrs(xattrs: Iterable[Sequence[bytes]]) -> tuple[tuple[bytes, bytes], ...]:
    pairs: list[tuple[bytes, bytes]] = []
    for pair in xattrs:
        if len(pair) != 2 or not all(isinstance(part, bytes) for part in pair):
            raise ValueError("each xattr must be a (name, value) pair of bytes")
        name, value = pair
        if not name or b"\0" in name:  # names are C strings, and "" is no name
            raise ValueError(f"xattr name {name!r} is empty or contains NUL")
        pairs.append((name, value))
    pairs.sort()
    for first, second in pairwise(pairs):
        if first[0] == second[0]:
            raise ValueError(f"duplicate xattr name {first[0]!r}")
    return tuple(pairs)


# Integer fields that every node carries, in the JSON object under the same names.
_ALWAYS_INTS = ("mode", "uid", "gid", "mtime_ns", "ctime_ns", "size", "device", "inode", "nlink")


def node_to_json(node: Node) -> dict[str, Any]:
    """The JSON object of a node; fields at their neutral value are left out (see tree.py)."""
    obj: dict[str, Any] = {"kind": node.kind}
    put_raw_bytes(obj, "name", node.name)
    for field in _ALWAYS_INTS:
        obj[field] = getattr(node, field)
    for field in ("user", "group"):
        if getattr(node, field) is not None:
            obj[field] = getattr(node, field)
    if node.rdev:
        obj["rdev"] = node.rdev
    if node.symlink_target is not None:
        put_raw_bytes(obj, "symlink_target", node.symlink_target)
    if node.xattrs:
        obj["xattrs"] = [_xattr_to_json(name, value) for name, value in node.xattrs]
    if node.content:
        obj["content"] = [chunk.hex() for chunk in node.content]
    if node.subtree is not None:
        obj["subtree"] = node.subtree.hex()
    return obj


def node_json_text(node: Node) -> str:
    """`dumps(node_to_json(node))` as text, written field by field in sorted key order: a tree
    of many small files encodes several times faster so. The property tests hold the two equal."""
    parts = []
    if node.content:
        parts.append('"content":["' + '","'.join([chunk.hex() for chunk in node.content]) + '"]')
    parts.append(f'"ctime_ns":{node.ctime_ns},"device":{node.device},"gid":{node.gid}')
    if node.group is not None:
        parts.append('"group":' + _json_string(node.group))
    parts.append(f'"inode":{node.inode},"kind":"{node.kind}","mode":{node.mode},"mtime_ns":{node.mtime_ns}')
    parts.append(_raw_bytes_text("name", node.name))
    parts.append(f'"nlink":{node.nlink}')
    if node.rdev:
        parts.append(f'"rdev":{node.rdev}')
    parts.append(f'"size":{node.size}')
    if node.subtree is not None:
        parts.append(f'"subtree":"{node.subtree.hex()}"')
    if node.symlink_target is not None:
        parts.append(_raw_bytes_text("symlink_target", node.symlink_target))
    parts.append(f'"uid":{node.uid}')
    if node.user is not None:
        parts.append('"user":' + _json_string(node.user))
    if node.xattrs:
        items = [f'{{{_raw_bytes_text("name", name)},"value_b64":"{encode_b64(value)}"}}' for name, value in node.xattrs]
        parts.append('"xattrs":[' + ",".join(items) + "]")
    return "{" + ",".join(parts) + "}"


def _raw_bytes_text(key: str, value: bytes) -> str:
    """As `put_raw_bytes` then `dumps` write it."""
    try:
        return f'"{key}":' + _json_string(value.decode("utf-8"))
    except UnicodeDecodeError:
        return f'"{key}_b64":"{encode_b64(value)}"'


def _xattr_to_json(name: bytes, value: bytes) -> dict[str, str]:
    obj = {"value_b64": encode_b64(value)}
    put_raw_bytes(obj, "name", name)
    return obj


def node_from_json(obj: Any, what: str) -> Node:
    """Parse one node object; IntegrityError (naming `what` and the field) if malformed."""
    fields = FieldReader(obj, what)
    values: dict[str, Any] = {field: fields.get(field, int) for field in _ALWAYS_INTS}
    values["kind"] = fields.get("kind", str)
    values["name"] = fields.raw_bytes("name")
    values["user"] = fields.get("user", str, None)
    values["group"] = fields.get("group", str, None)
    values["rdev"] = fields.get("rdev", int, 0)
    values["symlink_target"] = fields.raw_bytes("symlink_target", None)
    values["xattrs"] = tuple(
        _xattr_from_json(item, f"{what}: xattr {i}")
        for i, item in enumerate(fields.get("xattrs", list, []))
    )
    values["content"] = fields.ids("content")
    values["subtree"] = fields.id("subtree", None)
    fields.finish()
    try:
        return Node(**values)
    except ValueError as exc:
        raise IntegrityError(f"{what}: {exc}") from None


_NEUTRAL: dict[str, Any] = {
    "user": None, "group": None, "rdev": 0, "symlink_target": None, "xattrs": (), "content": (),
    "subtree": None,
}  # fmt: skip


def _raw(obj: dict[str, Any], key: str) -> bytes | None:
    text = obj.get(key)
    if text is not None:
        return bytes(text, "utf-8")
    b64 = obj.get(key + "_b64")
    return None if b64 is None else base64.b64decode(b64)


# The slots' setters by name: what `object.__setattr__` ends up calling, without looking the
# name up each time (twice as fast over the 10,000 nodes of an unchanged re-backup of a source tree).
_SETTER_OF: dict[str, Any] = dict(zip(Node.__slots__, _SETTERS, strict=True))
_SET_INTS = tuple((field, _SETTER_OF[field]) for field in _ALWAYS_INTS)
_SET_NEUTRAL = tuple((_SETTER_OF[field], neutral) for field, neutral in _NEUTRAL.items())
_SET_OPTIONAL = tuple((field, _SETTER_OF[field]) for field in ("user", "group", "rdev"))


def node_from_trusted_json(obj: dict[str, Any]) -> Node:
    """A node from an object that `node_to_json` made from a valid Node, without validation.

    For trees whose bytes were authenticated by their keyed id only: the writer validated the
    node, and these exact bytes are its encoding. Checking again costs more than the rest of an
    unchanged re-backup of many small files."""
    node = object.__new__(Node)
    put = _SETTER_OF
    for field, setter in _SET_INTS:
        setter(node, obj[field])
    put["kind"](node, obj["kind"])
    put["name"](node, _raw(obj, "name"))
    for setter, neutral in _SET_NEUTRAL:
        setter(node, neutral)
    for field, setter in _SET_OPTIONAL:
        if field in obj:
            setter(node, obj[field])
    if "symlink_target" in obj or "symlink_target_b64" in obj:
        put["symlink_target"](node, _raw(obj, "symlink_target"))
    if "xattrs" in obj:
        pairs = ((_raw(x, "name"), base64.b64decode(x["value_b64"])) for x in obj["xattrs"])
        put["xattrs"](node, tuple(pairs))
    if "content" in obj:
        put["content"](node, tuple(map(bytes.fromhex, obj["content"])))
    if "subtree" in obj:
        put["subtree"](node, bytes.fromhex(obj["subtree"]))
    return node


def _xattr_from_json(obj: Any, what: str) -> tuple[bytes, bytes]:
    fields = FieldReader(obj, what)
    pair = (fields.raw_bytes("name"), fields.b64("value_b64"))
    fields.finish()
    return pair
