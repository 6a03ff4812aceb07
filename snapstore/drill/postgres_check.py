"""A PostgreSQL dump restored into a scratch database, then dropped.

Without a server, a custom-format dump (`.dump`) is still read through by `pg_restore --list`
(its table of contents must parse); a plain SQL dump (`.sql`) can only be proved by restoring
it, so it is reported as skipped. With a server URL (`--pg-url postgresql://user@host/postgres`:
any database the user may connect to and create databases from), a database
`snap_drill_<random>` is created, the dump restored into it with errors fatal, its tables
counted, and the database dropped whatever happened. The password, if the URL has one, reaches
the tools as PGPASSWORD, never on a command line.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit

_USER_TABLES = (
    "SELECT count(*) FROM pg_catalog.pg_tables "
    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
)


class PostgresCheckError(Exception):
    """A step of the check failed; the message says which and why (one line)."""


@dataclass(frozen=True)
class PostgresServer:
    """Where scratch databases are made: a libpq URL without its password, and the password."""

    parts: SplitResult
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> PostgresServer:
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise PostgresCheckError("--pg-url must be a postgresql:// URL")
        user, _, host = parts.netloc.rpartition("@")
        name, _, password = user.partition(":")
        netloc = f"{name}@{host}" if name else host
        return cls(parts._replace(netloc=netloc), unquote(password) if password else None)

    def conninfo(self, database: str | None = None) -> str:
        parts = self.parts if database is None else self.parts._replace(path="/" + database)
        return parts.geturl()

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        return env


def list_custom_dump(dump: Path) -> str:
    """`pg_restore --list`: the archive's table of contents must parse."""
    listing = _run(
        [_tool("pg_restore"), "--list", str(dump)], dict(os.environ), "pg_restore --list"
    )
    entries = [line for line in listing.splitlines() if line and not line.startswith(";")]
    return f"archive readable, {len(entries)} entries"


def restore_into_scratch(dump: Path, server: PostgresServer) -> str:
    """Restore `dump` into a new scratch database, count its tables, drop it; return a summary."""
    name = f"snap_drill_{secrets.token_hex(4)}"
    env = server.env()
    psql = [_tool("psql"), "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1"]
    _run([*psql, "-d", server.conninfo(), "-c", f'CREATE DATABASE "{name}"'], env, "create")
    try:
        target = server.conninfo(name)
        if dump.suffix == ".dump":
            _run([_tool("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error",
                  "-d", target, str(dump)], env, "pg_restore")  # fmt: skip
        else:
            _run([*psql, "--single-transaction", "-d", target, "-f", str(dump)], env, "psql -f")
        tables = _run([*psql, "-At", "-d", target, "-c", _USER_TABLES], env, "count").strip()
    finally:
        _run([*psql, "-d", server.conninfo(), "-c", f'DROP DATABASE IF EXISTS "{name}"'], env,
             "drop")  # fmt: skip
    return f"restored into scratch database {name} ({tables} tables), dropped"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise PostgresCheckError(f"{name} is not installed (not found on PATH)")
    return found


def _run(argv: Sequence[str], env: dict[str, str], step: str) -> str:
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False,
                              stdin=subprocess.DEVNULL)  # fmt: skip
    except OSError as error:
        raise PostgresCheckError(f"{step}: {error.strerror or error}") from None
    if done.returncode != 0:
        raise PostgresCheckError(f"{step} failed: {_reason(done.stderr, done.returncode)}")
    return done.stdout


def _reason(stderr: str, code: int) -> str:
    """The tool's first ERROR line (psql follows it with context lines and a caret)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "ERROR" in line or "error:" in line]
    return (errors or lines or [f"exit status {code}"])[0]
