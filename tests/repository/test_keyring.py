"""Key files: several passwords for one master key, removing keys, and opening or creating a
repository where there is one or none."""

from __future__ import annotations

from pathlib import Path

import pytest

from snapstore.backend import MemoryBackend
from snapstore.errors import (
    InputError,
    RepositoryExistsError,
    RepositoryNotFoundError,
    WrongPasswordError,
)
from snapstore.repository import Repository, keyring
from snapstore.repository.keyring import LastKeyError
from tests.repository.conftest import CHEAP_KDF, PASSWORD


def test_several_keys_open_the_same_master_key(repo: Repository, backend: MemoryBackend) -> None:
    first = repo.key_id
    second = keyring.add_key(backend, repo.master, b"second", CHEAP_KDF)
    assert second != first and len(second) == 64
    assert keyring.key_ids(backend) == sorted([first, second])
    infos = keyring.list_keys(backend)
    assert [k.id for k in infos] == sorted([first, second])
    assert all(k.created and k.hostname for k in infos)

    master_1, opened_1 = keyring.open_master_key(backend, PASSWORD)
    master_2, opened_2 = keyring.open_master_key(backend, b"second")
    assert (opened_1, opened_2) == (first, second)
    assert master_1.secret == master_2.secret == repo.master.secret
    with pytest.raises(WrongPasswordError):
        keyring.open_master_key(backend, b"third")


def test_remove_keys_but_never_the_last(repo: Repository, backend: MemoryBackend) -> None:
    first = repo.key_id
    second = keyring.add_key(backend, repo.master, b"second", CHEAP_KDF)
    keyring.remove_key(backend, first)
    assert keyring.key_ids(backend) == [second]
    with pytest.raises(WrongPasswordError):
        keyring.open_master_key(backend, PASSWORD)
    with pytest.raises(LastKeyError, match="refusing to remove the last key"):
        keyring.remove_key(backend, second)
    with pytest.raises(InputError, match=f"no key with id {first}"):
        keyring.remove_key(backend, first)
    assert keyring.key_ids(backend) == [second]
    assert keyring.open_master_key(backend, b"second")[1] == second


def test_open_and_init_where_there_is_one_or_none(backend: MemoryBackend, tmp_path: Path) -> None:
    with pytest.raises(RepositoryNotFoundError, match="no repository at memory:"):
        Repository.open(backend, PASSWORD, tmp_path / "c1")
    repo = Repository.init(backend, PASSWORD, tmp_path / "c2", kdf=CHEAP_KDF)
    repo.close()
    with pytest.raises(RepositoryExistsError, match="a repository already exists"):
        Repository.init(backend, b"other", tmp_path / "c3", kdf=CHEAP_KDF)
    assert keyring.key_ids(backend) == [repo.key_id]  # the refused init left no key behind
    with pytest.raises(WrongPasswordError):
        Repository.open(backend, b"other", tmp_path / "c4")
    again = Repository.open(backend, PASSWORD, tmp_path / "c5")
    assert again.config.id == repo.config.id
    again.close()
