"""A consistent copy of a live SQLite database through SQLite's online backup API.

WAL databases: the copy runs inside one read transaction of the source, so it is the database
as of that moment, and writers are never blocked (in WAL mode readers do not block writers).
Rollback-journal databases: the copy proceeds a few pages at a time with pauses in which
writers can commit; a write by another connection restarts the copy (SQLite's rule), and after
`MAX_RESTARTS` restarts the rest is copied in one step, which holds the read lock (writers
wait) for the time of one full copy. The copy is checked (`PRAGMA quick_check`) before it is
stored.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

from snapstore.errors import StreamError

STEP_PAGES = 256  # pages copied per step: 1 MiB with the default 4 KiB pages
STEP_PAUSE = 0.005  # seconds between steps of a rollback-journal database, for writers
MAX_RESTARTS = 3
BUSY_PAUSE = 0.01  # seconds before a step blocked by a writer tries again
BUSY_TIMEOUT = 30.0  # seconds a step waits for a writer's lock before it fails


class _TooManyRestarts(Exception):
    pass


def copy_online(source: Path, target: Path) -> None:
    """Copy the database at `source` to the new file `target`; StreamError if it fails."""
    what = f"sqlite:///{str(source).lstrip('/')}"
    try:
        # Read-only: the backup never writes to the application's database.
        src = sqlite3.connect(f"file:{quote(str(source))}?mode=ro", uri=True,
                              timeout=BUSY_TIMEOUT, isolation_level=None)  # fmt: skip
    except sqlite3.Error as error:
        raise StreamError(f"{what}: cannot open the database: {error}") from None
    try:
        dst = sqlite3.connect(target, isolation_level=None)
        try:
            if _journal_mode(src) == "wal":
                _copy_in_one_read_transaction(src, dst)
            else:
                _copy_between_writes(src, dst)
            _check(dst, what)
        finally:
            dst.close()
    except sqlite3.Error as error:
        raise StreamError(f"{what}: the copy failed: {error}; no snapshot was saved") from None
    finally:
        src.close()


def _journal_mode(src: sqlite3.Connection) -> str:
    return str(src.execute("PRAGMA journal_mode").fetchone()[0]).lower()


def _copy_in_one_read_transaction(src: sqlite3.Connection, dst: sqlite3.Connection) -> None:
    src.execute("BEGIN")
    try:
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # starts the read snapshot
        src.backup(dst, pages=STEP_PAGES)
    finally:
        src.execute("ROLLBACK")


def _copy_between_writes(src: sqlite3.Connection, dst: sqlite3.Connection) -> None:
    restarts = 0
    last_remaining: int | None = None

    def between_steps(status: int, remaining: int, total: int) -> None:
        nonlocal restarts, last_remaining
        if last_remaining is not None and remaining >= last_remaining:  # no progress: restarted
            restarts += 1
            if restarts > MAX_RESTARTS:
                raise _TooManyRestarts
        last_remaining = remaining
        pause_for_writers()

    try:
        src.backup(dst, pages=STEP_PAGES, progress=between_steps, sleep=BUSY_PAUSE)
    except _TooManyRestarts:
        src.backup(dst, pages=-1, sleep=BUSY_PAUSE)


def pause_for_writers() -> None:
    time.sleep(STEP_PAUSE)


def _check(dst: sqlite3.Connection, what: str) -> None:
    rows = dst.execute("PRAGMA quick_check").fetchall()
    if [tuple(row) for row in rows] != [("ok",)]:
        problem = "; ".join(str(row[0]) for row in rows[:3])
        raise StreamError(f"{what}: the copy fails SQLite's quick_check ({problem}); "
                          "no snapshot was saved")  # fmt: skip
