"""The restore engine: recreates a snapshot's tree under a target folder, bytes and metadata,
holes of sparse files included. The walk creates folders, links and special files and plans file
contents; the content writer then reads each pack once, in parallel, and writes blobs where they
belong, creating each file on its first write. File metadata follows, and folder metadata comes
last (sub-folders first), because creating entries changes a folder's times. Never prints;
reports through `on_progress`."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Collection, Iterator
from typing import Protocol

from snapstore.errors import IntegrityError
from snapstore.index import IndexEntry
from snapstore.model import Node, Snapshot, Tree
from snapstore.model.node import BLOCKDEV, CHARDEV, DIR, FIFO, FILE, SOCKET, SYMLINK
from snapstore.repository.protocols import BlobLoader
from snapstore.restorer.content_check import content_matches
from snapstore.restorer.content_writer import (
    DEFAULT_READERS,
    MANY_FILES,
    PROCESS_AFTER,
    ContentWriter,
)
from snapstore.restorer.metadata import Creation, apply_metadata, plain_folder
from snapstore.restorer.options import RestoreOptions, RestoreResult
from snapstore.restorer.pack_run import write_error
from snapstore.restorer.path_filter import PathFilter

Progress = Callable[[RestoreResult, str], None]
# Files planned before their contents are written (while the next batch is planned): bounds the
# plan's memory, whatever the number of files. Neighbouring files share packs, so a batch
# boundary mostly splits a pack's reads in two rather than repeating them.
PLANNED_FILES = 4096


def _process_after(snapshot: Snapshot, selection: PathFilter) -> int:
    """Files planned before helper processes start (`process_after` None): none if the whole
    snapshot is restored and holds many files, by its summary. The summary does not say how
    many files an --include or --exclude leaves, so such a restore counts them as it plans."""
    files = snapshot.summary.total_files_processed if snapshot.summary is not None else 0
    many = selection.everything and files >= MANY_FILES
    return 0 if many else PROCESS_AFTER


class RestoreSource(BlobLoader, Protocol):
    def blob_id(self, data: bytes | memoryview) -> bytes: ...

    def lookup(self, blob_id: bytes) -> IndexEntry | None: ...

    def lookup_many(self, blob_ids: Collection[bytes]) -> dict[bytes, IndexEntry]: ...

    def load_from_pack(self, entries: list[IndexEntry]) -> Iterator[tuple[IndexEntry, bytes]]: ...

    @property
    def remote(self) -> bool: ...


class Restorer:
    def __init__(
        self,
        repo: RestoreSource,
        snapshot: Snapshot,
        options: RestoreOptions,
        on_progress: Progress | None = None,
        readers: int = DEFAULT_READERS,
        process_after: int | None = None,
    ) -> None:
        self.repo = repo
        self.snapshot = snapshot
        self.options = options
        self.filter = PathFilter(options.includes, options.excludes)
        self.on_progress = on_progress
        self.result = RestoreResult()
        self._hardlinks: dict[tuple[int, int], bytes] = {}
        self._target = os.fsencode(os.path.abspath(options.target))
        self._readers = readers
        self._process_after = (
            process_after if process_after is not None else _process_after(snapshot, self.filter)
        )
        self._writer: ContentWriter  # made by `run`, once the target exists
        self._files: list[tuple[bytes, Node]] = []  # written, to verify
        self._dirs: list[tuple[bytes, Node]] = []  # metadata applied last: writes create files

    def run(self) -> RestoreResult:
        made = not os.path.lexists(self._target)
        try:
            os.makedirs(self._target, exist_ok=True)
        except OSError as error:
            raise write_error(self._target, error) from None
        fresh = made and plain_folder(self._target)
        self._writer = ContentWriter(
            self.repo, self._readers, Creation(), self._process_after, remote=self.repo.remote
        )
        try:
            self._restore_tree(self.repo.load_tree(self.snapshot.tree), b"", fresh)
            self._write_planned(last=True)
        finally:
            self._writer.close()
        for path, node in self._dirs:
            apply_metadata(path, node, self.result.warnings)
        return self.result

    def _write_planned(self, last: bool = False) -> None:
        """Start writing the planned contents (their metadata follows each file's last write);
        wait for them when done planning, or to verify them."""
        self._writer.submit()
        if not last and not self.options.verify:
            return
        stats = self._writer.wait()
        self.result.bytes_written = stats.bytes_written
        self.result.holes_bytes = stats.holes_bytes
        self.result.warnings += stats.warnings
        stats.warnings.clear()
        for path, node in self._files:
            self._verify(node, path)
        self._files.clear()

    def _restore_tree(self, tree: Tree, inner: bytes, fresh: bool) -> bool:
        """Restore the selected entries of `tree` (into a folder this restore made if `fresh`);
        return whether anything was restored."""
        restored = False
        everything = self.filter.everything  # no --include or --exclude: no path to decode
        for node in tree:
            path_inside = inner + b"/" + node.name
            shown = "" if everything else os.fsdecode(path_inside)
            if node.kind == DIR:
                restored |= self._restore_dir(node, path_inside, shown, fresh)
            elif everything or self.filter.selects(shown):
                self._restore_leaf(node, self._target + path_inside, fresh)
                restored = True
        return restored

    def _restore_dir(self, node: Node, path_inside: bytes, shown: str, parent_fresh: bool) -> bool:
        path = self._target + path_inside
        whole = self.filter.everything or self.filter.selects(shown)
        if not whole and not self.filter.may_contain_selected(shown):
            return False
        made = self._make_folder(path, parent_fresh)
        fresh = made and (parent_fresh or plain_folder(path))
        assert node.subtree is not None
        inner_restored = self._restore_tree(self.repo.load_tree(node.subtree), path_inside, fresh)
        if whole or inner_restored:
            self._dirs.append((path, node))  # post-order: a folder after its sub-folders
            self.result.dirs += 1
            return True
        if made:  # made on the way to entries that were not selected after all
            self._remove_folder(path)
        return False

    @staticmethod
    def _remove_folder(path: bytes) -> None:
        try:
            os.rmdir(path)
        except OSError as error:
            raise write_error(path, error) from None

    @staticmethod
    def _make_folder(path: bytes, parent_fresh: bool) -> bool:
        """Make the folder (its parent exists); return whether it is new, so empty."""
        try:
            os.mkdir(path, 0o700)
            return True
        except FileExistsError:
            if not parent_fresh and os.path.isdir(path):
                return False
            raise write_error(path, FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST))) from None
        except OSError as error:
            raise write_error(path, error) from None

    def _restore_leaf(self, node: Node, path: bytes, fresh: bool) -> None:
        # Its folder exists: `_restore_dir` (or `run`, for the target) made it first.
        try:
            if self._link_if_seen(node, path, fresh):
                return
            if not fresh:
                self._remove_existing(path)
            if node.kind == FILE:
                self._restore_file(node, path, fresh)
            else:
                self._make_special(node, path)
                apply_metadata(path, node, self.result.warnings)
                self.result.other += 1
        except OSError as error:
            raise write_error(path, error) from None
        if self.on_progress:
            self.on_progress(self.result, os.fsdecode(path))

    def _restore_file(self, node: Node, path: bytes, fresh: bool) -> None:
        self._writer.add_file(path, node.content, create_now=node.nlink > 1, node=node, fresh=fresh)
        if not node.content:  # created already, and nothing will write to it
            apply_metadata(path, node, self.result.warnings)
        if self.options.verify:
            self._files.append((path, node))
        self.result.files += 1
        if self._writer.planned_files >= PLANNED_FILES:
            self._write_planned()

    def _link_if_seen(self, node: Node, path: bytes, fresh: bool) -> bool:
        """Entries that were hard links to one file become hard links again."""
        if node.kind == DIR or node.nlink < 2:
            return False
        key = (node.device, node.inode)
        first = self._hardlinks.get(key)
        if first is None:
            self._hardlinks[key] = path
            return False
        if not fresh:
            self._remove_existing(path)
        os.link(first, path, follow_symlinks=False)
        return True

    @staticmethod
    def _remove_existing(path: bytes) -> None:
        """Make room for the entry: an existing file or link is replaced (one lstat when the
        target is empty, the common case); a folder in the way is left for the error to name."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return
        if not stat.S_ISDIR(st.st_mode):
            os.unlink(path)

    def _verify(self, node: Node, path: bytes) -> None:
        if not content_matches(self.repo, path, node.content):
            raise IntegrityError(f"verify: {os.fsdecode(path)} differs from the snapshot")
        self.result.verified_files += 1

    def _make_special(self, node: Node, path: bytes) -> None:
        if node.kind == SYMLINK:
            assert node.symlink_target is not None
            os.symlink(node.symlink_target, path)
        elif node.kind == FIFO:
            os.mkfifo(path, 0o600)
        elif node.kind in (CHARDEV, BLOCKDEV):
            kind = 0o020000 if node.kind == CHARDEV else 0o060000
            try:
                os.mknod(path, kind | 0o600, node.rdev)
            except PermissionError:  # only root may create device nodes: not a reason to stop
                self.result.warnings.append(f"{os.fsdecode(path)}: device not restored (not root)")
        elif node.kind == SOCKET:
            self.result.warnings.append(f"{os.fsdecode(path)}: sockets are not restored")

