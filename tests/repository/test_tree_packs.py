"""Tree packs read whole: the trees of a walk cost one read per pack, not one per tree; the packs
held stay within their byte budget, least recently used dropped first; a pack is read whole once
per session at most (its trees are read alone after it was dropped); packs too large to hold are
never read whole; and a damaged or missing tree pack is still an error naming the blob or pack."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from snapstore.backend import MemoryBackend, waits_round_trips
from snapstore.backend.counting import CountingBackend
from snapstore.backend.faulty import FaultyBackend
from snapstore.backend.retrying import RetryingBackend, RetryPolicy
from snapstore.errors import IntegrityError
from snapstore.index import BlobType, IndexEntry
from snapstore.pack import pack_object_name
from snapstore.repository import Repository
from snapstore.repository.tree_packs import TreePacks
from tests.repository.conftest import flip_bit, sample_tree

KiB = 1 << 10


class FakePacks:
    """Packs whose byte at offset i is i % 256, read whole or in part, each read recorded."""

    def __init__(self, sizes: dict[bytes, int]) -> None:
        self.sizes = sizes
        self.whole: list[bytes] = []
        self.ranges: list[tuple[bytes, int, int]] = []

    def load_pack(self, pack_id: bytes) -> bytes:
        self.whole.append(pack_id)
        return expected(0, self.sizes[pack_id])

    def load_range(self, pack_id: bytes, offset: int, length: int) -> bytes:
        self.ranges.append((pack_id, offset, length))
        return expected(offset, min(length, self.sizes[pack_id] - offset))


def entry(pack: bytes, offset: int, length: int = 10) -> IndexEntry:
    return IndexEntry(bytes(32), int(BlobType.TREE), pack, offset, length, length, 0)


def expected(offset: int, length: int = 10) -> bytes:
    return bytes(i % 256 for i in range(offset, offset + length))


A, B, C = (bytes([n]) * 32 for n in (1, 2, 3))


def test_the_trees_of_one_pack_cost_one_read() -> None:
    packs = FakePacks({A: 1000})
    trees = TreePacks(packs.load_pack, packs.load_range, pack_size=500, remote=True, held_bytes=1000)
    for offset in (900, 0, 450, 990, 100):
        assert bytes(trees.envelope(entry(A, offset))) == expected(offset)
    assert packs.whole == [A] and packs.ranges == []
    assert (trees.whole_reads, trees.blob_reads) == (1, 0)


def test_packs_beyond_the_budget_are_dropped_oldest_first_and_never_read_whole_twice() -> None:
    fake = FakePacks({A: 400, B: 400, C: 400})
    trees = TreePacks(fake.load_pack, fake.load_range, pack_size=400, remote=True, held_bytes=800)
    for pack in (A, B, A, C):  # A was used after B: B is the one dropped for C
        assert bytes(trees.envelope(entry(pack, 20))) == expected(20)
    assert fake.whole == [A, B, C]
    assert bytes(trees.envelope(entry(A, 30))) == expected(30)  # still held
    assert fake.whole == [A, B, C] and fake.ranges == []
    assert bytes(trees.envelope(entry(B, 40))) == expected(40)  # dropped: this tree alone
    assert fake.ranges == [(B, 40, 10)]
    assert (trees.whole_reads, trees.blob_reads) == (3, 1)


def test_a_pack_larger_than_the_budget_is_not_held() -> None:
    fake = FakePacks({A: 3000})
    trees = TreePacks(fake.load_pack, fake.load_range, pack_size=400, remote=True, held_bytes=1000)
    assert bytes(trees.envelope(entry(A, 2500))) == expected(2500)
    assert bytes(trees.envelope(entry(A, 10))) == expected(10)
    assert fake.whole == [A] and fake.ranges == [(A, 10, 10)]


def test_a_repository_of_large_packs_reads_each_tree_alone() -> None:
    fake = FakePacks({A: 1000})
    trees = TreePacks(fake.load_pack, fake.load_range, pack_size=600, remote=True, held_bytes=1000)
    for offset in (0, 10, 20):
        assert bytes(trees.envelope(entry(A, offset))) == expected(offset)
    assert fake.whole == [] and len(fake.ranges) == 3


def test_a_pack_shorter_than_its_index_says_gives_a_short_envelope() -> None:
    fake = FakePacks({A: 100})
    trees = TreePacks(fake.load_pack, fake.load_range, pack_size=100, remote=True, held_bytes=1000)
    assert bytes(trees.envelope(entry(A, 95))) == expected(95, 5)


# Through the repository: loads counted on the backend.


class CountingMemory(MemoryBackend):
    """An object store, as far as reading trees goes: each request waits a round trip."""

    round_trips = True

    def __init__(self) -> None:
        super().__init__()
        self.data_loads: list[tuple[str, int, int | None]] = []

    def load(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        if name.startswith("data/"):
            self.data_loads.append((name, offset, length))
        return super().load(name, offset, length)


@pytest.fixture
def backend() -> CountingMemory:
    """Replaces the conftest's backend, under every repository `open_repo` opens."""
    return CountingMemory()


