"""The backup engine: walks the paths, stores what changed since the parent snapshot, builds
the trees bottom-up and records the snapshot. Never prints; reports through `on_progress`."""

from __future__ import annotations

import os
import stat
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from snapstore import __version__
from snapstore.archiver.excludes import ExcludeRules
from snapstore.archiver.chunk_pipeline import DEFAULT_WORKERS, PROCESS_AFTER, ChunkPipeline, FileContent
from snapstore.archiver.node_reader import group_name, node_from_stat, user_name
from snapstore.archiver.options import BackupOptions, BackupResult, Counters
from snapstore.archiver.streams import StreamStorer, check_layout
from snapstore.errors import InputError, StreamError
from snapstore.model import Node, Snapshot, Tree
from snapstore.model.node import DIR, FILE
from snapstore.model.snapshot import Summary
from snapstore.repository.locks import BACKUP
from snapstore.repository.protocols import (
    BlobLoader,
    BlobSaver,
    CachedTreeLoader,
    Locking,
    SnapshotStore,
)

Progress = Callable[[Counters, str], None]


class BackupTarget(BlobSaver, BlobLoader, CachedTreeLoader, SnapshotStore, Locking, Protocol):
    pass


@dataclass
class _Walk:
    """Path components still to descend into; None marks a path to back up whole."""

    children: dict[bytes, _Walk | None] = field(default_factory=dict)


def _plan(paths: tuple[bytes, ...]) -> _Walk:
    root = _Walk()
    for path in paths:
        node = root
        parts = [p for p in path.split(b"/") if p]
        for i, part in enumerate(parts):
            if i == len(parts) - 1:
                node.children[part] = None
            else:
                existing = node.children.get(part, _Walk())
                if existing is None:  # an ancestor is already backed up whole
                    break
                node.children[part] = existing
                node = existing
    return root


def _top_names(paths: tuple[bytes, ...]) -> list[bytes]:
    """Names the paths backed up take in the snapshot's root folder."""
    if b"/" in paths:
        return os.listdir(b"/")
    return [next(p for p in path.split(b"/") if p) for path in paths]


def _unchanged(old: Node | None, st: os.stat_result) -> bool:
    return (
        old is not None
        and old.kind == FILE
        and old.size == st.st_size
        and old.mtime_ns == st.st_mtime_ns
        and old.ctime_ns == st.st_ctime_ns
        and old.inode == st.st_ino
    )


def _same_metadata(old: Node, st: os.stat_result) -> bool:
    """Would `node_from_stat` give `old` again? Extended attributes are not read to know:
    changing one changes ctime, which `_unchanged` already compared."""
    return (
        old.mode == stat.S_IMODE(st.st_mode)
        and old.uid == st.st_uid
        and old.gid == st.st_gid
        and old.device == st.st_dev
        and old.nlink == st.st_nlink
        and old.user == user_name(st.st_uid)
        and old.group == group_name(st.st_gid)
    )


def _same_folder(old: Node, st: os.stat_result) -> bool:
    """Would `node_from_stat` give `old` again for this folder, with the same subtree?"""
    return (
        old.kind == DIR
        and old.mtime_ns == st.st_mtime_ns
        and old.ctime_ns == st.st_ctime_ns
        and old.inode == st.st_ino
        and _same_metadata(old, st)
    )


@dataclass
class _PendingFile:
    """A file whose chunks are still being stored by the pipeline."""

    name: bytes
    path: bytes
    st: os.stat_result
    content: FileContent
    is_new: bool  # no such file in the parent snapshot (counted once stored)


@dataclass
class _PendingDir:
    """A folder walked whose files may still be in the pipeline; its node exists once resolved."""

    name: bytes
    path: bytes
    st: os.stat_result
    old: Node | None
    old_tree: Tree | None
    entries: list[Entry]
    node: Node | None = None


