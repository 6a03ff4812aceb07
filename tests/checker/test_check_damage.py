"""Damaged repositories as fixtures (architecture guide): each damage is found, named, and the
files and snapshots that lose data because of it are named too."""

from __future__ import annotations

import os

from snapstore.index import BlobType, IndexEntry, encode_index
from snapstore.pack import pack_object_name
from tests.checker.conftest import Sample, kinds


def test_missing_data_pack_names_the_pack_and_the_files(sample: Sample) -> None:
    name = sample.pack_of("sub/f3.bin")
    sample.backend.remove(name)
    report = sample.check()
    assert kinds(report.errors)[0] == "pack-missing"
    assert report.errors[0].message == f"pack {name} is in the index but not on the backend"
    lost = [p for p in report.errors if p.kind == "blob-unreadable"]
    assert sample.path("sub/f3.bin") in {p.fields["path"] for p in lost}
    f3 = next(p for p in lost if p.fields["path"] == sample.path("sub/f3.bin"))
    assert f3.fields["snapshot"] == sample.snapshot_ids[0]  # the oldest that reaches it
    assert f3.message.startswith(f"snapshot {sample.snapshot_ids[0][:8]}: file ")
    assert f3.message.endswith(f"is unreadable (pack {name} is missing)")


def test_truncated_pack(sample: Sample) -> None:
    name = sample.pack_of("sub/f1.bin")
    data = sample.backend.load(name)
    sample.backend.save(name, data[: len(data) // 2])
    report = sample.check()
    assert kinds(report.errors)[0] == "pack-size"
    assert report.errors[0].message.startswith(f"pack {name} is {len(data) // 2} bytes, ")
    assert report.errors[0].message.endswith("(truncated)")
    assert "blob-unreadable" in kinds(report.errors)


def test_flipped_bit_in_a_blob_needs_read_data(sample: Sample) -> None:
    name = sample.pack_of("sub/f2.bin")
    entry = sample.repo.lookup(sample.repo.blob_id((sample.src / "sub/f2.bin").read_bytes()))
    assert entry is not None
    sample.flip_bit(name, entry.offset + 100)
    assert sample.check().errors == []  # the header and sizes are intact
    report = sample.check(read_data=True)
    # f2.bin is named in both snapshots: its folder `sub` changed, so each has its own tree.
    assert kinds(report.errors) == ["pack-data", "blob-damaged", *["blob-unreadable"] * 2]
    assert report.errors[0].message.startswith(f"pack {name}: content hashes to ")
    assert f"blob {entry.blob_id.hex()} in pack {entry.pack_id.hex()}" in report.errors[1].message
    for file_error, snapshot_id in zip(report.errors[2:], sample.snapshot_ids):
        assert file_error.fields["path"] == sample.path("sub/f2.bin")
        assert file_error.fields["blob"] == entry.blob_id.hex()
        assert file_error.fields["snapshot"] == snapshot_id
    # The other blobs of the pack were verified all the same.
    total = sum(len(entries) for entries in sample.packs().values())
    assert report.blobs_read == total - 1


def test_flipped_bit_in_a_pack_header(sample: Sample) -> None:
    name = sample.pack_of("sub/f4.bin")
    size = len(sample.backend.load(name))
    sample.flip_bit(name, size - 20)  # inside the sealed header's tag
    report = sample.check()
    assert kinds(report.errors) == ["pack-header"]
    assert report.errors[0].message.startswith(f"pack {name}: header cannot be read: ")


def test_dangling_index_entry(sample: Sample) -> None:
    fake_pack = os.urandom(32)
    entry = IndexEntry(os.urandom(32), BlobType.DATA, fake_pack, 0, 100, 80, 0)
    index_name, data = encode_index([entry], (), sample.repo.sealer)
    sample.backend.save(index_name, data)
    report = sample.check()
    assert kinds(report.errors) == ["pack-missing"]
    assert pack_object_name(fake_pack) in report.errors[0].message


def test_index_that_disagrees_with_the_pack_header(sample: Sample) -> None:
    name = sample.pack_of("sub/f5.bin")
    entries = sample.packs()[name]
    wrong = [IndexEntry(e.blob_id, e.blob_type, e.pack_id, e.offset, e.length, e.raw_length + 1,
                        e.compression) for e in entries]  # fmt: skip
    for info in list(sample.backend.list("index")):  # an index of that pack alone, and wrong
        sample.backend.remove(info.name)
    rest = [e for n, es in sample.packs().items() if n != name for e in es]
    for batch in (rest, wrong):
        sample.backend.save(*encode_index(batch, (), sample.repo.sealer))
    report = sample.check()
    assert kinds(report.errors) == ["pack-header"]
    assert report.errors[0].message.startswith(
        f"pack {name}: index and pack header disagree: {len(entries)} index entries not in the "
        f"header, {len(entries)} header entries not in the index"
    )


def test_missing_tree_pack_names_snapshot_and_path(sample: Sample) -> None:
    tree_packs = sample.packs(BlobType.TREE)
    for name in tree_packs:
        sample.backend.remove(name)
    report = sample.check()
    assert set(kinds(report.errors)) == {"pack-missing", "tree"}
    trees = [p for p in report.errors if p.kind == "tree"]
    # Each snapshot's root tree differs (folder times), so both are named, at "/".
    assert {(p.fields["snapshot"], p.fields["path"]) for p in trees} == {
        (sid, "/") for sid in sample.snapshot_ids
    }
    assert trees[0].message.startswith(f"snapshot {sample.snapshot_ids[0][:8]}: tree ")
    assert "cannot be read: pack data/" in trees[0].message and "is missing" in trees[0].message
    assert report.trees == 0


def test_corrupted_snapshot(sample: Sample) -> None:
    name = f"snapshots/{sample.snapshot_ids[1]}"
    sample.flip_bit(name, 50)
    report = sample.check()
    assert kinds(report.errors) == ["snapshot"]
    assert report.errors[0].message == (
        f"snapshot {sample.snapshot_ids[1]}: content does not match its name"
    )
    assert report.snapshots == 1


def test_damaged_index_file(sample: Sample) -> None:
    name = min(info.name for info in sample.backend.list("index"))
    sample.flip_bit(name, 30)
    report = sample.check()
    assert kinds(report.errors)[0] == "index"
    assert report.errors[0].message.startswith(f"index file {name}: content hashes to ")
    # Its pack is now in no index: information, and the blobs in it are missing.
    assert "pack-unreferenced" in kinds(report.info)


def test_damaged_tree_shared_by_snapshots_lists_them(sample: Sample) -> None:
    keep = sample.repo.load_tree(sample.repo.load_snapshot(sample.snapshot_ids[0]).tree)
    for part in [p for p in str(sample.src / "keep").split("/") if p]:
        node = keep.get(part.encode())
        assert node is not None and node.subtree is not None
        keep_id = node.subtree
        keep = sample.repo.load_tree(keep_id)
    entry = sample.repo.lookup(keep_id)
    assert entry is not None
    sample.flip_bit(pack_object_name(entry.pack_id), entry.offset + 50)
    report = sample.check()
    assert kinds(report.errors) == ["tree"]
    error = report.errors[0]
    assert error.fields["path"] == sample.path("keep")
    assert error.fields["snapshots"] == sample.snapshot_ids  # unchanged folder: one tree blob
    assert error.message.startswith(
        f"snapshot {sample.snapshot_ids[0][:8]}: tree {keep_id.hex()} of {sample.path('keep')} "
        f"cannot be read: tree blob {keep_id.hex()} in pack {entry.pack_id.hex()}"
    )
