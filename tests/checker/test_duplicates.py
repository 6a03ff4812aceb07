"""`count_duplicates`: blobs two hosts stored at the same moment are counted once per extra copy;
a pack listed by two index files is one copy."""

from __future__ import annotations

import os
from pathlib import Path

from snapstore.archiver import Archiver, BackupOptions, ExcludeRules
from snapstore.backend import MemoryBackend
from snapstore.checker import count_duplicates
from snapstore.crypto import ENVELOPE_OVERHEAD
from snapstore.index import encode_index
from snapstore.pack import load_pack_header
from snapstore.repository import Repository
from tests.e2e.conftest import CHEAP_KDF, PASSWORD

SIZE = 100_000  # below the chunker's minimum: one blob per file


def backup(repo: Repository, src: Path, host: str) -> None:
    options = BackupOptions(paths=(src,), hostname=host, username="user")
    Archiver(repo, options, ExcludeRules(), None).run()


def test_simultaneous_uploads_are_counted_once_per_extra_copy(tmp_path: Path) -> None:
    backend = MemoryBackend()
    Repository.init(backend, PASSWORD, tmp_path / "init", kdf=CHEAP_KDF).close()
    shared, own = os.urandom(SIZE), os.urandom(SIZE)
    sources = []
    for host in ("a", "b", "c"):
        src = tmp_path / host
        src.mkdir()
        (src / "shared.bin").write_bytes(shared)
        (src / f"{host}.bin").write_bytes(own if host == "a" else os.urandom(SIZE))
        sources.append(src)
    # All three hosts opened the repository (and synced their caches) before any stored a blob:
    # each stores the shared file, as hosts that upload it at the same moment do.
    repos = [Repository.open(backend, PASSWORD, tmp_path / f"cache-{n}") for n in range(3)]
    for repo, src in zip(repos, sources):
        backup(repo, src, src.name)
    fresh = Repository.open(backend, PASSWORD, tmp_path / "cache-fresh")
    count = count_duplicates(backend, fresh.sealer, fresh.cache.known_files())
    assert (count.duplicate_blobs, count.duplicate_copies) == (1, 2)
    assert count.duplicate_bytes == 2 * (SIZE + ENVELOPE_OVERHEAD)  # random data: not compressed
    # A pack listed again by another index file (a backup re-indexed it) adds no copy.
    pack = next(info.name for info in backend.list("data"))
    name, data = encode_index(load_pack_header(backend, pack, fresh.sealer), (), fresh.sealer)
    backend.save(name, data)
    again = count_duplicates(backend, fresh.sealer, fresh.cache.known_files() | {name})
    assert (again.blobs, again.duplicate_copies) == (count.blobs, 2)
    assert again.index_files == count.index_files + 1
    for repo in [*repos, fresh]:
        repo.close()