Entry = Node | _PendingFile | _PendingDir
# Folders waiting for their files: resolved oldest first once more than this many wait, so the
# walk runs ahead of the workers instead of waiting for each folder's files in turn.
PENDING_FOLDERS = 64


class Archiver:
    def __init__(
        self,
        repo: BackupTarget,
        options: BackupOptions,
        rules: ExcludeRules,
        parent: tuple[str, Snapshot] | None,
        clock: Callable[[], datetime] = lambda: datetime.now().astimezone(),
        on_progress: Progress | None = None,
        workers: int = DEFAULT_WORKERS,
        process_after: int | None = PROCESS_AFTER,
    ) -> None:
        self.repo = repo
        self.workers = workers
        self.process_after = process_after
        self.options = options
        self.rules = rules
        self.parent = parent
        self.clock = clock
        self.on_progress = on_progress
        self.counters = Counters()
        self.warnings: list[str] = []
        self._root_devices: dict[bytes, int] = {}
        self._pipeline: ChunkPipeline | None = None
        self._pending_dirs: deque[_PendingDir] = deque()

    def run(self) -> BackupResult:
        self._pipeline = ChunkPipeline(
            self.repo, self.counters, dry_run=self.options.dry_run, workers=self.workers,
            process_after=self.process_after,
        )
        try:
            if self.options.dry_run:
                return self._run()
            # The lock keeps a concurrent prune from deleting packs this backup may refer to.
            with self.repo.lock(BACKUP):
                try:
                    return self._run()
                except StreamError:
                    self._keep_uploaded()
                    raise
        finally:
            self._pipeline.close()

    def _keep_uploaded(self) -> None:
        """A failed stream saves no snapshot, but what it and the paths before it already sent
        goes to packs and the index, so that the next attempt deduplicates against it (prune
        collects it if no snapshot ever refers to it)."""
        assert self._pipeline is not None
        self._pipeline.close()
        self.repo.flush()

    def _run(self) -> BackupResult:
        started = self.clock()
        paths = tuple(os.fsencode(os.path.abspath(p)) for p in self.options.paths)
        for path in paths:
            if not os.path.lexists(path):
                raise InputError(f"{os.fsdecode(path)} does not exist")
        parent_root = self.repo.load_cached_tree(self.parent[1].tree) if self.parent else None
        check_layout(self.options.streams, _top_names(paths))
        # Streams first: a failing command or dump stops the backup before the walk.
        streams = self._store_streams(started, parent_root)
        if b"/" in paths:  # the root folder itself: its listing is the snapshot's root tree
            st = os.lstat(b"/")
            entries = self._dir_tree(b"/", st, parent_root, st.st_dev)
            self._drain(0)
            root_tree = Tree(self._resolve(entries))
        elif paths:
            root_tree = self._save_planned(b"", _plan(paths), parent_root)
        else:
            root_tree = Tree()
        if streams:
            root_tree = Tree([*root_tree, *streams])
        root_id = self._store_tree(root_tree)
        if not self.options.dry_run:
            self.repo.flush()
        snapshot = self._snapshot(root_id, started)
        snapshot_id = None if self.options.dry_run else self.repo.save_snapshot(snapshot)
        parent_id = self.parent[0] if self.parent else None
        return BackupResult(snapshot_id, snapshot, self.counters, self.warnings, parent_id)

    def _store_streams(self, started: datetime, parent_root: Tree | None) -> list[Node]:
        if not self.options.streams:
            return []
        assert self._pipeline is not None
        storer = StreamStorer(self._pipeline, self.counters, self._store_tree, parent_root,
                              self.repo.load_cached_tree, self.on_progress)  # fmt: skip
        for source in self.options.streams:
            storer.store(source, started)
        return storer.top_nodes(started)

    def _snapshot(self, root_id: bytes, started: datetime) -> Snapshot:
        c = self.counters
        summary = Summary(
            files_new=c.files_new, files_changed=c.files_changed,
            files_unmodified=c.files_unmodified, dirs_new=c.dirs_new,
            dirs_changed=c.dirs_changed, dirs_unmodified=c.dirs_unmodified,
            data_blobs=c.data_blobs, tree_blobs=c.tree_blobs, data_added=c.data_added,
            data_added_packed=c.data_added_packed, total_files_processed=c.total_files_processed,
            total_bytes_processed=c.total_bytes_processed, errors=c.errors,
            backup_start=started, backup_end=self.clock(),
        )  # fmt: skip
        return Snapshot(
            time=self.options.time or started,
            hostname=self.options.hostname,
            username=self.options.username,
            uid=os.getuid(),
            gid=os.getgid(),
            paths=self.options.recorded_paths(),
            tags=tuple(sorted({*self.options.tags, *(t for s in self.options.streams for t in s.tags)})),
            tree=root_id,
            parent=self.parent[0] if self.parent else None,
            program_version=f"snapstore {__version__}",
            excludes=self.rules.patterns,
            summary=summary,
        )

    def _store_tree(self, tree: Tree) -> bytes:
        if self.options.dry_run:
            return self.repo.blob_id(tree.encode())
        tree_id, added = self.repo.save_tree(tree)
        if added:
            self.counters.tree_blobs += 1
            self.counters.data_added_packed += added
        return tree_id

    def _warn(self, path: bytes, error: OSError) -> None:
        self.counters.errors += 1
        self.warnings.append(f"{os.fsdecode(path)}: {error.strerror or error}")

    def _save_planned(self, prefix: bytes, plan: _Walk, old_tree: Tree | None) -> Tree:
        """A directory on the way to the paths given: only the planned children are stored."""
        nodes: list[Entry] = []
        for name, sub in sorted(plan.children.items()):
            path = prefix + b"/" + name
            old = old_tree.get(name) if old_tree else None
            try:
                # A folder above a path is gone through: record the folder it leads to, also
                # when it is a symlink to one (a symlink node cannot have a subtree).
                st = os.lstat(path) if sub is None else os.stat(path)
            except OSError as error:
                self._warn(path, error)
                continue
            if sub is None:
                self._root_devices[path] = st.st_dev
                node = self._save_entry(name, path, st, old, st.st_dev)
            else:
                old_sub = self.repo.load_cached_tree(old.subtree) if old and old.subtree else None
                subtree_id = self._store_tree(self._save_planned(path, sub, old_sub))
                node = node_from_stat(name, path, st, subtree=subtree_id)
            if node is not None:
                nodes.append(node)
        self._drain(0)
        return Tree(self._resolve(nodes))

    def _resolve(self, entries: list[Entry]) -> list[Node]:
        """Nodes of one folder's entries, waiting for files still in the pipeline (their nodes
        need the chunk ids). Sub-folders are resolved before their parent (FIFO, post-order)."""
        assert self._pipeline is not None
        nodes = []
        for entry in entries:
            if isinstance(entry, _PendingFile):
                try:
                    content = self._pipeline.wait(entry.content)
                except OSError as error:  # a small file read by a worker
                    self._warn(entry.path, error)
                    continue
                if entry.is_new:
                    self.counters.files_new += 1
                else:
                    self.counters.files_changed += 1
                self._count_file(entry.st, entry.path)
                entry = node_from_stat(entry.name, entry.path, entry.st, content=content)
            elif isinstance(entry, _PendingDir):
                assert entry.node is not None, "sub-folder resolved after its parent"
                entry = entry.node
            nodes.append(entry)
        return nodes

    def _same_tree(self, folder: _PendingDir, nodes: list[Node]) -> bytes | None:
        """The parent's tree id when this folder's listing is the same (the common case of an
        unchanged folder: no encoding, hashing or lookup of a new tree). `has_tree` records the
        parent's pack as reused, which keeps a concurrent prune from deleting it."""
        old_tree, old = folder.old_tree, folder.old
        if old_tree is None or old is None or old.subtree is None or len(old_tree) != len(nodes):
            return None
        if self.options.dry_run or not all(a is b or a == b for a, b in zip(old_tree, nodes)):
            return None
        return old.subtree if self.repo.has_tree(old.subtree) else None

    def _drain(self, keep: int) -> None:
        while len(self._pending_dirs) > keep:
            self._resolve_dir(self._pending_dirs.popleft())

    def _resolve_dir(self, folder: _PendingDir) -> None:
        nodes = self._resolve(folder.entries)
        tree_id = self._same_tree(folder, nodes) or self._store_tree(Tree(nodes))
        c, old = self.counters, folder.old
        if old is None:
            c.dirs_new += 1
        elif old.subtree == tree_id:
            c.dirs_unmodified += 1
        else:
            c.dirs_changed += 1
        if old is not None and old.subtree == tree_id and _same_folder(old, folder.st):
            folder.node = old  # nothing of it changed: no xattr read, no node to build and check
        else:
            folder.node = node_from_stat(folder.name, folder.path, folder.st, subtree=tree_id)
        folder.entries = []

    def _save_entry(
        self, name: bytes, path: bytes, st: os.stat_result, old: Node | None, device: int
    ) -> Entry | None:
        if stat.S_ISDIR(st.st_mode):
            return self._save_dir(name, path, st, old, device)
        if stat.S_ISREG(st.st_mode):
            return self._save_file(name, path, st, old)
        return node_from_stat(name, path, st)

    def _save_file(self, name: bytes, path: bytes, st: os.stat_result, old: Node | None) -> Entry | None:
        c = self.counters
        entry: Entry
        if not self.options.force and old is not None and _unchanged(old, st) and all(
            map(self.repo.has_data, old.content)
        ):
            entry = old if _same_metadata(old, st) else node_from_stat(name, path, st, content=old.content)
            c.files_unmodified += 1
        else:
            assert self._pipeline is not None
            try:
                content = self._pipeline.read_file(path, st.st_size)
            except OSError as error:
                self._warn(path, error)
                return None
            return _PendingFile(name, path, st, content, old is None)
        self._count_file(st, path)
        return entry

    def _count_file(self, st: os.stat_result, path: bytes) -> None:
        self.counters.total_files_processed += 1
        self.counters.total_bytes_processed += st.st_size
        if self.on_progress:
            self.on_progress(self.counters, os.fsdecode(path))

    def _save_dir(
        self, name: bytes, path: bytes, st: os.stat_result, old: Node | None, device: int
    ) -> _PendingDir:
        old_tree = self.repo.load_cached_tree(old.subtree) if old and old.kind == DIR and old.subtree else None
        folder = _PendingDir(name, path, st, old, old_tree, self._dir_tree(path, st, old_tree, device))
        self._pending_dirs.append(folder)
        self._drain(PENDING_FOLDERS)
        return folder

    def _dir_tree(self, path: bytes, st: os.stat_result, old_tree: Tree | None, device: int) -> list[Entry]:
        entries: list[Entry] = []
        crosses = self.options.one_file_system and st.st_dev != device
        if not crosses and not self.rules.is_tagged_cache(os.fsdecode(path)):
            for entry_name, entry_path, entry_st in self._entries(path):
                old_entry = old_tree.get(entry_name) if old_tree else None
                entry = self._save_entry(entry_name, entry_path, entry_st, old_entry, device)
                if entry is not None:
                    entries.append(entry)
        return entries

    def _entries(self, path: bytes) -> list[tuple[bytes, bytes, os.stat_result]]:
        try:
            with os.scandir(path) as it:
                names = sorted(entry.name for entry in it)
        except OSError as error:
            self._warn(path, error)
            return []
        entries = []
        for entry_name in names:
            entry_path = os.path.join(path, entry_name)  # path is b"/" for the root folder
            if self.rules.excludes(os.fsdecode(entry_path)):
                continue
            try:
                entries.append((entry_name, entry_path, os.lstat(entry_path)))
            except OSError as error:
                self._warn(entry_path, error)
        return entries
