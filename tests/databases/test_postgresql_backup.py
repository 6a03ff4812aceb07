"""`snap backup --db postgresql://...` against a real PostgreSQL server started by the tests:
the dump restores with `snap dump | psql` (or `pg_restore` for the custom format) into a new
database with the same contents; a failing pg_dump saves no snapshot."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from tests.databases.fixtures import unique_name
from tests.databases.postgres_server import PostgresServer
from tests.e2e.conftest import SNAP_TIMEOUT, Snap

SCHEMA = """
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, note text, photo bytea);
CREATE TABLE orders (id bigserial PRIMARY KEY, customer int REFERENCES customers(id),
                     total numeric(12, 2), placed timestamptz DEFAULT '2026-11-21 10:00+00');
INSERT INTO customers (name, note, photo)
    SELECT 'customer ' || i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'note ü ' || md5(i::text) END,
           decode(md5(i::text), 'hex')
    FROM generate_series(1, 3000) AS i;
INSERT INTO orders (customer, total) SELECT 1 + i % 3000, i * 1.25 FROM generate_series(1, 20000) AS i;
"""
CONTENTS = ("SELECT md5(string_agg(c::text, ',' ORDER BY id)) FROM customers c",
            "SELECT md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o",
            "SELECT nextval('orders_id_seq')")  # fmt: skip


def make_shop(server: PostgresServer) -> str:
    name = unique_name("shop")
    server.create_database(name)
    server.psql(name, input=SCHEMA.encode())
    return name


def contents(server: PostgresServer, dbname: str) -> list[str]:
    return [server.psql(dbname, query).strip() for query in CONTENTS]


def pipe_dump_into(snap: Snap, snapshot_path: str, client: list[str]) -> None:
    """`snap dump latest PATH | CLIENT`, both must succeed."""
    dump = subprocess.Popen(["snap", "dump", "latest", snapshot_path], env=snap.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert dump.stdout is not None
    restore = subprocess.run(client, stdin=dump.stdout, capture_output=True, timeout=SNAP_TIMEOUT,
                             check=False)
    dump.stdout.close()
    assert dump.wait(SNAP_TIMEOUT) == 0, dump.stderr.read() if dump.stderr else ""
    assert restore.returncode == 0, restore.stderr.decode()


def test_plain_dump_round_trip(snap: Snap, postgres_server: PostgresServer) -> None:
    shop = make_shop(postgres_server)
    report = snap.backup("--db", postgres_server.url(shop))
    stored = f"/db/postgresql/127.0.0.1:{postgres_server.port}/{shop}.sql"
    assert report["paths"] == [stored] and report["tags"] == ["db", "postgresql"]
    assert [s["short_id"] for s in snap.json("snapshots", "--tag", "postgresql")] == [report["snapshot_id"][:8]]

    restored = unique_name("restored")
    postgres_server.create_database(restored)
    pipe_dump_into(snap, stored, postgres_server.client("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                                                        "-d", restored))  # fmt: skip
    assert contents(postgres_server, restored) == contents(postgres_server, shop)


def test_custom_format_round_trip(snap: Snap, postgres_server: PostgresServer) -> None:
    shop = make_shop(postgres_server)
    report = snap.backup("--db", postgres_server.url(shop), "--db-format", "custom")
    stored = f"/db/postgresql/127.0.0.1:{postgres_server.port}/{shop}.dump"
    assert report["paths"] == [stored]
    assert snap.ok("dump", "latest", stored).stdout[:5] == b"PGDMP"  # pg_dump's custom format
    restored = unique_name("restored")
    postgres_server.create_database(restored)
    pipe_dump_into(snap, stored, postgres_server.client("pg_restore", "--exit-on-error", "-d", restored))
    assert contents(postgres_server, restored) == contents(postgres_server, shop)
    by_url = snap.backup("--db", postgres_server.url(shop) + "?format=custom")
    assert by_url["paths"] == [stored]


def test_failing_pg_dump_saves_no_snapshot(snap: Snap, postgres_server: PostgresServer) -> None:
    url = postgres_server.url("no_such_database")
    result = snap.run("backup", "--db", url)
    assert result.returncode == 1, result.err
    assert "Traceback" not in result.err
    assert 'database "no_such_database" does not exist' in result.err  # pg_dump's stderr tail
    last = result.err.strip().splitlines()[-1]
    assert last.startswith(f"snap: error: pg_dump for {url} exited with code 1")
    assert snap.json("snapshots") == []


def test_everything_in_one_snapshot(snap: Snap, postgres_server: PostgresServer, tmp_path: Path) -> None:
    shop = make_shop(postgres_server)
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "hosts").write_text("127.0.0.1 localhost\n")
    db = tmp_path / "app.db"
    sqlite3.connect(db).executescript("CREATE TABLE t (x); INSERT INTO t VALUES (42);")
    report = snap.backup(etc, "--db", f"sqlite://{db}", "--db", postgres_server.url(shop))
    host = f"127.0.0.1:{postgres_server.port}"
    assert report["paths"] == [str(etc), f"/db/sqlite{db}", f"/db/postgresql/{host}/{shop}.sql"]
    assert report["tags"] == ["db", "postgresql", "sqlite"]
    assert snap.ok("dump", "latest", etc / "hosts").stdout == b"127.0.0.1 localhost\n"
    assert b"CREATE TABLE public.orders" in snap.ok("dump", "latest", f"/db/postgresql/{host}/{shop}.sql").stdout
    restored = snap.ok("restore", "latest", "--target", tmp_path / "restore")
    assert restored.returncode == 0
    copy = tmp_path / "restore" / "db" / "sqlite" / str(db).lstrip("/")
    assert sqlite3.connect(copy).execute("SELECT x FROM t").fetchall() == [(42,)]
