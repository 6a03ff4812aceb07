"""What is information, not an error: packs no index lists, packs a prune marked as trash,
index files superseded but not yet removed; and what a pack left out of the index costs."""

from __future__ import annotations

import os

from snapstore.index import BlobType, decode_index, encode_index, index_file_id
from snapstore.pack import PackWriter
from snapstore.repository.layout import blob_associated
from tests.checker.conftest import Sample, kinds, pack_id


def extra_pack(sample: Sample) -> str:
    """A valid pack that no index lists, as a backup killed before its index file leaves."""
    writer = PackWriter()
    plaintext = os.urandom(500)
    blob_id = sample.repo.blob_id(plaintext)
    envelope = sample.repo.sealer.seal(plaintext, blob_associated(BlobType.DATA, blob_id))
    writer.add(BlobType.DATA, blob_id, envelope, len(plaintext), 0)
    pack = writer.finish(sample.repo.sealer)
    sample.backend.save(pack.name, pack.data)
    return pack.name


def test_unreferenced_pack_is_information(sample: Sample) -> None:
    name = extra_pack(sample)
    report = sample.check(read_data=True)
    assert report.errors == []
    assert kinds(report.info) == ["pack-unreferenced"]
    assert report.info[0].message.startswith(f"pack {name} is in no index")


def test_trash_pack_is_information_and_not_unreferenced(sample: Sample) -> None:
    name = extra_pack(sample)
    sample.backend.save(f"trash/{pack_id(name)}", b'{"marked_at": "2026-11-21T12:00:00+00:00"}')
    report = sample.check()
    assert report.errors == []
    assert kinds(report.info) == ["pack-trash"]
    assert report.info[0].message == (
        f"pack {name} is pending deletion by prune (no longer indexed)"
    )


def test_superseded_index_file_is_information(sample: Sample) -> None:
    old = min(info.name for info in sample.backend.list("index"))
    entries = decode_index(sample.backend.load(old), sample.repo.sealer, old).entries
    sample.backend.save(*encode_index(entries, [index_file_id(old)], sample.repo.sealer))
    report = sample.check()
    assert report.errors == []
    assert kinds(report.info) == ["index-superseded"]
    assert old in report.info[0].message


def test_pack_left_out_of_the_index_makes_its_blobs_missing(sample: Sample) -> None:
    name = sample.pack_of("sub/f0.bin")
    packs = sample.packs()
    for info in list(sample.backend.list("index")):
        sample.backend.remove(info.name)
    kept = [e for n, entries in packs.items() if n != name for e in entries]
    sample.backend.save(*encode_index(kept, (), sample.repo.sealer))
    report = sample.check()
    assert kinds(report.info) == ["pack-unreferenced"]
    missing = [p for p in report.errors if p.kind == "blob-missing"]
    assert kinds(report.errors) == ["blob-missing"] * len(missing)
    f0 = [p for p in missing if p.fields["path"] == sample.path("sub/f0.bin")]
    assert [p.fields["snapshot"] for p in f0] == sample.snapshot_ids
    blob = sample.repo.blob_id((sample.src / "sub/f0.bin").read_bytes()).hex()
    assert f0[0].message == (
        f"snapshot {sample.snapshot_ids[0][:8]}: file {sample.path('sub/f0.bin')}: data blob "
        f"{blob} is not in the index"
    )


def test_index_files_that_disagree(sample: Sample) -> None:
    name = sample.pack_of("sub/f0.bin")
    entries = sample.packs()[name]
    first = entries[0]
    other = type(first)(os.urandom(32), first.blob_type, first.pack_id, first.offset,
                        first.length, first.raw_length, first.compression)  # fmt: skip
    sample.backend.save(*encode_index([other], (), sample.repo.sealer))
    report = sample.check()
    assert "index-conflict" in kinds(report.errors)
