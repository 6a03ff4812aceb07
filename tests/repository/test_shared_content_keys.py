"""A repository created with another's content keys (`snap init --from-repo`): same blob ids and
chunk boundaries, its own encryption key, and the adopted keys never shown."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

from snapstore.backend import MemoryBackend
from snapstore.repository import ChunkerParams, Repository, RepositoryConfig
from tests.repository.conftest import CHEAP_KDF, PASSWORD

SMALL = ChunkerParams(min_size=1024, avg_size=4096, max_size=16384, normalization=1)


def _init(backend: MemoryBackend, cache: Path, config: RepositoryConfig | None = None) -> Repository:
    return Repository.init(backend, PASSWORD, cache, config=config, kdf=CHEAP_KDF)


def _cuts(repo: Repository, data: bytes) -> list[int]:
    scanner = repo.new_scanner()
    return list(scanner.feed(data)) + list(scanner.finish())


def test_adopted_content_keys_name_and_cut_alike_but_encrypt_apart(tmp_path: Path) -> None:
    source = _init(MemoryBackend(), tmp_path / "a", RepositoryConfig(chunker=SMALL))
    config = RepositoryConfig().adopting(source.config, source.master.content_keys)
    backend = MemoryBackend()
    target = _init(backend, tmp_path / "b", config)
    other = _init(MemoryBackend(), tmp_path / "c", RepositoryConfig(chunker=SMALL))
    data = random.Random(7).randbytes(200_000)
    try:
        assert target.blob_id(data) == source.blob_id(data) != other.blob_id(data)
        assert _cuts(target, data) == _cuts(source, data) != _cuts(other, data)
        assert target.content_fingerprint() == source.content_fingerprint()
        assert other.content_fingerprint() != source.content_fingerprint()
        assert target.master.encryption_key != source.master.encryption_key
        assert target.config.chunker == SMALL
        # Opened again from storage, the adopted keys come from the sealed config.
        reopened = Repository.open(backend, PASSWORD, tmp_path / "d")
        assert reopened.blob_id(data) == source.blob_id(data)
        assert reopened.content_fingerprint() == source.content_fingerprint()
        reopened.close()
        shown = json.dumps(target.config.public())
        assert source.master.id_key.hex() not in shown
        assert source.master.chunker_key.hex() not in shown
        assert target.config.public()["shared_id_key"] == "<secret>"
    finally:
        for repo in (source, target, other):
            repo.close()


def test_a_plain_config_encodes_without_shared_keys() -> None:
    assert b"shared" not in RepositoryConfig().encode()
    assert RepositoryConfig.decode(RepositoryConfig().encode()).content_keys() is None


def test_fingerprint_depends_on_chunker_parameters(tmp_path: Path) -> None:
    source = _init(MemoryBackend(), tmp_path / "a")
    other_params = ChunkerParams(min_size=2048, avg_size=8192, max_size=32768)
    config = RepositoryConfig().adopting(replace(source.config, chunker=other_params), source.master.content_keys)
    target = _init(MemoryBackend(), tmp_path / "b", config)
    try:
        assert target.blob_id(b"x") == source.blob_id(b"x")
        assert target.content_fingerprint() != source.content_fingerprint()
    finally:
        source.close()
        target.close()


def test_both_chunker_parameter_sets_are_adopted(tmp_path: Path) -> None:
    streams = ChunkerParams(min_size=512, avg_size=2048, max_size=8192)
    source = _init(MemoryBackend(), tmp_path / "a", RepositoryConfig(chunker=SMALL, stream_chunker=streams))
    target = _init(MemoryBackend(), tmp_path / "b",
                   RepositoryConfig().adopting(source.config, source.master.content_keys))  # fmt: skip
    try:
        assert (target.config.chunker, target.config.stream_chunker) == (SMALL, streams)
        assert target.content_fingerprint() == source.content_fingerprint()
    finally:
        source.close()
        target.close()
