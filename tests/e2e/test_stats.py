"""`snap stats`: exact numbers on a repository with duplicate files, in text and --json, and the
snapshot selection (ids, `latest`, --host)."""

from __future__ import annotations

import os
from pathlib import Path

from snapstore.crypto import ENVELOPE_OVERHEAD
from tests.e2e.conftest import Snap

SIZE = 150_000  # below the chunker's minimum: one blob per file


def folder_with_copies(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    data = os.urandom(SIZE)
    for name in ("a.bin", "b.bin", "sub/c.bin", "sub/d.bin"):
        (src / name).write_bytes(data)
    (src / "log.txt").write_bytes(b"GET / 200\n" * (SIZE // 10))  # compressible
    return src


def test_duplicates_and_compression(snap: Snap, tmp_path: Path) -> None:
    src = folder_with_copies(tmp_path)
    first = snap.backup("--host", "alpha", src)["snapshot_id"]
    second = snap.backup("--host", "beta", src)["snapshot_id"]
    stats = snap.json("stats")
    assert stats["snapshot_ids"] == [first, second]
    assert (stats["snapshots"], stats["files"]) == (2, 10)
    assert stats["restore_size"] == 2 * 5 * SIZE
    assert (stats["data_blobs"], stats["raw_data"]) == (2, 2 * SIZE)  # the copy, and the log
    assert stats["dedup_ratio"] == 5.0
    assert SIZE + ENVELOPE_OVERHEAD < stats["stored_data"] < SIZE * 1.1  # log text shrinks
    assert stats["compression_ratio"] == round(2 * SIZE / stats["stored_data"], 4)
    assert stats["tree_blobs"] >= 2 and stats["missing_blobs"] == 0
    on_disk = {
        folder: sum(p.stat().st_size for p in (snap.repo / folder).rglob("*") if p.is_file())
        for folder in ("data", "index", "snapshots", "keys")
    }
    assert {k: stats["backend"][k]["bytes"] for k in on_disk} == on_disk
    one = snap.json("stats", "--host", "beta")
    assert (one["snapshot_ids"], one["restore_size"], one["dedup_ratio"]) == (
        [second],
        5 * SIZE,
        2.5,
    )
    assert snap.json("stats", "latest")["snapshot_ids"] == [second]
    assert snap.json("stats", first[:8])["snapshot_ids"] == [first]


def test_text_output(snap: Snap, tmp_path: Path) -> None:
    snap.backup(folder_with_copies(tmp_path))
    lines = snap.ok("stats").out.splitlines()
    assert lines[0] == "snapshots:          1"
    assert lines[1] == "files:              5 (each path counted in each snapshot)"
    assert lines[2] == "restore size:       732.42 KiB"
    assert lines[3].startswith("unique data:        2 blobs, 292.97 KiB (")
    assert "deduplication:      2.50x (restore size / unique data)" in lines
    assert any(line.split()[:3] == ["data", "2", "objects"] for line in lines)


def test_unknown_snapshot(snap: Snap, tmp_path: Path) -> None:
    snap.backup(folder_with_copies(tmp_path))
    assert snap.fails("stats", "deadbeef", code=1) == "snap: error: no snapshot with id deadbeef"


def test_duplicates_in_text_and_json(snap: Snap, tmp_path: Path) -> None:
    snap.backup(folder_with_copies(tmp_path))
    lines = snap.ok("stats", "--duplicates").out.splitlines()
    assert lines[-2].startswith("index:              ")
    assert lines[-1].startswith("duplicates:         0 blobs stored more than once, 0 extra copies")
    index = snap.json("stats", "--duplicates")["index"]
    assert index["duplicate_blobs"] == index["duplicate_copies"] == index["duplicate_bytes"] == 0
    assert index["blobs"] >= 3 and index["index_files"] >= 1
    assert "index" not in snap.json("stats")
