"""Syncing the cache with the repository's index files, as several hosts writing at once would."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from snapstore.backend import MemoryBackend, ObjectInfo
from snapstore.crypto import Sealer
from snapstore.errors import IntegrityError
from snapstore.index import IndexCache, IndexEntry, encode_index, index_file_id, sync_cache
from tests.index.conftest import make_entries, make_id


class CountingBackend(MemoryBackend):
    """Records the names loaded, to show a sync downloads only what it must."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []

    def load(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        self.loaded.append(name)
        return super().load(name, offset, length)


@pytest.fixture
def backend() -> CountingBackend:
    return CountingBackend()


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[IndexCache]:
    with IndexCache(tmp_path / "cache") as opened:
        yield opened


def write_index(
    backend: MemoryBackend,
    sealer: Sealer,
    entries: list[IndexEntry],
    supersedes: tuple[str, ...] = (),
) -> str:
    """What another host does after a backup (or a prune, with `supersedes`)."""
    name, data = encode_index(entries, [index_file_id(s) for s in supersedes], sealer)
    backend.save(name, data)
    return name


def test_empty_repository(cache: IndexCache, backend: CountingBackend, sealer: Sealer) -> None:
    report = sync_cache(cache, backend, sealer)
    assert (report.merged, report.rebuilt, report.superseded) == (0, False, 0)


def test_picks_up_a_file_written_by_another_host(
    cache: IndexCache, backend: CountingBackend, sealer: Sealer
) -> None:
    first = write_index(backend, sealer, make_entries(1, 3))
    assert sync_cache(cache, backend, sealer).merged == 1
    other_host = make_entries(2, 2, first_blob=10)
    second = write_index(backend, sealer, other_host)
    backend.loaded.clear()
    report = sync_cache(cache, backend, sealer)
    assert (report.merged, report.rebuilt) == (1, False)
    assert backend.loaded == [second]  # the known file is not downloaded again
    assert cache.lookup(other_host[1].blob_id) == other_host[1]
    assert cache.known_files() == {first, second}


def test_nothing_new_downloads_nothing(
    cache: IndexCache, backend: CountingBackend, sealer: Sealer
) -> None:
    write_index(backend, sealer, make_entries(1, 3))
    sync_cache(cache, backend, sealer)
    backend.loaded.clear()
    assert sync_cache(cache, backend, sealer).merged == 0
    assert backend.loaded == []


def test_rebuilds_when_a_known_file_disappears(
    cache: IndexCache, backend: CountingBackend, sealer: Sealer
) -> None:
    gone = write_index(backend, sealer, make_entries(1, 3))
    kept = write_index(backend, sealer, make_entries(2, 2, first_blob=10))
    sync_cache(cache, backend, sealer)
    # A prune elsewhere repacked blob 0 into pack 3, dropped blobs 1 and 2, deleted the old file.
    repacked = make_entries(3, 1)
    replacement = write_index(backend, sealer, repacked, supersedes=(gone,))
    backend.remove(gone)
    report = sync_cache(cache, backend, sealer)
    assert (report.merged, report.rebuilt) == (2, True)
    assert cache.known_files() == {kept, replacement}
    assert cache.lookup(repacked[0].blob_id) == repacked[0]
    assert not cache.contains(make_id("blob", 1))
    assert cache.contains(make_id("blob", 10))


def test_rebuilds_when_a_new_file_supersedes_a_merged_one(
    cache: IndexCache, backend: CountingBackend, sealer: Sealer
) -> None:
    old = write_index(backend, sealer, make_entries(1, 3))
    sync_cache(cache, backend, sealer)
    repacked = make_entries(3, 1)
    new = write_index(backend, sealer, repacked, supersedes=(old,))  # old not deleted yet
    report = sync_cache(cache, backend, sealer)
    assert report.rebuilt and report.superseded == 1
    assert cache.known_files() == {new}
    assert cache.lookup(repacked[0].blob_id) == repacked[0]
    assert not cache.contains(make_id("blob", 1))


@pytest.mark.parametrize("old_sorts_first", [True, False])
def test_a_superseded_file_is_never_merged(
    tmp_path: Path, backend: CountingBackend, sealer: Sealer, old_sorts_first: bool
) -> None:
    # Files are read in name order, and names are random hashes: force each order in turn.
    old = write_index(backend, sealer, make_entries(1, 3))
    while True:
        new = write_index(backend, sealer, make_entries(3, 1), supersedes=(old,))
        if (old < new) == old_sorts_first:
            break
        backend.remove(new)
    with IndexCache(tmp_path / "fresh") as cache:
        sync_cache(cache, backend, sealer)
        assert cache.known_files() == {new}
        assert not cache.contains(make_id("blob", 1))
        backend.loaded.clear()
        report = sync_cache(cache, backend, sealer)  # old is still listed: not read again
        assert (report.merged, report.rebuilt, backend.loaded) == (0, False, [])
        backend.remove(old)  # the prune finishes: nothing merged went away, no rebuild
        report = sync_cache(cache, backend, sealer)
        assert (report.merged, report.rebuilt, report.superseded) == (0, False, 0)
        assert cache.superseded_files() == set()
        assert not cache.contains(make_id("blob", 1))


def test_rebuilds_after_a_sync_interrupted_before_its_rebuild(
    cache: IndexCache, backend: CountingBackend, sealer: Sealer
) -> None:
    old = write_index(backend, sealer, make_entries(1, 3))
    new = write_index(backend, sealer, make_entries(3, 1), supersedes=(old,))
    # The state a sync leaves if killed after merging both files, before clearing the cache.
    cache.merge(old, make_entries(1, 3))
    cache.merge(new, make_entries(3, 1))
    cache.mark_superseded([old])
    report = sync_cache(cache, backend, sealer)
    assert (report.merged, report.rebuilt) == (1, True)
    assert cache.known_files() == {new}
    assert not cache.contains(make_id("blob", 1))


def write_sorting(
    backend: MemoryBackend,
    sealer: Sealer,
    pack: int,
    supersedes: str,
    rank: int,
    ranks: dict[str, int],
) -> str:
    """Write an index file again and again until its name sorts at `rank` among `ranks`."""
    while True:
        name = write_index(backend, sealer, make_entries(pack, 1), supersedes=(supersedes,))
        if all((name < other) == (rank < other_rank) for other, other_rank in ranks.items()):
            ranks[name] = rank
            return name
        backend.remove(name)


@pytest.mark.parametrize("ranks", list(itertools.permutations(range(3))), ids=str)
def test_superseding_is_transitive_in_any_name_order(
    cache: IndexCache, backend: CountingBackend, sealer: Sealer, ranks: tuple[int, int, int]
) -> None:
    first = write_index(backend, sealer, make_entries(1, 3))
    known = {first: ranks[0]}
    second = write_sorting(backend, sealer, 2, first, ranks[1], known)  # a prune that crashed
    third = write_sorting(backend, sealer, 3, second, ranks[2], known)  # and the next prune
    assert sorted(known, key=known.__getitem__) == sorted(known)
    report = sync_cache(cache, backend, sealer)
    assert cache.known_files() == {third}
    assert cache.superseded_files() == {first, second}
    assert report.superseded == 2
    assert cache.lookup(make_id("blob", 0)) == make_entries(3, 1)[0]
    assert not cache.contains(make_id("blob", 1))


def test_two_hosts_agree_on_a_blob_stored_twice(
    tmp_path: Path, backend: CountingBackend, sealer: Sealer
) -> None:
    write_index(backend, sealer, make_entries(1, 2))
    write_index(backend, sealer, make_entries(2, 2))  # the same blobs, uploaded concurrently
    found = []
    for host in ("a", "b"):
        with IndexCache(tmp_path / host) as cache:
            sync_cache(cache, backend, sealer)
            found.append(cache.lookup(make_id("blob", 0)))
    assert found[0] == found[1]


def test_a_damaged_file_is_reported(
    cache: IndexCache, backend: CountingBackend, sealer: Sealer
) -> None:
    name = write_index(backend, sealer, make_entries(1, 2))
    backend.save(name, backend.load(name)[:-1])
    with pytest.raises(IntegrityError, match=re.escape(name)):
        sync_cache(cache, backend, sealer)
    assert cache.known_files() == set()


def test_a_file_another_process_merges_during_the_listing_is_no_reason_to_rebuild(
    tmp_path: Path, sealer: Sealer
) -> None:
    """Two processes of one host share its cache (a backup and a prune, two backups). One saved
    and merged its new index file just after the other listed `index/`: the file is known but
    not listed, which looked like a file a prune removed, and emptied the cache under the
    process that was using it."""
    backend = CountingBackend()
    write_index(backend, sealer, make_entries(1, 2))
    with IndexCache(tmp_path / "shared") as cache:
        sync_cache(cache, backend, sealer)
        listing = backend.list

        def list_then_other_process_merges(prefix: str) -> Iterator[ObjectInfo]:
            found = list(listing(prefix))
            entries = make_entries(2, 2, first_blob=10)
            cache.merge(write_index(backend, sealer, entries), entries)
            return iter(found)

        backend.list = list_then_other_process_merges  # type: ignore[method-assign]
        report = sync_cache(cache, backend, sealer)
        assert (report.merged, report.rebuilt) == (0, False)
        assert cache.contains(make_id("blob", 10)) and cache.contains(make_id("blob", 0))
