"""Fixtures of the repository tests: a repository on the memory backend with cheap KDF
parameters, and helpers to build records and damage stored objects."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from snapstore.backend import MemoryBackend
from snapstore.crypto import KdfParams
from snapstore.model import Node, Snapshot, Tree
from snapstore.repository import Repository, RepositoryConfig

CHEAP_KDF = KdfParams(memory_kib=64, iterations=1, lanes=1)
PASSWORD = b"unit-test password"


@pytest.fixture
def backend() -> MemoryBackend:
    return MemoryBackend()


@pytest.fixture
def open_repo(backend: MemoryBackend, tmp_path: Path) -> Iterator[Callable[..., Repository]]:
    """`open_repo()` creates the repository on first call and opens it again on later calls
    (each with a fresh index cache unless `cache` names one); all are closed at the end."""
    opened: list[Repository] = []

    def make(config: RepositoryConfig | None = None, cache: str | None = None) -> Repository:
        cache_dir = tmp_path / (cache or f"cache-{len(opened)}")
        if not opened:
            repo = Repository.init(backend, PASSWORD, cache_dir, config=config, kdf=CHEAP_KDF)
        else:
            repo = Repository.open(backend, PASSWORD, cache_dir)
        opened.append(repo)
        return repo

    yield make
    for repo in opened:
        repo.close()  # the memory backend keeps its objects; close stops uploader threads


@pytest.fixture
def repo(open_repo: Callable[..., Repository]) -> Repository:
    return open_repo()


def flip_bit(backend: MemoryBackend, name: str, offset: int) -> None:
    data = bytearray(backend.load(name))
    data[offset] ^= 0x01
    backend.save(name, bytes(data))


def file_node(name: bytes, content: tuple[bytes, ...] = (), size: int = 0) -> Node:
    return Node(
        name=name, kind="file", mode=0o644, uid=1000, gid=1000, user="u", group="g",
        mtime_ns=1_700_000_000_000_000_001, ctime_ns=1_700_000_000_000_000_002, size=size,
        device=1, inode=2, nlink=1, content=content,
    )  # fmt: skip


def sample_tree(*names: bytes) -> Tree:
    return Tree(file_node(n) for n in names)


def make_snapshot(
    tree: bytes = bytes(32), *, when: datetime | None = None, hostname: str = "host",
    paths: tuple[str, ...] = ("/data",), tags: tuple[str, ...] = (),
) -> Snapshot:  # fmt: skip
    return Snapshot(
        time=when or datetime(2024, 5, 1, 12, tzinfo=UTC), hostname=hostname,
        username="user", uid=0, gid=0, paths=paths, tree=tree, tags=tags,
        program_version="snapstore test",
    )  # fmt: skip
