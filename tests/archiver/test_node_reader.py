"""`node_from_stat` skips `Node`'s validation for speed: every node it builds from a real file
system must be exactly the node the validating constructor accepts and builds."""

from __future__ import annotations

import dataclasses
import os
import socket
from pathlib import Path

import pytest

from snapstore.archiver import node_reader
from snapstore.archiver.node_reader import node_from_stat
from snapstore.model import Node

ID = bytes(range(32))


def _validated(node: Node) -> Node:
    return Node(**{field.name: getattr(node, field.name) for field in dataclasses.fields(Node)})


def _entries(tmp_path: Path) -> list[tuple[bytes, dict[str, object]]]:
    (tmp_path / "file").write_bytes(b"data")
    (tmp_path / "empty").touch()
    os.mkdir(tmp_path / "dir")
    os.symlink("file", tmp_path / "link")
    os.symlink(b"\xff-not-utf8-target", os.fsencode(tmp_path) + b"/badlink")
    os.mkfifo(tmp_path / "fifo")
    Path(os.fsdecode(os.fsencode(tmp_path) + b"/name-\xfe\xff")).write_bytes(b"x")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    sock.close()
    try:
        os.setxattr(tmp_path / "file", "user.b", b"2")
        os.setxattr(tmp_path / "file", "user.a", b"\x00\xff")
    except OSError:
        pass  # a file system without user xattrs still checks the rest
    extra = {b"file": {"content": (ID,)}, b"dir": {"subtree": ID}}
    return [(name, extra.get(name, {})) for name in os.listdir(os.fsencode(tmp_path))]


def test_nodes_from_stat_are_what_the_validating_constructor_builds(tmp_path: Path) -> None:
    entries = _entries(tmp_path)
    assert len(entries) == 8
    for name, extra in entries:
        path = os.fsencode(tmp_path) + b"/" + name
        node = node_from_stat(name, path, os.lstat(path), **extra)  # type: ignore[arg-type]
        checked = _validated(node)
        assert checked == node
        for field in dataclasses.fields(Node):
            assert type(getattr(checked, field.name)) is type(getattr(node, field.name)), field.name


def test_a_user_name_that_is_not_utf8_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    class Entry:
        pw_name = "caf\udce9"  # how Python decodes the bytes b"caf\xe9"

    node_reader.user_name.cache_clear()
    monkeypatch.setattr(node_reader.pwd, "getpwuid", lambda uid: Entry())
    try:
        assert node_reader.user_name(4242) is None
    finally:
        node_reader.user_name.cache_clear()
