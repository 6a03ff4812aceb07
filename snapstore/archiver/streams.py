"""Streams stored as files of a snapshot: standard input, a command's output, database dumps.

A `StreamSource` (the implementations live in `snapstore.sources`) says where its file goes in
the snapshot and opens a reader; the archiver chunks what the reader yields through the same
pipeline as files, and places the file below *virtual folders* (folders that exist only in the
snapshot, such as `/db/postgresql/localhost`). A source whose producer fails raises
`StreamError` when its reader is closed, after the data it produced has gone to the pipeline.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from snapstore.archiver.chunk_pipeline import ChunkPipeline
from snapstore.archiver.node_reader import group_name, user_name
from snapstore.archiver.options import Counters
from snapstore.errors import InputError
from snapstore.model import Node, Tree
from snapstore.model.node import DIR, FILE, check_name

VIRTUAL_FOLDER_MODE = 0o700


class StreamReader(Protocol):
    def readinto(self, buffer: memoryview) -> int: ...


class StreamSource(Protocol):
    @property
    def snapshot_path(self) -> str:
        """Absolute path of the file in the snapshot, such as `/db/sqlite/srv/app.db`."""
        ...

    @property
    def tags(self) -> tuple[str, ...]:
        """Tags the snapshot gets for this source (`db`, `postgresql`, ...)."""
        ...

    @property
    def mode(self) -> int: ...

    @property
    def uid(self) -> int: ...

    @property
    def gid(self) -> int: ...

    def open(self) -> AbstractContextManager[StreamReader]:
        """The reader; leaving the context raises StreamError if the producer failed."""
        ...


def path_parts(snapshot_path: str) -> tuple[bytes, ...]:
    """The components of a stream's snapshot path; InputError unless it names a file."""
    parts = tuple(os.fsencode(part) for part in snapshot_path.split("/") if part)
    try:
        if not parts:
            raise ValueError("no file name")
        for part in parts:
            check_name(part)
    except ValueError:
        raise InputError(f"{snapshot_path!r} is not a valid path for a stream in a snapshot") from None
    return parts


def check_layout(sources: Iterable[StreamSource], top_names: Iterable[bytes]) -> None:
    """InputError if two streams share a path, a stream's path runs through another's file, or
    a stream's first component is also a top-level entry of the paths backed up."""
    files: set[tuple[bytes, ...]] = set()
    folders: set[tuple[bytes, ...]] = set()
    for source in sources:
        parts = path_parts(source.snapshot_path)
        if parts in files or parts in folders or any(parts[:i] in files for i in range(1, len(parts))):
            raise InputError(f"two streams would be stored at {source.snapshot_path}")
        files.add(parts)
        folders.update(parts[:i] for i in range(1, len(parts)))
    taken = {parts[0] for parts in files}
    for name in top_names:
        if name in taken:
            raise InputError(f"/{os.fsdecode(name)} is both a path backed up and where a "
                             "stream goes in the snapshot")  # fmt: skip


@dataclass
class _Folder:
    files: dict[bytes, Node] = field(default_factory=dict)
    folders: dict[bytes, _Folder] = field(default_factory=dict)


class StreamStorer:
    """Stores each stream as one file, then the virtual folders above them (bottom-up)."""

    def __init__(
        self,
        pipeline: ChunkPipeline,
        counters: Counters,
        store_tree: Callable[[Tree], bytes],
        parent_root: Tree | None,
        load_tree: Callable[[bytes], Tree],
        on_progress: Callable[[Counters, str], None] | None = None,
    ) -> None:
        self._on_progress = on_progress
        self._pipeline = pipeline
        self._counters = counters
        self._store_tree = store_tree
        self._parent_root = parent_root
        self._load_tree = load_tree
        self._root = _Folder()

    def store(self, source: StreamSource, when: datetime) -> None:
        """Read the stream to its end and record its file (StreamError if its producer failed)."""
        parts = path_parts(source.snapshot_path)
        with source.open() as reader:
            content, size = self._pipeline.read_stream(self._counting(reader, source.snapshot_path))
        ids = self._pipeline.wait(content)
        stamp = _ns(when)
        node = Node(
            name=parts[-1], kind=FILE, mode=source.mode, uid=source.uid, gid=source.gid,
            user=user_name(source.uid), group=group_name(source.gid), mtime_ns=stamp,
            ctime_ns=stamp, size=size, device=0, inode=0, nlink=1, content=ids,
        )  # fmt: skip
        old = self._parent_node(parts)
        c = self._counters
        if old is None:
            c.files_new += 1
        elif old.content == ids:
            c.files_unmodified += 1
        else:
            c.files_changed += 1
        c.total_files_processed += 1
        folder = self._root
        for part in parts[:-1]:
            folder = folder.folders.setdefault(part, _Folder())
        folder.files[parts[-1]] = node

    def _counting(self, reader: StreamReader, path: str) -> Callable[[memoryview], int]:
        """`reader.readinto`, counting each block as processed as it is read, so that progress
        moves during a long stream."""

        def readinto(buffer: memoryview) -> int:
            filled = reader.readinto(buffer)
            self._counters.total_bytes_processed += filled
            if self._on_progress is not None:
                self._on_progress(self._counters, path)
            return filled

        return readinto

    def top_nodes(self, when: datetime) -> list[Node]:
        """The root's entries that hold the streams, their folders' trees stored."""
        return self._folder_nodes(self._root, (), _ns(when))

    def _folder_nodes(self, folder: _Folder, prefix: tuple[bytes, ...], stamp: int) -> list[Node]:
        nodes = list(folder.files.values())
        for name, sub in sorted(folder.folders.items()):
            path = (*prefix, name)
            tree_id = self._store_tree(Tree(self._folder_nodes(sub, path, stamp)))
            old = self._parent_node(path)
            c = self._counters
            if old is None:
                c.dirs_new += 1
            elif old.subtree == tree_id:
                c.dirs_unmodified += 1
            else:
                c.dirs_changed += 1
            uid, gid = os.getuid(), os.getgid()
            nodes.append(Node(
                name=name, kind=DIR, mode=VIRTUAL_FOLDER_MODE, uid=uid, gid=gid,
                user=user_name(uid), group=group_name(gid), mtime_ns=stamp, ctime_ns=stamp,
                size=0, device=0, inode=0, nlink=2, subtree=tree_id,
            ))  # fmt: skip
        return nodes

    def _parent_node(self, parts: tuple[bytes, ...]) -> Node | None:
        """The entry at the same snapshot path in the parent snapshot, if any."""
        tree, node = self._parent_root, None
        for part in parts:
            if tree is None:
                return None
            node = tree.get(part)
            if node is None:
                return None
            tree = self._load_tree(node.subtree) if node.kind == DIR and node.subtree else None
        return node


def _ns(when: datetime) -> int:
    return int(when.timestamp()) * 1_000_000_000 + when.microsecond * 1000
