"""The archiver with stream sources, on the memory backend: a stream becomes a file below
virtual folders, its data deduplicates, a failing stream saves no snapshot but leaves its data
in packs and index, and stream paths must not collide."""

from __future__ import annotations

import io
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from snapstore.archiver import Archiver, BackupOptions, ExcludeRules
from snapstore.backend import MemoryBackend
from snapstore.errors import InputError, StreamError
from snapstore.model import Node, Tree
from snapstore.model.node import DIR, FILE
from snapstore.repository import Repository
from tests.e2e.conftest import CHEAP_KDF, PASSWORD

WHEN = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
MiB = 1 << 20


@dataclass(frozen=True)
class BytesSource:
    """A stream of given bytes; `fail_after_end` makes leaving the reader raise StreamError,
    as a command that exits non-zero does; `read_error_at` fails a read at that offset."""

    snapshot_path: str
    data: bytes
    tags: tuple[str, ...] = ()
    mode: int = 0o600
    uid: int = 1000
    gid: int = 1000
    fail_after_end: bool = False
    read_error_at: int | None = None

    @contextmanager
    def open(self) -> Iterator[_Reader]:
        yield _Reader(io.BytesIO(self.data), self.read_error_at)
        if self.fail_after_end:
            raise StreamError("the producer exited with code 1", ("its last words",))


class _Reader:
    def __init__(self, stream: io.BytesIO, error_at: int | None) -> None:
        self._stream, self._error_at = stream, error_at

    def readinto(self, buffer: memoryview) -> int:
        if self._error_at is not None and self._stream.tell() >= self._error_at:
            raise StreamError("reading the stream failed")
        return self._stream.readinto(buffer[: 1 << 16])


def backup(repo: Repository, *sources: BytesSource, paths: tuple[Path, ...] = (),
           tags: tuple[str, ...] = ()) -> tuple[str | None, Repository]:  # fmt: skip
    options = BackupOptions(paths=paths, hostname="host", username="user", tags=tags, streams=sources)
    parent = repo.list_snapshots()[-1] if repo.list_snapshots() else None
    result = Archiver(repo, options, ExcludeRules(), parent, clock=lambda: WHEN, workers=2).run()
    return result.snapshot_id, repo


@pytest.fixture
def backend() -> MemoryBackend:
    return MemoryBackend()


@pytest.fixture
def repo(backend: MemoryBackend, tmp_path: Path) -> Iterator[Repository]:
    repository = Repository.init(backend, PASSWORD, tmp_path / "cache", kdf=CHEAP_KDF)
    yield repository
    repository.close()


def read_file(repo: Repository, root: Tree, path: str) -> tuple[bytes, list[tuple[str, int, int]], Node]:
    """The content of the file at `path`, (name, mode, mtime) of each folder above it, and
    the file's node."""
    tree, folders = root, []
    parts = path.strip("/").split("/")
    for part in parts[:-1]:
        node = tree.get(part.encode())
        assert node is not None and node.kind == DIR and node.subtree is not None
        folders.append((part, node.mode, node.mtime_ns))
        tree = repo.load_tree(node.subtree)
    node = tree.get(parts[-1].encode())
    assert node is not None and node.kind == FILE
    return b"".join(repo.load_data(i) for i in node.content), folders, node


def test_stream_is_a_file_below_virtual_folders(repo: Repository) -> None:
    data = random.Random(1).randbytes(3 * MiB)
    snapshot_id, _ = backup(repo, BytesSource("/db/postgresql/local/app.sql", data, ("db", "postgresql")),
                            tags=("daily",))  # fmt: skip
    assert snapshot_id is not None
    snapshot = repo.load_snapshot(snapshot_id)
    assert snapshot.paths == ("/db/postgresql/local/app.sql",)
    assert snapshot.tags == ("daily", "db", "postgresql")
    content, folders, file_node = read_file(repo, repo.load_tree(snapshot.tree), "/db/postgresql/local/app.sql")
    assert content == data
    stamp = int(WHEN.timestamp()) * 10**9
    assert folders == [("db", 0o700, stamp), ("postgresql", 0o700, stamp), ("local", 0o700, stamp)]
    assert (file_node.mode, file_node.uid, file_node.size, file_node.mtime_ns) == (0o600, 1000, len(data), stamp)
    summary = snapshot.summary
    assert summary is not None and summary.files_new == 1 and summary.dirs_new == 3


