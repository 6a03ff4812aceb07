"""`snap drill`: a good snapshot passes (every file verified, SQLite checked, scratch folder
removed), damage fails it with exit 1, --random picks among the matching snapshots, --keep
leaves the scratch folder, and the verify pass names what differs."""

from __future__ import annotations

import json
import os
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from snapstore.drill.verifier import Verifier
from snapstore.index import BlobType
from snapstore.pack import load_pack_header
from snapstore.restorer import RestoreOptions, Restorer
from tests.e2e.conftest import Snap


def make_sqlite(path: Path, rows: int = 200) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    connection.executemany(
        "INSERT INTO t (v) VALUES (?)", [(f"row {i}" * 20,) for i in range(rows)]
    )
    connection.execute("CREATE INDEX t_v ON t (v)")
    connection.commit()
    connection.close()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "sub" / "locked").mkdir(parents=True)
    rng = random.Random(5)
    for i in range(4):
        (src / "sub" / f"f{i}.bin").write_bytes(rng.randbytes(30_000))
    (src / "notes.txt").write_text("notes\n" * 100)
    (src / "link").symlink_to("notes.txt")
    (src / "sub" / "locked" / "inside").write_text("x")
    (src / "sub" / "locked").chmod(0o500)  # cleanup must cope with read-only folders
    os.setxattr(src / "notes.txt", b"user.origin", b"import")
    make_sqlite(src / "app.db")
    return src


def _drill(snap: Snap, *args: str | os.PathLike[str]) -> tuple[int, dict[str, Any], str]:
    done = snap.run("drill", *args, "--json")
    return done.returncode, json.loads(done.stdout), done.err


def test_good_snapshot_passes_and_cleans_up(snap: Snap, source: Path, tmp_path: Path) -> None:
    snapshot_id = snap.backup(source)["snapshot_id"]
    scratch = tmp_path / "scratch"
    code, report, err = _drill(snap, "--target-dir", scratch)
    assert code == 0, err
    assert report["ok"] and report["snapshot_id"] == snapshot_id
    assert report["files_verified"] == report["files"] == 7  # 4 + notes + inside + app.db
    assert report["entries_checked"] >= 10 + len(source.parents)
    assert [p["name"] for p in report["phases"]] == ["restore", "verify", "databases", "cleanup"]
    [check] = report["databases"]
    assert check["kind"] == "sqlite" and check["path"] == f"{source}/app.db" and check["ok"]
    assert check["detail"] == "integrity_check ok, 1 tables"
    assert report["recovery_seconds"] > 0
    assert list(scratch.iterdir()) == []  # the scratch folder is gone
    (source / "sub" / "locked").chmod(0o700)


def test_text_report(snap: Snap, source: Path, tmp_path: Path) -> None:
    snap.backup(source)
    done = snap.ok("drill", "latest", "--target-dir", tmp_path / "scratch")
    lines = done.out.splitlines()
    assert lines[0].startswith("drill of snapshot ")
    assert any(line.split()[:1] == ["restore"] and " ok " in line for line in lines)
    assert any("sqlite" in line and "integrity_check ok" in line for line in lines)
    assert "recovery time (restore + verify + database checks)" in lines[-2]
    assert lines[-1] == "drill passed"
    (source / "sub" / "locked").chmod(0o700)


def _data_packs(snap: Snap) -> list[Path]:
    repo = snap.open()
    try:
        packs = []
        for name in sorted(snap.data_files()):
            header = load_pack_header(repo.backend, f"data/{name[:2]}/{name}", repo.sealer)
            if any(entry.blob_type == BlobType.DATA for entry in header):
                packs.append(snap.repo / "data" / name[:2] / name)
        return packs
    finally:
        repo.close()


