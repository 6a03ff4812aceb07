"""The repository config: encoding, damaged documents, and the sealed config in a repository."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from snapstore.backend import MemoryBackend
from snapstore.errors import IntegrityError
from snapstore.repository import ChunkerParams, Repository, RepositoryConfig
from tests.repository.conftest import PASSWORD, flip_bit


def test_encode_decode_round_trip() -> None:
    config = RepositoryConfig(chunker=ChunkerParams(min_size=1024, avg_size=4096, max_size=16384),
                              compression_level=7, pack_size=1 << 20)  # fmt: skip
    decoded = RepositoryConfig.decode(config.encode())
    assert decoded == config
    assert json.loads(config.encode())["chunker"]["avg_size"] == 4096
    assert RepositoryConfig().id != RepositoryConfig().id  # random, 64 hex digits
    assert len(RepositoryConfig().id) == 64


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d[: len(d) // 2], "repository config is damaged"),
        (lambda d: b"", "repository config is damaged"),
        (lambda d: d.replace(b'"pack_size"', b'"pack_sizes"'), "repository config is damaged"),
        (lambda d: d.replace(b'"compression_level":3', b'"compression_level":"x"'),
         "repository config is damaged"),
        (lambda d: d.replace(b'"min_size"', b'"minimum"'), "repository config is damaged"),
        (lambda d: d.replace(b'"version":1', b'"version":2'),
         "repository format version 2 is not supported"),
        (lambda d: b"[1, 2]", "repository config is damaged"),
    ],
)  # fmt: skip
def test_damaged_config_is_an_integrity_error(
    damage: Callable[[bytes], bytes], message: str
) -> None:
    encoded = RepositoryConfig().encode()
    with pytest.raises(IntegrityError, match=message):
        RepositoryConfig.decode(damage(encoded))


def test_config_persists_and_damage_is_detected_on_open(
    open_repo: Callable[..., Repository], backend: MemoryBackend, tmp_path: object
) -> None:
    created = open_repo(RepositoryConfig(pack_size=123_456, compression_level=5))
    reopened = open_repo()
    assert reopened.config == created.config
    assert reopened.config.pack_size == 123_456
    assert b"123456" not in backend.load("config")  # sealed

    flip_bit(backend, "config", len(backend.load("config")) - 3)
    with pytest.raises(IntegrityError) as caught:
        Repository.open(backend, PASSWORD)
    assert str(caught.value) == "config: authentication failed (corrupted or tampered)"
