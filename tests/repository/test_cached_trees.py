"""Trees read through the local tree cache: a second read comes from the cache, also in a later
process; a corrupted entry is detected and read again from the repository; and only
`load_cached_tree` trusts the cache, never `load_tree`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from snapstore.backend import MemoryBackend
from snapstore.errors import IntegrityError
from snapstore.model import Tree
from snapstore.pack import pack_object_name
from snapstore.repository import Repository
from tests.repository.conftest import sample_tree


def saved_tree(repo: Repository, *names: bytes) -> tuple[bytes, Tree]:
    tree = sample_tree(*names)
    tree_id, _ = repo.save_tree(tree)
    repo.flush()
    return tree_id, tree


def test_second_read_comes_from_the_cache(open_repo: Callable[..., Repository]) -> None:
    repo = open_repo(cache="shared")
    tree_id, tree = saved_tree(repo, b"a", b"b")
    assert repo.load_cached_tree(tree_id) == tree
    assert (repo.trees.hits, repo.trees.misses) == (0, 1)
    assert repo.load_cached_tree(tree_id) == tree
    assert (repo.trees.hits, repo.trees.misses) == (1, 1)
    repo.close()  # writes the trees put
    later = open_repo(cache="shared")
    assert later.load_cached_tree(tree_id) == tree
    assert (later.trees.hits, later.trees.misses) == (1, 0)


@pytest.mark.parametrize(
    "entry",
    [
        b'{"nodes":[],"version":1}',  # another tree's plaintext
        b"",
        b"\x28\xb5\x2f\xfd not even JSON",
    ],
)
def test_corrupted_entry_is_read_again_from_the_repository(repo: Repository, entry: bytes) -> None:
    tree_id, tree = saved_tree(repo, b"a", b"b")
    repo.trees.cache.put(tree_id, entry)
    repo.trees.cache.flush()
    assert repo.load_cached_tree(tree_id) == tree
    assert (repo.trees.hits, repo.trees.misses) == (0, 1)
    # The bad entry was replaced by the good one.
    assert repo.load_cached_tree(tree_id) == tree
    assert (repo.trees.hits, repo.trees.misses) == (1, 1)


def test_cached_entries_are_sealed_and_bound_to_their_tree(
    open_repo: Callable[..., Repository], tmp_path: Path
) -> None:
    repo = open_repo(cache="shared")
    first_id, first = saved_tree(repo, b"secret-name-one")
    second_id, second = saved_tree(repo, b"secret-name-two")
    assert repo.load_cached_tree(first_id) == first
    assert repo.load_cached_tree(second_id) == second
    repo.trees.cache.flush()
    (payloads,) = tmp_path.glob("shared/*/trees/payloads-*")
    assert b"secret-name" not in payloads.read_bytes()
    # The first tree's sealed entry filed under the second tree's id does not pass for it.
    moved = repo.trees.cache.get(first_id)
    assert moved is not None
    repo.trees.cache.put(second_id, moved)
    repo.trees.cache.flush()
    hits, misses = repo.trees.hits, repo.trees.misses
    assert repo.load_cached_tree(second_id) == second
    assert (repo.trees.hits, repo.trees.misses) == (hits, misses + 1)
    repo.close()


def test_corrupted_entry_of_a_lost_tree_fails_clearly(
    repo: Repository, backend: MemoryBackend
) -> None:
    tree_id, _ = saved_tree(repo, b"a")
    entry = repo.blobs.lookup(tree_id)
    assert entry is not None
    backend.remove(pack_object_name(entry.pack_id))
    repo.trees.cache.put(tree_id, b"x" * 40)
    with pytest.raises(IntegrityError, match="is missing"):
        repo.load_cached_tree(tree_id)


def test_load_tree_never_reads_the_cache(
    open_repo: Callable[..., Repository], backend: MemoryBackend
) -> None:
    """What checks the repository (check, restore, copy) must see a tree that is gone."""
    repo = open_repo(cache="shared")
    tree_id, tree = saved_tree(repo, b"a")
    assert repo.load_cached_tree(tree_id) == tree  # now cached
    entry = repo.blobs.lookup(tree_id)
    assert entry is not None
    repo.close()
    backend.remove(pack_object_name(entry.pack_id))
    later = open_repo(cache="shared")  # a later command: the tree cache is all it has
    with pytest.raises(IntegrityError, match="is missing"):
        later.load_tree(tree_id)
    assert later.load_cached_tree(tree_id) == tree


def test_bytes_changed_in_the_cache_file_are_detected(
    open_repo: Callable[..., Repository], tmp_path: Path
) -> None:
    repo = open_repo(cache="shared")
    tree_id, tree = saved_tree(repo, b"a", b"b", b"c")
    repo.load_cached_tree(tree_id)
    repo.close()
    (payloads,) = tmp_path.glob("shared/*/trees/payloads-*")
    data = bytearray(payloads.read_bytes())
    data[len(data) // 2] ^= 0x01
    payloads.write_bytes(bytes(data))
    later = open_repo(cache="shared")
    assert later.load_cached_tree(tree_id) == tree
    assert (later.trees.hits, later.trees.misses) == (0, 1)
