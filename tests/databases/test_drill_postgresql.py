"""`snap drill` on PostgreSQL dumps made by `snap backup --db`: restored into a scratch
database on a real server (the session's PostgreSQL of tests/databases/conftest.py) and dropped; a
custom-format dump is read through without a server; a dump that does not restore fails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.databases.fixtures import unique_name
from tests.databases.postgres_server import PostgresServer
from tests.e2e.conftest import Snap


def _app_database(server: PostgresServer) -> str:
    name = unique_name("drill")
    server.create_database(name)
    server.psql(name, "CREATE TABLE orders (id serial PRIMARY KEY, item text);"
                      "CREATE TABLE customers (id int PRIMARY KEY, name text);"
                      "INSERT INTO orders (item) SELECT 'item ' || g FROM generate_series(1, 500) g;")  # fmt: skip
    return name


def _scratch_databases(server: PostgresServer) -> list[str]:
    listed = server.psql(
        "postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'snap_drill_%'"
    )
    return listed.split()


def _drill(snap: Snap, *args: str) -> tuple[int, dict[str, Any]]:
    done = snap.run("drill", *args, "--json")
    return done.returncode, json.loads(done.stdout)


def test_dumps_restore_into_a_scratch_database(snap: Snap, postgres_server: PostgresServer) -> None:
    name = _app_database(postgres_server)
    snap.backup(
        "--db", postgres_server.url(name), "--db", postgres_server.url(name) + "?format=custom"
    )
    code, report = _drill(snap, "--pg-url", postgres_server.url("postgres"))
    assert code == 0, report["problems"]
    checks = {Path(c["path"]).suffix: c for c in report["databases"]}
    assert set(checks) == {".sql", ".dump"}
    for check in checks.values():
        assert check["kind"] == "postgresql" and check["ok"] and not check["skipped"]
        assert check["detail"].startswith("restored into scratch database snap_drill_")
        assert check["detail"].endswith("(2 tables), dropped")
    assert _scratch_databases(postgres_server) == []


def test_without_a_server(snap: Snap, postgres_server: PostgresServer) -> None:
    name = _app_database(postgres_server)
    snap.backup(
        "--db", postgres_server.url(name), "--db", postgres_server.url(name) + "?format=custom"
    )
    code, report = _drill(snap)
    assert code == 0
    checks = {Path(c["path"]).suffix: c for c in report["databases"]}
    assert checks[".dump"]["ok"] and checks[".dump"]["detail"].startswith("archive readable, ")
    assert checks[".sql"]["skipped"] and "--pg-url" in checks[".sql"]["detail"]


def test_dump_that_does_not_restore_fails(
    snap: Snap, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    broken = b"CREATE TABLE t (id int);\nINSERT INTO missing_table VALUES (1);\n"
    done = snap.run("backup", "--stdin", "--stdin-filename", "/db/postgresql/127.0.0.1/broken.sql",
                    input=broken)  # fmt: skip
    assert done.returncode == 0, done.err
    code, report = _drill(snap, "--pg-url", postgres_server.url("postgres"))
    assert code == 1
    [check] = report["databases"]
    assert not check["ok"] and "missing_table" in check["detail"]
    assert report["problems"] == [
        f"postgresql /db/postgresql/127.0.0.1/broken.sql: {check['detail']}"
    ]
    assert _scratch_databases(postgres_server) == []
