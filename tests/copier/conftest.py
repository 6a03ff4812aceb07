"""Fixtures of the copier tests: repositories on the memory backend with a small chunker, and
helpers to write snapshots of in-memory folders and read them back."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from snapstore.backend import MemoryBackend
from snapstore.crypto import KdfParams
from snapstore.model import Node, Snapshot, Tree
from snapstore.repository import ChunkerParams, Repository, RepositoryConfig

CHEAP_KDF = KdfParams(memory_kib=64, iterations=1, lanes=1)
SMALL = ChunkerParams(min_size=4096, avg_size=16384, max_size=65536, normalization=1)
STREAM = ChunkerParams(min_size=256, avg_size=1024, max_size=4096, normalization=1)
# A folder in memory: name -> bytes (a file) or a nested folder.
Folder = dict[bytes, "bytes | Folder"]
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def make_repo(tmp_path: Path) -> Iterator[Callable[..., Repository]]:
    opened: list[Repository] = []

    def make(config: RepositoryConfig | None = None, password: bytes = b"pw") -> Repository:
        cache = tmp_path / f"cache-{len(opened)}"
        repo = Repository.init(MemoryBackend(), password, cache,
                               config=config or RepositoryConfig(chunker=SMALL, stream_chunker=STREAM), kdf=CHEAP_KDF)  # fmt: skip
        opened.append(repo)
        return repo

    yield make
    for repo in opened:
        repo.close()


def _node(name: bytes, kind: str, **fields: object) -> Node:
    defaults: dict[str, object] = {
        "mode": 0o755 if kind == "dir" else 0o640, "uid": 1000, "gid": 1000, "user": "u",
        "group": "g", "mtime_ns": 1_700_000_000_000_000_000,
        "ctime_ns": 1_700_000_000_000_000_000, "size": 0, "device": 1, "inode": len(name),
        "nlink": 1,
    }  # fmt: skip
    defaults.update(fields)
    return Node(name=name, kind=kind, **defaults)  # type: ignore[arg-type]


def save_folder(repo: Repository, folder: Folder, streams: frozenset[bytes] = frozenset()) -> bytes:
    """Store `folder` as a backup would (chunked with `repo`'s chunker, or its stream chunker
    for the names in `streams`); return its tree id."""
    nodes = []
    for name, entry in folder.items():
        if isinstance(entry, dict):
            nodes.append(_node(name, "dir", subtree=save_folder(repo, entry, streams)))
            continue
        scanner = repo.new_scanner(stream=name in streams)
        ends = list(scanner.feed(entry)) + list(scanner.finish())
        chunks = [entry[a:b] for a, b in zip([0, *ends], ends)]
        for chunk in chunks:
            repo.save_data(chunk)
        content = tuple(repo.blob_id(chunk) for chunk in chunks)
        nodes.append(_node(name, "file", size=len(entry), content=content))
    nodes.append(_node(b"link", "symlink", symlink_target=b"target"))
    tree_id, _ = repo.save_tree(Tree(nodes))
    return tree_id


def backup(repo: Repository, folder: Folder, *, hostname: str = "host", paths: tuple[str, ...] = ("/data",),
           tags: tuple[str, ...] = (), parent: str | None = None, day: int = 0,
           streams: frozenset[bytes] = frozenset()) -> str:  # fmt: skip
    tree = save_folder(repo, folder, streams)
    repo.flush()
    snapshot = Snapshot(time=START + timedelta(days=day), hostname=hostname, username="user", uid=0,
                        gid=0, paths=paths, tree=tree, tags=tags, parent=parent,
                        program_version="snapstore test")  # fmt: skip
    return repo.save_snapshot(snapshot)


def read_folder(repo: Repository, tree_id: bytes) -> Folder:
    """The folder a tree holds, file contents read back (each blob checked by the repository)."""
    folder: Folder = {}
    for node in repo.load_tree(tree_id):
        if node.kind == "dir":
            assert node.subtree is not None
            folder[node.name] = read_folder(repo, node.subtree)
        elif node.kind == "file":
            folder[node.name] = b"".join(repo.load_data(blob_id) for blob_id in node.content)
    return folder


def sample_folder(seed: int = 1) -> Folder:
    rng = random.Random(seed)
    shared = rng.randbytes(40_000)
    return {
        b"empty": b"",
        b"small": b"hello",
        b"big": rng.randbytes(100_000),
        b"sub": {b"copy-of-shared": shared, b"deeper": {b"tiny": b"x" * 10}},
        b"shared": shared,
    }

