"""Saving and loading blobs through `Repository` on the memory backend: round trips,
deduplication, packing with one index file per pack, and damaged or missing packs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from snapstore.backend import FileSaver, LocalBackend, MemoryBackend
from snapstore.backend.counting import CountingBackend
from snapstore.crypto import ENVELOPE_OVERHEAD
from snapstore.errors import IntegrityError
from snapstore.index import BlobType, decode_index
from snapstore.model import Tree
from snapstore.pack import pack_id_from_name, pack_object_name, verify_pack_id
from snapstore.repository import Repository, RepositoryConfig
from tests.repository.conftest import CHEAP_KDF, PASSWORD, file_node, flip_bit, sample_tree


def test_data_round_trip(repo: Repository, open_repo: Callable[..., Repository]) -> None:
    payloads = [b"", b"x", os.urandom(100_000), b"compressible " * 10_000]
    ids = [repo.blob_id(p) for p in payloads]
    assert len(set(ids)) == 4 and all(len(i) == 32 for i in ids)
    for payload, blob_id in zip(payloads, ids):
        added = repo.save_data(payload)
        assert added > 0
        assert repo.has_data(blob_id)
    repo.flush()
    for payload, blob_id in zip(payloads, ids):
        assert repo.load_data(blob_id) == payload
    # Compressible data is stored smaller than it is.
    entry = repo.blobs.lookup(ids[3])
    assert entry is not None and entry.length < len(payloads[3]) // 10
    assert entry.raw_length == len(payloads[3])

    again = open_repo()
    assert [again.load_data(i) for i in ids] == payloads


def test_tree_round_trip(repo: Repository, open_repo: Callable[..., Repository]) -> None:
    data_id = repo.blob_id(b"content")
    repo.save_data(b"content", data_id)
    tree = Tree([file_node(b"b", (data_id,), 7), file_node(b"a\xff")])
    tree_id, added = repo.save_tree(tree)
    assert added > 0
    assert tree_id == repo.blob_id(tree.encode())
    repo.flush()
    assert repo.load_tree(tree_id) == tree
    assert [n.name for n in open_repo().load_tree(tree_id)] == [b"a\xff", b"b"]
    entry = repo.blobs.lookup(tree_id)
    assert entry is not None and entry.blob_type == BlobType.TREE


def test_second_save_is_deduplicated(
    repo: Repository, open_repo: Callable[..., Repository]
) -> None:
    payload = os.urandom(5000)
    first = repo.save_data(payload)
    assert first == len(payload) + ENVELOPE_OVERHEAD  # random data is stored uncompressed
    assert repo.save_data(payload) == 0  # pending in the open pack
    tree_id, added = repo.save_tree(sample_tree(b"f"))
    assert added > 0
    assert repo.save_tree(sample_tree(b"f")) == (tree_id, 0)
    repo.flush()
    assert repo.save_data(payload) == 0  # indexed now
    packs = {i.name for i in repo.backend.list("data")}
    assert len(packs) == 2  # one pack of data blobs, one of trees

    again = open_repo()  # a fresh cache, rebuilt from the index files
    assert again.has_data(repo.blob_id(payload))
    assert again.save_data(payload) == 0
    assert again.save_tree(sample_tree(b"f")) == (tree_id, 0)
    again.flush()
    assert {i.name for i in again.backend.list("data")} == packs


def test_an_index_file_per_pack(open_repo: Callable[..., Repository]) -> None:
    repo = open_repo(RepositoryConfig(pack_size=64 * 1024))
    blobs = [os.urandom(30_000) for _ in range(7)]
    for blob in blobs:
        repo.save_data(blob)
    repo.flush()
    # A pack is finished once it holds 64 KiB: 3 + 3 blobs, and the last one at the flush.
    packs = {i.name: i.size for i in repo.backend.list("data")}
    assert len(packs) == 3
    assert repo.blobs.packs_written == repo.blobs.index_files_written == 3
    indexed: dict[str, int] = {}
    for info in repo.backend.list("index"):
        index = decode_index(repo.backend.load(info.name), repo.sealer, info.name)
        (pack_id,) = {e.pack_id for e in index.entries}  # each index file lists one pack
        indexed[pack_object_name(pack_id)] = len(index.entries)
    assert indexed.keys() == packs.keys()
    assert sorted(indexed.values()) == [1, 3, 3]
    assert [open_repo().load_data(repo.blob_id(b)) for b in blobs] == blobs


def test_flipped_bit_in_pack_is_an_integrity_error(
    repo: Repository, backend: MemoryBackend
) -> None:
    first, second = os.urandom(20_000), os.urandom(20_000)
    first_id, second_id = repo.blob_id(first), repo.blob_id(second)
    repo.save_data(first)
    repo.save_data(second)
    repo.flush()
    entry = repo.blobs.lookup(second_id)
    assert entry is not None
    flip_bit(backend, pack_object_name(entry.pack_id), entry.offset + entry.length // 2)

    with pytest.raises(IntegrityError) as caught:
        repo.load_data(second_id)
    assert str(caught.value) == (
        f"data blob {second_id.hex()} in pack {entry.pack_id.hex()}: "
        "authentication failed (corrupted or tampered)"
    )
    assert repo.load_data(first_id) == first  # the other blob of the pack is intact


def test_flipped_bit_in_tree_blob(repo: Repository, backend: MemoryBackend) -> None:
    tree_id, _ = repo.save_tree(sample_tree(b"one", b"two"))
    repo.flush()
    entry = repo.blobs.lookup(tree_id)
    assert entry is not None
    flip_bit(backend, pack_object_name(entry.pack_id), entry.offset + entry.length - 1)
    with pytest.raises(IntegrityError, match=f"tree blob {tree_id.hex()} in pack"):
        repo.load_tree(tree_id)


def test_missing_pack_and_unknown_blob(repo: Repository, backend: MemoryBackend) -> None:
    blob_id = repo.blob_id(b"payload")
    repo.save_data(b"payload")
    repo.flush()
    entry = repo.blobs.lookup(blob_id)
    assert entry is not None
    backend.remove(pack_object_name(entry.pack_id))
    with pytest.raises(IntegrityError) as caught:
        repo.load_data(blob_id)
    assert f"pack {entry.pack_id.hex()} is missing" in str(caught.value)

    unknown = bytes(range(32))
    with pytest.raises(IntegrityError) as caught:
        repo.load_tree(unknown)
    assert str(caught.value) == f"tree blob {unknown.hex()} is not in the index"
    assert not repo.has_data(unknown)


def test_spooled_packs_saved_from_their_files_on_a_local_backend(tmp_path: Path) -> None:
    """The local backend copies each spooled pack from its file: the packs it holds are whole,
    named by their hash, and give back every blob."""
    backend = CountingBackend(LocalBackend(tmp_path / "repo"))
    assert isinstance(backend, FileSaver)
    repo = Repository.init(
        backend, PASSWORD, tmp_path / "cache", config=RepositoryConfig(pack_size=256 * 1024), kdf=CHEAP_KDF
    )
    try:
        blobs = [os.urandom(100_000) for _ in range(7)]
        for blob in blobs:
            repo.save_data(blob)
        repo.flush()
        packs = list(backend.list("data"))
        assert len(packs) == 3
        for info in packs:
            verify_pack_id(backend.load(info.name), pack_id_from_name(info.name))
        assert [repo.load_data(repo.blob_id(b)) for b in blobs] == blobs
    finally:
        repo.close()
