"""A backend on a local filesystem or a NAS mount (NFS, SMB): one file per object.

Crash safety rests on two primitives that also hold on network filesystems: `os.replace` of a
fully written and fsynced temporary file (atomic save), and `os.link` of such a file to the final
name, which fails with EEXIST if the name exists (atomic create-if-absent). Nothing relies on
flock, which NFS and SMB implement unreliably. POSIX only (uses os.pread and directory fsync).
"""

from __future__ import annotations

import errno
import os
import secrets
import stat as stat_module
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from snapstore.backend.base import (
    ObjectData,
    ObjectInfo,
    check_range,
    range_end,
    validate_name,
    validate_prefix,
)
from snapstore.errors import BackendError, NotFoundError

# Temporary files of in-progress saves live next to their final name (os.replace and os.link
# must stay within one filesystem and folder). Object names cannot start with '.', so `list`
# skips these without ambiguity.
TEMP_PREFIX = ".tmp-"

# Backups are private: set explicitly instead of trusting the process umask.
FILE_MODE = 0o600
FOLDER_MODE = 0o700

# errno values meaning "there is no object by that name" for load, stat and remove: ENOTDIR when
# a parent of the name is a file, EISDIR when the name is a folder holding other objects.
_MISSING_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EISDIR})

# Some filesystems (SMB, some FUSE mounts) refuse fsync on a directory; the rename is then as
# durable as that filesystem makes it, and failing every save would help nobody.
_UNSUPPORTED_FSYNC_ERRNOS = frozenset({errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP})