def test_corrupted_pack_fails(snap: Snap, source: Path, tmp_path: Path) -> None:
    snap.backup(source)
    for pack in _data_packs(snap):
        data = bytearray(pack.read_bytes())
        data[len(data) // 3] ^= 0x40
        pack.chmod(0o600)
        pack.write_bytes(data)
    scratch = tmp_path / "scratch"
    message = snap.fails("drill", "--target-dir", scratch, "-q", code=1)
    assert message.startswith("snap: error: drill of snapshot ")
    assert "failed: " in message
    assert list(scratch.iterdir()) == []
    code, report, _ = _drill(snap, "--target-dir", scratch)
    assert code == 1 and not report["ok"]
    assert [p["ok"] for p in report["phases"]][:2] == [False, False]
    (source / "sub" / "locked").chmod(0o700)


def test_damaged_sqlite_database_fails(snap: Snap, tmp_path: Path) -> None:
    src = tmp_path / "dbs"
    src.mkdir()
    make_sqlite(src / "good.db")
    make_sqlite(src / "bad.db", rows=2000)
    data = bytearray((src / "bad.db").read_bytes())
    data[4096 * 3 : 4096 * 3 + 200] = b"\xff" * 200  # a b-tree page overwritten
    (src / "bad.db").write_bytes(data)
    snap.backup(src)
    code, report, _ = _drill(snap, "--target-dir", tmp_path / "scratch")
    assert code == 1
    checks = {Path(c["path"]).name: c for c in report["databases"]}
    assert checks["good.db"]["ok"] and not checks["bad.db"]["ok"]
    assert report["problems"] == [f"sqlite {src}/bad.db: {checks['bad.db']['detail']}"]
    assert report["files_verified"] == 2  # the file itself is restored bit for bit


def test_random_and_keep(snap: Snap, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    ids = []
    for i in range(3):
        (src / "f").write_text(f"version {i}")
        ids.append(snap.backup(src)["snapshot_id"])
    picked = {_drill(snap, "--random", "--seed", str(seed))[1]["snapshot_id"] for seed in range(6)}
    assert picked <= set(ids) and len(picked) > 1
    code, report, _ = _drill(snap, ids[0][:8], "--keep", "--target-dir", tmp_path / "t")
    assert code == 0 and report["kept"]
    kept = Path(report["scratch"])
    assert kept.parent == tmp_path / "t"
    assert (kept / str(src).lstrip("/") / "f").read_text() == "version 0"
    assert "cleanup" not in [p["name"] for p in report["phases"]]
    snap.fails("drill", ids[0][:8], "--random", code=1)


def test_verify_names_what_differs(snap: Snap, source: Path, tmp_path: Path) -> None:
    snap.backup(source)
    repo = snap.open()
    try:
        [(_, snapshot)] = repo.list_snapshots()
        target = tmp_path / "restored"
        Restorer(repo, snapshot, RestoreOptions(target)).run()
        inner = target / str(source).lstrip("/")
        (inner / "notes.txt").write_text("notes\n" * 99 + "NOTES\n")  # same size
        (inner / "sub" / "f1.bin").chmod(0o600)
        os.utime(inner / "sub" / "f1.bin", ns=(0, 0))
        (inner / "sub" / "f2.bin").unlink()
        os.removexattr(inner / "notes.txt", b"user.origin")
        problems: list[str] = []
        Verifier(repo, os.fsencode(target), problems.append).run(snapshot.tree)
    finally:
        repo.close()
    (source / "sub" / "locked").chmod(0o700)
    assert sorted(p.removeprefix(str(source)) for p in problems) == sorted([
        "/notes.txt: modification time differs from the snapshot",
        "/notes.txt: content differs from the snapshot's chunk ids",
        "/notes.txt: extended attribute user.origin differs from the snapshot",
        "/sub/f1.bin: mode 600, snapshot has 644",
        "/sub/f1.bin: modification time differs from the snapshot",
        "/sub/f2.bin: not restored (No such file or directory)",
        "/sub: modification time differs from the snapshot",  # f2.bin's removal changed it
    ])  # fmt: skip


def test_profile_names_repository_and_snapshots(snap: Snap, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("profile data")
    config = tmp_path / "snap.toml"
    config.write_text(
        f'[profiles.files]\nrepository = "{snap.repo}"\npassword-file = "{snap.password_file}"\n'
        f'cache-dir = "{snap.cache}"\nhost = "web1"\npaths = ["{src}"]\n'
    )
    mine = snap.backup(src, "--host", "web1", "--tag", "files")["snapshot_id"]
    snap.backup(src, "--host", "other", "--tag", "files")  # newer, another host's
    env = {"SNAP_REPOSITORY": str(tmp_path / "elsewhere"), "SNAP_PASSWORD_FILE": "/nonexistent"}
    done = snap.run("drill", "files", "--config", config, "--json", env=env)
    assert done.returncode == 0, done.err
    assert json.loads(done.stdout)["snapshot_id"] == mine
    snap.fails("drill", "nosuchprofile", "--config", config, code=1)