def saved_trees(repo: Repository, count: int) -> dict[bytes, object]:
    trees = {}
    for n in range(count):
        tree = sample_tree(*(b"file-%d-%d" % (n, i) for i in range(n % 5 + 1)))
        tree_id, _ = repo.save_tree(tree)
        trees[tree_id] = tree
    repo.flush()
    return trees


def test_a_later_session_loads_a_hundred_trees_with_one_read(
    backend: CountingMemory, open_repo: Callable[..., Repository]
) -> None:
    trees = saved_trees(open_repo(), 100)
    later = open_repo()
    backend.data_loads.clear()
    for tree_id in reversed(list(trees)):  # a walk reads parents first: the last written
        assert later.load_tree(tree_id) == trees[tree_id]
        assert later.load_tree_references(tree_id)[0] == []  # sample trees: files without data
    (pack_name,) = {name for name, _, _ in backend.data_loads}
    assert backend.data_loads == [(pack_name, 0, None)]


def test_a_damaged_tree_pack_is_an_integrity_error_naming_the_blob(
    backend: CountingMemory, open_repo: Callable[..., Repository]
) -> None:
    trees = saved_trees(open_repo(), 3)
    first = next(iter(trees))
    later = open_repo()
    found = later.blobs.lookup(first)
    assert found is not None
    flip_bit(backend, pack_object_name(found.pack_id), found.offset + 5)
    with pytest.raises(IntegrityError, match=first.hex()):
        later.load_tree(first)
    backend.remove(pack_object_name(found.pack_id))
    with pytest.raises(IntegrityError, match=f"pack {found.pack_id.hex()} is missing"):
        open_repo().load_tree(first)


def test_a_local_repository_reads_each_tree_alone_and_holds_no_pack(
    open_repo: Callable[..., Repository], backend: CountingMemory
) -> None:
    backend.round_trips = False  # type: ignore[misc]
    trees = saved_trees(open_repo(), 5)
    later = open_repo()
    backend.data_loads.clear()
    for tree_id, tree in trees.items():
        assert later.load_tree(tree_id) == tree
    assert len(backend.data_loads) == 5 and all(length for _, _, length in backend.data_loads)
    assert (later.blobs.tree_packs.whole_reads, later.blobs.tree_packs.blob_reads) == (0, 5)


def test_wrappers_answer_for_the_backend_they_wrap() -> None:
    remote, local = CountingMemory(), MemoryBackend()
    for inner, expected in ((remote, True), (local, False)):
        wrapped = RetryingBackend(CountingBackend(FaultyBackend(inner)), RetryPolicy(retries=0))
        assert waits_round_trips(inner) is expected and waits_round_trips(wrapped) is expected
