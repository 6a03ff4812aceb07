"""`snap backup --db sqlite:///PATH` while a writer process keeps inserting rows: the stored
copy passes `PRAGMA integrity_check` and holds every row committed before the backup began,
for WAL and rollback-journal databases alike."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.databases.server_process import wait_until
from tests.e2e.conftest import Snap

SEED_ROWS = 6000  # of 1,000 bytes each: about 6 MB, copied in many steps
WRITER_LIMIT = 60  # seconds: the writer stops by itself even if the test dies

WRITER = """
import os, sqlite3, sys, time
db, journal_mode, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
con = sqlite3.connect(db, timeout=30, isolation_level=None)
con.execute(f"PRAGMA journal_mode={journal_mode}")
con.execute("PRAGMA wal_autocheckpoint=0")  # committed rows stay in the -wal file
count = con.execute("SELECT count(*) FROM t").fetchone()[0]
end = time.monotonic() + limit
while time.monotonic() < end and not os.path.exists(db + ".stop"):
    con.execute("BEGIN IMMEDIATE")
    for _ in range(10):
        con.execute("INSERT INTO t (payload) VALUES (randomblob(1000))")
    con.execute("COMMIT")
    count += 10
    with open(db + ".tmp", "w") as f:
        f.write(str(count))
    os.replace(db + ".tmp", db + ".count")  # rows committed so far
"""


def seed(db: Path, journal_mode: str) -> None:
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute(f"PRAGMA journal_mode={journal_mode}")
        con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
        con.execute("BEGIN")
        con.executemany("INSERT INTO t (payload) VALUES (randomblob(1000))", [()] * SEED_ROWS)
        con.execute("COMMIT")
    finally:
        con.close()


def committed(db: Path) -> int:
    count_file = Path(f"{db}.count")
    return int(count_file.read_text()) if count_file.exists() else SEED_ROWS


@pytest.mark.parametrize("journal_mode", ["wal", "delete"])
def test_consistent_copy_while_a_writer_writes(snap: Snap, tmp_path: Path, journal_mode: str) -> None:
    db = tmp_path / "app.db"
    seed(db, journal_mode)
    os.chmod(db, 0o640)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), journal_mode, str(WRITER_LIMIT)])
    try:
        wait_until(lambda: committed(db) > SEED_ROWS + 100, "the writer", timeout=30)
        before = committed(db)
        report = snap.backup("--db", f"sqlite://{db}", "--db-temp-dir", tmp_path / "copies")
        after = committed(db)
    finally:
        Path(f"{db}.stop").touch()
        writer.wait(timeout=WRITER_LIMIT + 30)
    assert writer.returncode == 0
    assert after > before, "the writer did not write during the backup"
    stored_path = f"/db/sqlite{db}"
    assert report["paths"] == [stored_path] and report["tags"] == ["db", "sqlite"]
    assert list((tmp_path / "copies").iterdir()) == [], "the temporary copy was left behind"

    restored = tmp_path / "restored.db"
    restored.write_bytes(snap.ok("dump", "latest", stored_path).stdout)
    con = sqlite3.connect(restored)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows, highest = con.execute("SELECT count(*), max(id) FROM t").fetchone()
        assert con.execute("SELECT count(*) FROM t WHERE id <= ?", (before,)).fetchone() == (before,)
    finally:
        con.close()
    assert before <= rows <= after and highest == rows  # a prefix of the writer's rows
    [entry] = [e for e in snap.json("ls", "latest") if e["path"] == stored_path]
    assert entry["mode"] == 0o640  # the database file's own mode


def test_snapshots_find_databases_by_tag(snap: Snap, tmp_path: Path) -> None:
    db = tmp_path / "small.db"
    seed(db, "delete")
    snap.backup(tmp_path / "small.db")  # as a plain file: no db tag
    snap.backup("--db", f"sqlite://{db}")
    tagged = snap.json("snapshots", "--tag", "db,sqlite")
    assert [s["paths"] for s in tagged] == [[f"/db/sqlite{db}"]]


def test_relative_sqlite_path(snap: Snap, tmp_path: Path) -> None:
    seed(tmp_path / "rel.db", "delete")
    report = snap.backup("--db", "sqlite:rel.db", cwd=tmp_path)
    assert report["paths"] == [f"/db/sqlite{tmp_path}/rel.db"]


def test_not_a_database_saves_no_snapshot(snap: Snap, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not a database" * 100)
    error = snap.fails("backup", "--db", f"sqlite://{bogus}", code=1)
    assert "file is not a database" in error
    missing = snap.fails("backup", "--db", f"sqlite://{tmp_path}/missing.db", code=1)
    assert "No such file or directory" in missing
    assert snap.json("snapshots") == []