def test_two_streams_and_a_path_share_one_snapshot(repo: Repository, tmp_path: Path) -> None:
    src = tmp_path / "etc"
    src.mkdir()
    (src / "hosts").write_bytes(b"hosts")
    snapshot_id, _ = backup(repo, BytesSource("/db/sqlite/a.db", b"A"), BytesSource("/db/sqlite/b.db", b"B"),
                            BytesSource("/stdin", b"S"), paths=(src,))  # fmt: skip
    assert snapshot_id is not None
    snapshot = repo.load_snapshot(snapshot_id)
    root = repo.load_tree(snapshot.tree)
    assert read_file(repo, root, "/db/sqlite/a.db")[0] == b"A"
    assert read_file(repo, root, "/db/sqlite/b.db")[0] == b"B"
    assert read_file(repo, root, "/stdin")[0] == b"S"
    assert read_file(repo, root, f"{src}/hosts")[0] == b"hosts"
    assert snapshot.paths == (str(src), "/db/sqlite/a.db", "/db/sqlite/b.db", "/stdin")


def test_unchanged_stream_counts_as_unmodified(repo: Repository) -> None:
    backup(repo, BytesSource("/x.sql", b"same"))
    snapshot_id, _ = backup(repo, BytesSource("/x.sql", b"same"))
    assert snapshot_id is not None
    summary = repo.load_snapshot(snapshot_id).summary
    assert summary is not None and (summary.files_unmodified, summary.data_added) == (1, 0)


@pytest.mark.parametrize("failure", ["exit", "read"])
def test_failed_stream_saves_no_snapshot_but_keeps_its_data(
    backend: MemoryBackend, repo: Repository, tmp_path: Path, failure: str
) -> None:
    data = random.Random(2).randbytes(4 * MiB)
    source = BytesSource("/dump.sql", data, fail_after_end=failure == "exit",
                         read_error_at=3 * MiB if failure == "read" else None)  # fmt: skip
    with pytest.raises(StreamError):
        backup(repo, source)
    assert repo.list_snapshots() == []
    # A fresh process (new cache, rebuilt from the index files) finds the data already stored.
    again = Repository.open(backend, PASSWORD, tmp_path / "cache-2")
    try:
        options = BackupOptions(paths=(), hostname="host", username="user",
                                streams=(BytesSource("/dump.sql", data),))  # fmt: skip
        result = Archiver(again, options, ExcludeRules(), None, clock=lambda: WHEN, workers=2).run()
    finally:
        again.close()
    # A read error loses the chunk being cut (about 1 MiB on average); an exit loses nothing
    # but the last chunk, whose end the stream's end decides.
    assert result.counters.data_added < (3 * MiB if failure == "read" else 0.5 * MiB)


@pytest.mark.parametrize(
    "paths,message",
    [
        (("/a/b", "/a/b"), "two streams would be stored at /a/b"),
        (("/a", "/a/b"), "two streams would be stored at /a/b"),
        (("/a/b", "/a"), "two streams would be stored at /a"),
        (("/x/../y",), "is not a valid path"),
        (("/",), "is not a valid path"),
    ],
)
def test_colliding_stream_paths(repo: Repository, paths: tuple[str, ...], message: str) -> None:
    with pytest.raises(InputError, match=message.replace(".", r"\.")):
        backup(repo, *(BytesSource(p, b"x") for p in paths))


def test_stream_colliding_with_a_path(repo: Repository, tmp_path: Path) -> None:
    top = "/" + str(tmp_path).strip("/").split("/")[0]
    with pytest.raises(InputError, match="is both a path backed up and where a stream goes"):
        backup(repo, BytesSource(f"{top}/dump.sql", b"x"), paths=(tmp_path,))
    assert os.path.isdir(tmp_path)
