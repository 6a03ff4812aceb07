"""`snap check` on a clean repository and on damaged copies of it: each damage is named on
standard output (`error: <kind>: <message>`), the command exits 1 with one line on standard
error, and --read-data slices read every pack once."""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from snapstore.index import BlobType, IndexEntry, encode_index
from snapstore.pack import PackWriter, pack_object_name
from snapstore.repository import RepositoryConfig
from snapstore.repository.layout import blob_associated
from tests.e2e.conftest import Snap, assert_one_line_error, init_local_repository

FILE_SIZE = 20_000


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two snapshots of a folder, in packs of about 50 kB (so several data packs)."""
    root = tmp_path_factory.mktemp("check")
    snap = Snap(root / "snap")
    init_local_repository(snap.repo, snap.cache, RepositoryConfig(pack_size=50_000))
    src = root / "src"
    (src / "sub").mkdir(parents=True)
    rng = random.Random(3)
    for i in range(5):
        (src / "sub" / f"f{i}.bin").write_bytes(rng.randbytes(FILE_SIZE))
    (src / "notes.txt").write_bytes(b"note\n" * 1000)
    first = snap.backup(src)["snapshot_id"]
    (src / "notes.txt").write_bytes(b"more notes\n" * 1000)
    second = snap.backup(src)["snapshot_id"]
    return {"snap": snap, "src": src, "ids": [first, second]}


@pytest.fixture
def copy(built: dict[str, Any], tmp_path: Path) -> Snap:
    """A private copy of the built repository (and of its cache) to damage."""
    shutil.copytree(built["snap"].root, tmp_path / "snap")
    return Snap(tmp_path / "snap")


def pack_of(snap: Snap, path: Path) -> Path:
    repo = snap.open()
    try:
        entry = repo.lookup(repo.blob_id(path.read_bytes()))
        assert entry is not None
        return snap.repo / pack_object_name(entry.pack_id)
    finally:
        repo.close()


def flip_bit(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.chmod(0o600)
    path.write_bytes(data)


def check_fails(snap: Snap, *args: str) -> list[str]:
    """Run a check that must find errors; return its stdout lines."""
    done = snap.run("check", *args)
    assert done.returncode == 1, done.err
    assert_one_line_error(done.err)
    lines = done.out.splitlines()
    count = sum(line.startswith("error: ") for line in lines)
    errors = f"{count} error{'s' if count > 1 else ''}"
    assert done.err == f"snap: error: check found {errors} in the repository\n"
    assert lines[-1] == f"{errors} found"
    return lines


def extra_pack(snap: Snap) -> str:
    """Store a valid pack that no index lists (as a backup killed before its index file)."""
    repo = snap.open()
    try:
        plaintext = os.urandom(300)
        blob_id = repo.blob_id(plaintext)
        writer = PackWriter()
        envelope = repo.sealer.seal(plaintext, blob_associated(BlobType.DATA, blob_id))
        writer.add(BlobType.DATA, blob_id, envelope, len(plaintext), 0)
        pack = writer.finish(repo.sealer)
        repo.backend.save(pack.name, pack.data)
        return pack.name
    finally:
        repo.close()


def test_clean_repository(copy: Snap) -> None:
    lines = copy.ok("check").out.splitlines()
    assert lines[0].startswith("checked ") and lines[-1] == "no errors were found"
    lines = copy.ok("check", "--read-data").out.splitlines()
    packs = len(copy.data_files())
    assert lines[1].startswith(f"read {packs} packs: ")
    assert lines[-1] == "no errors were found"


def test_json_counts_and_slices_read_every_pack_once(copy: Snap) -> None:
    full = copy.json("check", "--read-data")
    assert full["ok"] is True and full["errors"] == [] and full["info"] == []
    counts = full["checked"]
    data_bytes = sum(p.stat().st_size for p in (copy.repo / "data").glob("*/*"))
    assert counts["packs"] == counts["packs_read"] == len(copy.data_files()) > 3
    assert counts["bytes_read"] == data_bytes
    assert counts["snapshots"] == 2 and counts["data_blobs"] == 7
    slices = [copy.json("check", "--read-data-subset", f"{n}/3")["checked"] for n in (1, 2, 3)]
    for key in ("packs_read", "blobs_read", "bytes_read"):
        assert sum(s[key] for s in slices) == counts[key]
    sample = copy.json("check", "--read-data-subset", "50%", "--seed", "9")
    assert sample["seed"] == 9 and sample["subset"] == "50%"
    assert sample["checked"]["packs_read"] == (counts["packs"] + 1) // 2


def test_missing_pack(copy: Snap, built: dict[str, Any]) -> None:
    pack = pack_of(copy, built["src"] / "sub" / "f2.bin")
    pack.unlink()
    lines = check_fails(copy)
    name = pack.relative_to(copy.repo).as_posix()
    assert f"error: pack-missing: pack {name} is in the index but not on the backend" in lines
    document = json.loads(copy.run("check", "--json").stdout)
    assert document["ok"] is False
    assert document["errors"][0] == {
        "kind": "pack-missing", "pack": pack.name,
        "message": f"pack {name} is in the index but not on the backend",
    }  # fmt: skip
    lost = [e for e in document["errors"] if e["kind"] == "blob-unreadable"]
    assert {(e["snapshot"], e["path"]) for e in lost} >= {
        (built["ids"][0], f"{built['src']}/sub/f2.bin")
    }
    file_line = f"file {built['src']}/sub/f2.bin: data blob "
    assert any(line.startswith(f"error: blob-unreadable: snapshot {built['ids'][0][:8]}: {file_line}")
               and line.endswith(f"is unreadable (pack {name} is missing)") for line in lines)  # fmt: skip


def test_truncated_pack(copy: Snap, built: dict[str, Any]) -> None:
    pack = pack_of(copy, built["src"] / "sub" / "f1.bin")
    size = pack.stat().st_size
    pack.chmod(0o600)
    os.truncate(pack, size - 100)
    lines = check_fails(copy)
    name = pack.relative_to(copy.repo).as_posix()
    assert any(line.startswith(f"error: pack-size: pack {name} is {size - 100} bytes, ")
               and line.endswith("(truncated)") for line in lines)  # fmt: skip


def test_flipped_bit_is_found_by_read_data(copy: Snap, built: dict[str, Any]) -> None:
    path = built["src"] / "sub" / "f3.bin"
    pack = pack_of(copy, path)
    repo = copy.open()
    entry = repo.lookup(repo.blob_id(path.read_bytes()))
    repo.close()
    assert entry is not None
    flip_bit(pack, entry.offset + 1000)
    copy.ok("check")  # the structure is intact
    lines = check_fails(copy, "--read-data")
    name = pack.relative_to(copy.repo).as_posix()
    assert any(
        line.startswith(f"error: pack-data: pack {name}: content hashes to ") for line in lines
    )
    blob = entry.blob_id.hex()
    assert any(line.startswith("error: blob-damaged: ") and blob in line for line in lines)
    assert any(line.startswith("error: blob-unreadable: ") and f"{path}: data blob {blob}" in line
               for line in lines)  # fmt: skip


def test_dangling_index_entry(copy: Snap) -> None:
    fake = bytes(range(32))
    repo = copy.open()
    name, data = encode_index([IndexEntry(os.urandom(32), BlobType.DATA, fake, 0, 90, 49, 0)],
                              (), repo.sealer)  # fmt: skip
    repo.close()
    (copy.repo / name).write_bytes(data)
    lines = check_fails(copy)
    assert lines[0] == (
        f"error: pack-missing: pack {pack_object_name(fake)} is in the index but not on the backend"
    )


def test_missing_tree_blobs(copy: Snap, built: dict[str, Any]) -> None:
    tree_packs = {p for p in copy.data_files() if copy.pack_blob_types({p}) == {BlobType.TREE}}
    assert tree_packs
    for name in tree_packs:
        (copy.repo / "data" / name[:2] / name).unlink()
    lines = check_fails(copy)
    for snapshot_id in built["ids"]:
        assert any(line.startswith(f"error: tree: snapshot {snapshot_id[:8]}: tree ")
                   and " of / cannot be read: pack data/" in line for line in lines)  # fmt: skip


def test_corrupted_snapshot(copy: Snap, built: dict[str, Any]) -> None:
    snapshot_id = built["ids"][0]
    flip_bit(copy.repo / "snapshots" / snapshot_id, 40)
    lines = check_fails(copy)
    assert lines[0] == f"error: snapshot: snapshot {snapshot_id}: content does not match its name"


def test_damaged_index_file(copy: Snap) -> None:
    name = min(copy.index_files())
    flip_bit(copy.repo / "index" / name, 60)
    lines = check_fails(copy)
    assert lines[0].startswith(f"error: index: index file index/{name}: content hashes to ")
    # Without a cache that merged it before, opening the repository already stops on it.
    shutil.rmtree(copy.cache)
    assert f"index file index/{name}" in copy.fails("check", code=1)


def test_unreferenced_and_trash_packs_are_information(copy: Snap) -> None:
    name = extra_pack(copy)
    lines = copy.ok("check", "--read-data").out.splitlines()
    assert f"info: pack-unreferenced: pack {name} is in no index" in lines[0]
    assert lines[-1] == "no errors were found"
    (copy.repo / "trash").mkdir()
    (copy.repo / "trash" / name.rsplit("/", 1)[1]).write_bytes(b"{}")
    lines = copy.ok("check").out.splitlines()
    assert (
        lines[0]
        == f"info: pack-trash: pack {name} is pending deletion by prune (no longer indexed)"
    )
    assert lines[-1] == "no errors were found"
    info = copy.json("check")["info"]
    assert info == [{"kind": "pack-trash", "message": lines[0].split(": ", 2)[2],
                     "pack": name.rsplit("/", 1)[1]}]  # fmt: skip


def test_quiet_prints_only_errors(copy: Snap) -> None:
    assert copy.ok("check", "-q").out == ""
    (copy.repo / "snapshots").joinpath("0" * 64).write_bytes(b"junk")
    lines = copy.run("check", "-q").out.splitlines()
    assert lines == [f"error: snapshot: snapshot {'0' * 64}: content does not match its name"]


@pytest.mark.parametrize("subset", ["0%", "3/2", "some"])
def test_bad_subset_is_a_usage_error(copy: Snap, subset: str) -> None:
    assert "read-data subset" in copy.fails("check", "--read-data-subset", subset, code=1)
