"""The verify phase of a drill: every entry of the snapshot is compared with what the restore
left in the scratch folder. A file's content is cut where its stored chunks end and each piece
hashed with its keyed hash: the ids must be the snapshot's chunk ids. Every
mismatch is reported (not only the first), and files that hold databases are noted for the
database checks."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from snapstore.index import IndexEntry
from snapstore.model import Node, Tree
from snapstore.model.node import BLOCKDEV, CHARDEV, DIR, FIFO, FILE, SOCKET, SYMLINK
from snapstore.restorer.content_check import content_matches

SQLITE_MAGIC = b"SQLite format 3\0"
POSTGRESQL_DUMPS = "/db/postgresql/"  # the layout of `snap backup --db postgresql://...`
POSTGRESQL_SUFFIXES = (".sql", ".dump")

_KIND_TESTS: dict[str, Callable[[int], bool]] = {
    FILE: stat.S_ISREG, DIR: stat.S_ISDIR, SYMLINK: stat.S_ISLNK, FIFO: stat.S_ISFIFO,
    CHARDEV: stat.S_ISCHR, BLOCKDEV: stat.S_ISBLK,
}  # fmt: skip


class VerifySource(Protocol):
    def load_tree(self, tree_id: bytes) -> Tree: ...

    def lookup(self, blob_id: bytes) -> IndexEntry | None: ...

    def blob_id(self, data: bytes | memoryview) -> bytes: ...


@dataclass
class VerifyResult:
    files_verified: int = 0
    entries_checked: int = 0
    sqlite_files: list[str] = field(default_factory=list)  # paths inside the snapshot
    postgresql_dumps: list[str] = field(default_factory=list)


class Verifier:
    def __init__(self, repo: VerifySource, target: bytes, problem: Callable[[str], None]) -> None:
        self.repo = repo
        self.target = target
        self.problem = problem
        self.result = VerifyResult()
        self._as_root = os.geteuid() == 0

    def run(self, root_tree: bytes) -> VerifyResult:
        self._walk(root_tree, b"")
        return self.result

    def _walk(self, tree_id: bytes, inner: bytes) -> None:
        for node in self.repo.load_tree(tree_id):
            path_inside = inner + b"/" + node.name
            self._check(node, path_inside)
            if node.kind == DIR:
                assert node.subtree is not None
                self._walk(node.subtree, path_inside)

    def _check(self, node: Node, path_inside: bytes) -> None:
        shown = os.fsdecode(path_inside)
        path = self.target + path_inside
        if node.kind == SOCKET or (node.kind in (CHARDEV, BLOCKDEV) and not self._as_root):
            return  # not restored, by design (the restore warned)
        try:
            st = os.lstat(path)
        except OSError as error:
            self.problem(f"{shown}: not restored ({error.strerror})")
            return
        self.result.entries_checked += 1
        if not _KIND_TESTS[node.kind](st.st_mode):
            self.problem(f"{shown}: restored as another kind of entry than a {node.kind}")
            return
        for difference in self._metadata_differences(node, st, path):
            self.problem(f"{shown}: {difference}")
        if node.kind == FILE:
            self._verify_content(node, path, shown)

    def _metadata_differences(self, node: Node, st: os.stat_result, path: bytes) -> list[str]:
        found = []
        if node.kind == SYMLINK:
            if os.readlink(path) != node.symlink_target:
                found.append("symbolic link target differs")
        elif stat.S_IMODE(st.st_mode) != node.mode:
            found.append(f"mode {stat.S_IMODE(st.st_mode):o}, snapshot has {node.mode:o}")
        if node.kind == FILE and st.st_size != node.size:
            found.append(f"size {st.st_size}, snapshot has {node.size}")
        if st.st_mtime_ns != node.mtime_ns:
            found.append("modification time differs from the snapshot")
        if self._as_root and (st.st_uid, st.st_gid) != (node.uid, node.gid):
            found.append(f"owner {st.st_uid}:{st.st_gid}, snapshot has {node.uid}:{node.gid}")
        found += self._xattr_differences(node, path)
        return found

    def _xattr_differences(self, node: Node, path: bytes) -> list[str]:
        """Extended attributes the restore could set: `user.*`, and all of them as root (the
        restore skips the others, and any on a file system without them)."""
        found = []
        for name, value in node.xattrs:
            if not (self._as_root or name.startswith(b"user.")):
                continue
            try:
                restored = os.getxattr(path, name, follow_symlinks=False)
            except OSError as error:
                if error.errno in (errno.ENOTSUP, errno.EPERM):
                    continue
                restored = None
            if restored != value:
                found.append(f"extended attribute {os.fsdecode(name)} differs from the snapshot")
        return found

    def _verify_content(self, node: Node, path: bytes, shown: str) -> None:
        heads: list[bytes] = []
        try:
            same = content_matches(
                self.repo,
                path,
                node.content,
                lambda piece: heads.append(piece[: len(SQLITE_MAGIC)]),
            )
        except OSError as error:
            self.problem(f"{shown}: cannot be read back ({error.strerror})")
            return
        first = heads[0] if heads else b""
        if not same:
            self.problem(f"{shown}: content differs from the snapshot's chunk ids")
            return
        self.result.files_verified += 1
        if first == SQLITE_MAGIC:
            self.result.sqlite_files.append(shown)
        elif shown.startswith(POSTGRESQL_DUMPS) and shown.endswith(POSTGRESQL_SUFFIXES):
            self.result.postgresql_dumps.append(shown)
