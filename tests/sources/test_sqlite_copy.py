"""The online SQLite copy: consistent while another connection writes between the steps
(rollback journal: restarts, then one step), and errors as StreamError."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from snapstore.errors import StreamError
from snapstore.sources import sqlite_copy
from snapstore.sources.sqlite_copy import copy_online

ROWS = 2000


def make_db(path: Path, journal_mode: str) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute(f"PRAGMA journal_mode={journal_mode}")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)")
    con.execute("BEGIN")
    con.executemany("INSERT INTO t (payload) VALUES (randomblob(2000))", [()] * ROWS)
    con.execute("COMMIT")
    con.close()


def rows(path: Path) -> tuple[int, int]:
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        count, highest = con.execute("SELECT count(*), max(id) FROM t").fetchone()
        return count, highest
    finally:
        con.close()


def test_writes_between_steps_restart_the_copy_then_one_step_finishes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "app.db"
    make_db(source, "delete")
    writer = sqlite3.connect(source, isolation_level=None)
    steps = []

    def write_between_steps() -> None:
        steps.append(1)
        writer.execute("INSERT INTO t (payload) VALUES (randomblob(2000))")

    monkeypatch.setattr(sqlite_copy, "pause_for_writers", write_between_steps)
    monkeypatch.setattr(sqlite_copy, "STEP_PAGES", 64)
    copy_online(source, tmp_path / "copy.db")
    writer.close()
    # Each write restarted the copy; at the restart after MAX_RESTARTS, one step copied it all,
    # with every write made until then.
    assert len(steps) == sqlite_copy.MAX_RESTARTS + 1
    assert rows(tmp_path / "copy.db") == (ROWS + len(steps), ROWS + len(steps))


def test_wal_copy_is_the_database_as_of_its_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "app.db"
    make_db(source, "wal")
    writer = sqlite3.connect(source, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("INSERT INTO t (payload) VALUES (randomblob(10))")  # only in the -wal file
    real_backup = sqlite3.Connection.backup
    writes = 0

    class WritingConnection(sqlite3.Connection):
        def backup(self, target: sqlite3.Connection, **kwargs: object) -> None:  # type: ignore[override]
            inner = kwargs.pop("progress", None)

            def progress(status: int, remaining: int, total: int) -> None:
                nonlocal writes
                writer.execute("INSERT INTO t (payload) VALUES (randomblob(2000))")
                writes += 1
                if callable(inner):
                    inner(status, remaining, total)

            real_backup(self, target, progress=progress, **kwargs)  # type: ignore[arg-type]

    real_connect = sqlite3.connect
    monkeypatch.setattr(sqlite_copy, "STEP_PAGES", 64)
    monkeypatch.setattr(sqlite_copy.sqlite3, "connect",
                        lambda *a, **k: real_connect(*a, factory=WritingConnection, **k))  # fmt: skip
    copy_online(source, tmp_path / "copy.db")
    writer.close()
    assert writes > 5  # the copy took many steps, with a write after each
    assert rows(tmp_path / "copy.db") == (ROWS + 1, ROWS + 1)


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"x" * 10000)
    with pytest.raises(StreamError, match="file is not a database"):
        copy_online(bogus, tmp_path / "copy.db")


def test_a_missing_database_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(StreamError, match="cannot open the database"):
        copy_online(tmp_path / "missing.db", tmp_path / "copy.db")
    assert not (tmp_path / "missing.db").exists()