class LocalBackend:
    """Implements `Backend` with objects stored as files under `root`."""

    def __init__(self, root: Path | str) -> None:
        # Absolute, so a later chdir by the caller cannot redirect the repository.
        self.root = Path(os.path.abspath(root))
        self.location = str(self.root)

    def save(self, name: str, data: ObjectData) -> None:
        self._save_with(name, lambda fd: _write_all(fd, data))

    def save_file(self, name: str, source: int, size: int) -> None:
        """`FileSaver`: the bytes go from file to file in the kernel, never through this
        process's memory."""
        self._save_with(name, lambda fd: _copy_file(name, source, fd, size))

    def _save_with(self, name: str, write: Callable[[int], None]) -> None:
        path = self._path(name)
        temp = self._write_temp(name, path.parent, write)
        try:
            os.replace(temp, path)
        except OSError as exc:
            _unlink_quietly(temp)
            raise self._error("save", name, exc) from exc
        self._sync_folder(path.parent, name)

    def create_if_absent(self, name: str, data: ObjectData) -> bool:
        path = self._path(name)
        temp = self._write_temp(name, path.parent, lambda fd: _write_all(fd, data))
        try:
            created = self._link_exclusive(name, temp, path)
        finally:
            _unlink_quietly(temp)
        if created:
            self._sync_folder(path.parent, name)
        return created

    def load(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        path = self._path(name)
        check_range(offset, length)
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            raise self._error("load", name, exc) from exc
        try:
            size = self._regular_file_size(name, os.fstat(fd))
            end = range_end(name, size, offset, length, self.location)
            return self._read_range(name, fd, offset, end)
        except OSError as exc:
            raise self._error("load", name, exc) from exc
        finally:
            os.close(fd)

    def stat(self, name: str) -> ObjectInfo:
        path = self._path(name)
        try:
            result = os.stat(path)
        except OSError as exc:
            raise self._error("stat", name, exc) from exc
        return ObjectInfo(name, self._regular_file_size(name, result))

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        # Validate now, not at the first next(), so a bad prefix fails where it is passed.
        validate_prefix(prefix)
        return self._list_objects(prefix)

    def remove(self, name: str) -> None:
        path = self._path(name)
        try:
            os.unlink(path)
        except OSError as exc:
            raise self._error("remove", name, exc) from exc

    def close(self) -> None:
        """Nothing to release: every operation opens and closes its own files."""

    def remove_stale_temp_files(self, older_than_seconds: float, now: float | None = None) -> int:
        """Delete temporary files left by crashed saves; return how many were removed.

        Only files older than `older_than_seconds` (by mtime, against `now`, default the current
        time) are touched, because a younger one may belong to a save still running in another
        process, whose final rename would then fail.
        """
        cutoff = (time.time() if now is None else now) - older_than_seconds
        removed = 0
        for _, entry in self._walk_files(""):
            if not entry.name.startswith(TEMP_PREFIX):
                continue
            try:
                if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue  # its save finished or another cleaner got there first
            except OSError as exc:
                raise self._error("remove temporary file", entry.path, exc) from exc
        return removed

    # -- writing ---------------------------------------------------------------------------

    def _write_temp(self, name: str, folder: Path, write: Callable[[int], None]) -> Path:
        """Create a temporary file in `folder`, fill it by `write(fd)`, fsync it and return its
        path."""
        temp = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
        fd = self._open_new(name, temp)
        try:
            try:
                # Explicit mode: the umask may have cleared owner bits or we may be on a mount
                # whose default differs; the result must be 0600 either way.
                os.fchmod(fd, FILE_MODE)
                write(fd)
                os.fsync(fd)
            finally:
                os.close(fd)  # NFS may report deferred write errors only here
        except BaseException as exc:
            _unlink_quietly(temp)
            if isinstance(exc, OSError):
                raise self._error("save", name, exc) from exc
            raise
        return temp

    def _open_new(self, name: str, temp: Path) -> int:
        """Create `temp` exclusively, creating its folders on first use of a shard."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        try:
            try:
                return os.open(temp, flags, FILE_MODE)
            except FileNotFoundError:
                # Optimistic: the folder usually exists, so only a miss pays for creating it.
                self._make_folders(name, temp.parent)
                return os.open(temp, flags, FILE_MODE)
        except OSError as exc:
            raise self._error("save", name, exc) from exc

    def _make_folders(self, name: str, folder: Path) -> None:
        missing: list[Path] = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for new_folder in reversed(missing):
            try:
                os.mkdir(new_folder, FOLDER_MODE)
            except FileExistsError:
                continue  # a concurrent writer created it; its mode is its creator's business
            os.chmod(new_folder, FOLDER_MODE)
            # The new folder's entry must be durable too, or the object could vanish with it.
            self._sync_folder(new_folder.parent, name)

    def _link_exclusive(self, name: str, temp: Path, path: Path) -> bool:
        try:
            os.link(temp, path)
            return True
        except FileExistsError:
            # On NFS a retransmitted LINK whose first reply was lost reports EEXIST although it
            # succeeded; a link count of 2 on our private temp file proves the link is ours
            # (the recipe of open(2), O_EXCL on NFS).
            try:
                return os.lstat(temp).st_nlink == 2
            except OSError as exc:
                raise self._error("create", name, exc) from exc
        except OSError as exc:
            raise self._error("create", name, exc) from exc

    def _sync_folder(self, folder: Path, name: str) -> None:
        """fsync a folder so that a rename, link or mkdir inside it survives a power loss."""
        try:
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError as exc:
            raise self._error("save", name, exc) from exc
        try:
            os.fsync(fd)
        except OSError as exc:
            if exc.errno not in _UNSUPPORTED_FSYNC_ERRNOS:
                raise self._error("save", name, exc) from exc
        finally:
            os.close(fd)

    # -- reading ---------------------------------------------------------------------------

    def _regular_file_size(self, name: str, result: os.stat_result) -> int:
        # A folder is where objects live, not an object: report it as missing like S3 would.
        if not stat_module.S_ISREG(result.st_mode):
            raise self._not_found(name)
        return result.st_size

    def _read_range(self, name: str, fd: int, offset: int, end: int) -> bytes:
        # pread: no shared file position, so concurrent loads never interfere. It may return
        # fewer bytes than asked (signals, NFS, >2 GiB), hence the loop.
        pieces: list[bytes] = []
        position = offset
        while position < end:
            piece = os.pread(fd, end - position, position)
            if not piece:
                raise BackendError(
                    f"object {name!r} in {self.location} ended at byte {position} while reading "
                    f"{offset}..{end}: truncated while being read"
                )
            pieces.append(piece)
            position += len(piece)
        return b"".join(pieces)

    def _list_objects(self, prefix: str) -> Iterator[ObjectInfo]:
        for object_name, entry in self._walk_files(prefix):
            if entry.name.startswith("."):
                continue  # temporary files and anything else that cannot be an object
            try:
                size = entry.stat().st_size
            except FileNotFoundError:
                continue  # removed while we were listing
            except OSError as exc:
                raise self._error("list", object_name, exc) from exc
            yield ObjectInfo(object_name, size)

    def _walk_files(self, prefix: str) -> Iterator[tuple[str, os.DirEntry[str]]]:
        """Yield (name relative to root, entry) for every file below folder `prefix`.

        Follows symbolic links like load does (a NAS user may link `data` to another volume),
        and remembers visited folders so a link loop cannot make the walk endless.
        """
        pending = [(self.root / prefix if prefix else self.root, prefix)]
        visited: set[tuple[int, int]] = set()
        while pending:
            folder, folder_name = pending.pop()
            try:
                folder_stat = os.stat(folder)
                key = (folder_stat.st_dev, folder_stat.st_ino)
                if key in visited:
                    continue
                visited.add(key)
                with os.scandir(folder) as entries:
                    found = list(entries)
            except (FileNotFoundError, NotADirectoryError):
                continue  # no such folder: nothing stored under it
            except OSError as exc:
                raise self._error("list", folder_name or "/", exc) from exc
            for entry in found:
                entry_name = f"{folder_name}/{entry.name}" if folder_name else entry.name
                if entry.is_dir() and not entry.name.startswith("."):
                    pending.append((Path(entry.path), entry_name))
                elif entry.is_file():
                    yield entry_name, entry

    # -- names and errors ------------------------------------------------------------------

    def _path(self, name: str) -> Path:
        return self.root / validate_name(name)

    def _not_found(self, name: str) -> NotFoundError:
        return NotFoundError(f"object {name!r} not found in {self.location}")

    def _error(self, action: str, name: str, exc: OSError) -> BackendError:
        """One-line error naming the object and the OS reason; a missing object on a read or
        remove becomes NotFoundError. For save, ENOENT means a folder vanished: a BackendError."""
        if action in ("load", "stat", "remove") and exc.errno in _MISSING_ERRNOS:
            return self._not_found(name)
        reason = exc.strerror or str(exc)
        return BackendError(f"cannot {action} {name!r} in {self.location}: {reason}")

    def __repr__(self) -> str:
        return f"LocalBackend({self.location!r})"


def _write_all(fd: int, data: ObjectData) -> None:
    # os.write may write less than asked (signals, quotas on network mounts), hence the loop.
    # cast("B") makes slicing count bytes even for a memoryview of wider items.
    with memoryview(data) as raw, raw.cast("B") as view:
        position = 0
        while position < len(view):
            position += os.write(fd, view[position:])


# copy_file_range refuses some pairs of files (across file systems on Linux >= 5.19, file
# systems without support): those are copied through a buffer instead.
_NO_KERNEL_COPY_ERRNOS = frozenset({errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP})
COPY_BUFFER = 1 << 20


def _copy_file(name: str, source: int, target: int, size: int) -> None:
    """Copy bytes [0, size) of `source` to `target` at its current position."""
    position = 0
    copy_range = getattr(os, "copy_file_range", None)  # Linux only
    while copy_range is not None and position < size:
        try:
            copied = copy_range(source, target, size - position, position)
        except OSError as exc:
            if exc.errno not in _NO_KERNEL_COPY_ERRNOS:
                raise
            break
        if not copied:
            break  # the end of the source, or a file system that copies nothing: see below
        position += copied
    while position < size:
        piece = os.pread(source, min(COPY_BUFFER, size - position), position)
        if not piece:
            raise BackendError(
                f"cannot save {name!r}: its source file ended at byte {position} of {size}"
            )
        _write_all(target, piece)
        position += len(piece)


def _unlink_quietly(path: Path) -> None:
    # Cleanup on an error path: the original error matters more than a failed unlink, and a
    # leftover temporary file is invisible to list and removable by remove_stale_temp_files.
    try:
        os.unlink(path)
    except OSError:
        pass
