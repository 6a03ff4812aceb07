"""The LMDB index cache: lookups, idempotent merges, first seen wins, persistence, wipes."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from snapstore.index import DiskBlobSet, IndexCache, IndexEntry, lmdb_cache
from tests.index.conftest import make_entries, make_id


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[IndexCache]:
    with IndexCache(tmp_path / "cache") as opened:
        yield opened


def test_merge_then_lookup(cache: IndexCache) -> None:
    entries = make_entries(1, 3) + make_entries(2, 2, first_blob=3)
    assert cache.merge("index/one", entries)
    for e in entries:
        assert cache.lookup(e.blob_id) == e
        assert cache.contains(e.blob_id)
    assert cache.lookup(make_id("absent", 0)) is None
    assert not cache.contains(make_id("absent", 0))
    assert cache.known_files() == {"index/one"}
    assert len(cache) == 5


def test_merge_is_idempotent(cache: IndexCache) -> None:
    entries = make_entries(1, 3)
    assert cache.merge("index/one", entries)
    assert not cache.merge("index/one", make_entries(9, 3))  # a known file is not merged again
    assert cache.merge("index/two", entries)  # same entries under another name: no duplicates
    assert sorted(cache, key=lambda e: e.blob_id) == sorted(entries, key=lambda e: e.blob_id)
    assert cache.known_files() == {"index/one", "index/two"}


def test_first_seen_wins(tmp_path: Path) -> None:
    in_pack_1 = make_entries(1, 2)
    in_pack_2 = make_entries(2, 2, size=70)  # same blob ids, stored again elsewhere
    for order, winner in (((in_pack_1, in_pack_2), in_pack_1), ((in_pack_2, in_pack_1), in_pack_2)):
        with IndexCache(tmp_path / f"cache-{winner[0].pack_id.hex()}") as cache:
            cache.merge("index/a", order[0])
            cache.merge("index/b", order[1])
            assert [cache.lookup(e.blob_id) for e in winner] == winner


def test_first_seen_wins_within_one_merge(cache: IndexCache) -> None:
    first, second = make_entries(1, 1), make_entries(2, 1)
    cache.merge("index/one", first + second)
    assert cache.lookup(first[0].blob_id) == first[0]


def test_pack_ids_are_numbered_once(cache: IndexCache) -> None:
    cache.merge("index/one", make_entries(1, 2))
    cache.merge("index/two", make_entries(2, 2, first_blob=2) + make_entries(1, 1, 4))
    cache.merge("index/three", make_entries(3, 1, first_blob=5))
    pack_ids = {e.blob_id: e.pack_id for e in cache}
    assert pack_ids[make_id("blob", 4)] == make_id("pack", 1)
    assert pack_ids[make_id("blob", 5)] == make_id("pack", 3)
    assert len(set(pack_ids.values())) == 3


def test_persists_across_reopen(tmp_path: Path) -> None:
    entries = make_entries(1, 4)
    with IndexCache(tmp_path / "cache") as cache:
        cache.merge("index/one", entries)
    with IndexCache(tmp_path / "cache") as cache:
        assert cache.lookup(entries[2].blob_id) == entries[2]
        assert cache.known_files() == {"index/one"}
        cache.merge("index/two", make_entries(2, 1, first_blob=10))
        assert len(cache) == 5


def test_a_version_mismatch_wipes_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with IndexCache(tmp_path / "cache") as cache:
        cache.merge("index/one", make_entries(1, 4))
        cache.mark_superseded(["index/zero"])
    monkeypatch.setattr(lmdb_cache, "FORMAT_VERSION", 2)
    with IndexCache(tmp_path / "cache") as cache:
        assert (len(cache), cache.known_files(), cache.superseded_files()) == (0, set(), set())
        cache.merge("index/one", make_entries(1, 1))
    with IndexCache(tmp_path / "cache") as cache:  # same version again: kept
        assert len(cache) == 1


def test_clear(cache: IndexCache) -> None:
    cache.merge("index/one", make_entries(1, 4))
    cache.mark_superseded(["index/zero"])
    cache.clear()
    assert (len(cache), cache.known_files(), cache.superseded_files(), list(cache)) == (
        0,
        set(),
        set(),
        [],
    )
    assert cache.merge("index/one", make_entries(2, 1))
    assert cache.lookup(make_id("blob", 0)) == make_entries(2, 1)[0]


def test_superseded_files_are_recorded_and_forgotten(cache: IndexCache) -> None:
    cache.mark_superseded(["index/a", "index/b"])
    cache.forget_superseded(["index/a", "index/never-recorded"])
    assert cache.superseded_files() == {"index/b"}
    assert cache.known_files() == set()


def test_folder_is_created_private(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "cache"
    IndexCache(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) & 0o077 == 0 for f in path.iterdir())


def test_200k_entries(cache: IndexCache) -> None:
    ids = os.urandom(32 * 200_000)
    entries = [
        IndexEntry(
            ids[32 * n : 32 * n + 32],
            n % 2,
            make_id("pack", n // 2000),
            n % 2000 * 1000,
            1000,
            2000,
            1,
        )
        for n in range(200_000)
    ]
    assert cache.merge("index/big", entries)
    assert len(cache) == 200_000
    for e in entries[::10]:
        assert cache.lookup(e.blob_id) == e
    assert all(cache.contains(e.blob_id) for e in entries[1::10])
    assert sum(1 for _ in cache) == 200_000


def test_pack_of_names_the_pack_of_each_blob(cache: IndexCache) -> None:
    entries = [e for pack in range(300) for e in make_entries(pack, 2, first_blob=2 * pack)]
    cache.merge("index/many-packs", entries)  # pack numbers above 255: byte order matters
    for e in entries:
        assert cache.pack_of(e.blob_id) == e.pack_id
    assert cache.pack_of(make_id("absent", 0)) is None


def test_packs_of_answers_for_many_blobs_at_once(cache: IndexCache) -> None:
    entries = [e for pack in range(300) for e in make_entries(pack, 2, first_blob=2 * pack)]
    cache.merge("index/many-packs", entries)
    absent = make_id("absent", 0)
    asked = [e.blob_id for e in entries[::3]] + [absent]
    assert cache.packs_of(asked) == {e.blob_id: e.pack_id for e in entries[::3]}
    assert cache.packs_of([]) == {}


def test_disk_blob_set_adds_one_or_many_and_tells_which_are_present(tmp_path: Path) -> None:
    ids = [make_id("blob", n) for n in range(10)]
    blobs = DiskBlobSet(tmp_path / "set")
    try:
        blobs.add(ids[0])
        blobs.add_many(ids[1:4])
        assert blobs.present(ids) == set(ids[:4])  # still pending, not yet written
        blobs.add_many(ids[2:6])
        assert len(blobs) == 6  # written now, each once
        blobs.add(ids[9])
        assert blobs.present(reversed(ids)) == {*ids[:6], ids[9]}  # written and pending
        assert all(i in blobs for i in ids[:6]) and ids[7] not in blobs
    finally:
        blobs.close()
