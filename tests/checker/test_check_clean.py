"""A repository nothing damaged passes every check, and the counts say what was checked."""

from __future__ import annotations

from snapstore.checker import ReadSubset
from snapstore.index import BlobType
from snapstore.pack import pack_id_from_name
from tests.checker.conftest import Sample


def test_structure_check_passes(sample: Sample) -> None:
    report = sample.check()
    assert report.errors == [] and report.info == []
    assert report.snapshots == 2
    assert report.index_files == len(list(sample.backend.list("index")))
    assert report.packs == len(sample.packs()) > 4
    # 2 x (root ancestors..src, src, sub): trees shared by both snapshots are loaded once.
    trees = {e.blob_id for entries in sample.packs(BlobType.TREE).values() for e in entries}
    assert report.trees == len(trees)
    # dup (once), f0..f5, text v1, text v2, new, same
    assert report.data_blobs == 11
    assert (report.packs_read, report.blobs_read, report.bytes_read) == (0, 0, 0)


def test_read_data_reads_every_pack_and_blob(sample: Sample) -> None:
    report = sample.check(read_data=True)
    assert report.errors == []
    packs = sample.packs()
    assert report.packs_read == len(packs)
    assert report.blobs_read == sum(len(entries) for entries in packs.values())
    assert report.bytes_read == sum(info.size for info in sample.backend.list("data"))


def test_slices_read_each_pack_once(sample: Sample) -> None:
    sizes = {pack_id_from_name(i.name): i.size for i in sample.backend.list("data")}
    reports = [sample.check(True, subset=ReadSubset(number=n, slices=3)) for n in (1, 2, 3)]
    assert all(r.errors == [] for r in reports)
    assert sum(r.packs_read for r in reports) == len(sizes)
    assert sum(r.bytes_read for r in reports) == sum(sizes.values())


def test_percentage_is_repeatable_with_its_seed(sample: Sample) -> None:
    half = ReadSubset(percent=50)
    first, again = (sample.check(True, subset=half, seed=42) for _ in range(2))
    other = sample.check(True, subset=half, seed=43)
    total = len(sample.packs())
    assert first.packs_read == other.packs_read == (total + 1) // 2
    assert first.bytes_read == again.bytes_read
    assert first.errors == other.errors == []


def test_check_releases_its_lock(sample: Sample) -> None:
    sample.check()
    assert list(sample.backend.list("locks")) == []
