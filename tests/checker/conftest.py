"""A small repository on the memory backend to check and damage: two snapshots of a folder with
a file stored twice, random files spread over several small packs, and compressible text.
Tree and data blobs are in separate packs (design §4), so a whole kind can be removed."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from snapstore.archiver import Archiver, BackupOptions, ExcludeRules
from snapstore.backend import MemoryBackend
from snapstore.checker import CheckOptions, CheckReport, check_repository
from snapstore.index import BlobType, IndexEntry
from snapstore.pack import load_pack_header, pack_id_from_name, pack_object_name
from snapstore.repository import Repository, RepositoryConfig
from tests.e2e.conftest import CHEAP_KDF, PASSWORD

PACK_SIZE = 50_000  # a few 20 kB blobs per pack, so there are several packs to pick from
FILE_SIZE = 20_000


@dataclass
class Sample:
    repo: Repository
    backend: MemoryBackend
    src: Path
    snapshot_ids: list[str]

    def check(self, read_data: bool = False, **options: object) -> CheckReport:
        return check_repository(self.repo, CheckOptions(read_data=read_data, **options))  # type: ignore[arg-type]

    def packs(self, blob_type: BlobType | None = None) -> dict[str, list[IndexEntry]]:
        """Pack name -> header entries, for packs holding blobs of `blob_type` (None: all)."""
        found = {}
        for info in self.backend.list("data"):
            entries = load_pack_header(self.backend, info.name, self.repo.sealer, info.size)
            if blob_type is None or entries[0].blob_type == blob_type:
                found[info.name] = entries
        return found

    def pack_of(self, relative: str) -> str:
        """Name of the pack holding file `relative` (below src; sample files are one chunk)."""
        content = (self.src / relative).read_bytes()
        entry = self.repo.lookup(self.repo.blob_id(content))
        assert entry is not None
        return pack_object_name(entry.pack_id)

    def path(self, relative: str) -> str:
        return f"{self.src}/{relative}"

    def flip_bit(self, name: str, offset: int) -> None:
        data = bytearray(self.backend.load(name))
        data[offset] ^= 0x10
        self.backend.save(name, data)


def write_tree(src: Path) -> None:
    rng = random.Random(7)
    (src / "sub").mkdir(parents=True)
    duplicate = rng.randbytes(FILE_SIZE)
    (src / "dup1.bin").write_bytes(duplicate)
    (src / "sub" / "dup2.bin").write_bytes(duplicate)
    for i in range(6):
        (src / "sub" / f"f{i}.bin").write_bytes(rng.randbytes(FILE_SIZE))
    (src / "text.txt").write_bytes(b"all work and no play\n" * 2000)
    (src / "keep").mkdir()
    (src / "keep" / "same.txt").write_bytes(b"unchanged between the two backups\n")


def backup(repo: Repository, src: Path) -> str:
    options = BackupOptions(paths=(src,), hostname="host", username="user")
    snapshot_id = Archiver(repo, options, ExcludeRules(), None).run().snapshot_id
    assert snapshot_id is not None
    return snapshot_id


@pytest.fixture
def sample(tmp_path: Path) -> Iterator[Sample]:
    backend = MemoryBackend()
    config = RepositoryConfig(pack_size=PACK_SIZE)
    repo = Repository.init(backend, PASSWORD, tmp_path / "cache", config=config, kdf=CHEAP_KDF)
    src = tmp_path / "src"
    write_tree(src)
    first = backup(repo, src)
    (src / "text.txt").write_bytes(b"changed\n" * 3000)
    (src / "sub" / "new.bin").write_bytes(os.urandom(FILE_SIZE))
    second = backup(repo, src)
    yield Sample(repo, backend, src, [first, second])
    repo.close()


def kinds(problems: list) -> list[str]:  # type: ignore[type-arg]
    return [p.kind for p in problems]


def pack_id(name: str) -> str:
    return pack_id_from_name(name).hex()
