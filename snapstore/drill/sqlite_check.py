"""SQLite's own consistency check on a restored database file, opened read-only."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote


def sqlite_integrity(path: Path) -> tuple[bool, str]:
    """(ok, detail): `PRAGMA integrity_check` must answer exactly `ok`."""
    uri = f"file:{quote(str(path))}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True)
        try:
            rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            tables = connection.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error as error:
        return False, f"integrity_check could not run: {error}"
    if rows != ["ok"]:
        shown = "; ".join(str(row) for row in rows[:3])
        return False, f"integrity_check: {shown}"
    return True, f"integrity_check ok, {tables} tables"
