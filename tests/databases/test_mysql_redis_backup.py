"""`snap backup --db mysql://...` and `--db redis://...` against real MariaDB and Redis
servers started by the tests: each dump restores to the same contents."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.databases.fixtures import unique_name
from tests.databases.mariadb_server import MariaDbServer
from tests.databases.redis_server import RedisServer
from tests.e2e.conftest import SNAP_TIMEOUT, Snap

SCHEMA = """
CREATE TABLE items (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(100) NOT NULL,
                    price DECIMAL(10, 2), note TEXT) ENGINE=InnoDB;
INSERT INTO items (name, price, note) VALUES ('pen', 1.50, 'blue ü'), ('pad', 3.25, NULL),
    ('ink', 12.00, 'a "quoted" note'), ('box', 0.99, 'tab\\there');
"""
CHECK = "SELECT id, name, price, IFNULL(note, 'NULL') FROM items ORDER BY id"


def test_mysql_round_trip(snap: Snap, mariadb_server: MariaDbServer) -> None:
    shop = unique_name("shop")
    mariadb_server.sql("", f"CREATE DATABASE {shop}")
    mariadb_server.sql(shop, input=SCHEMA.encode())
    report = snap.backup("--db", mariadb_server.url(shop))
    stored = f"/db/mysql/127.0.0.1:{mariadb_server.port}/{shop}.sql"
    assert report["paths"] == [stored] and report["tags"] == ["db", "mysql"]
    restored = unique_name("restored")
    mariadb_server.sql("", f"CREATE DATABASE {restored}")
    mariadb_server.sql(restored, input=snap.ok("dump", "latest", stored).stdout)
    assert mariadb_server.sql(restored, CHECK) == mariadb_server.sql(shop, CHECK)
    assert mariadb_server.sql(restored, CHECK).count("\n") == 4


def test_failing_mysql_dump_saves_no_snapshot(snap: Snap, mariadb_server: MariaDbServer) -> None:
    result = snap.run("backup", "--db", mariadb_server.url("no_such_db"))
    assert result.returncode == 1 and "Unknown database 'no_such_db'" in result.err
    assert snap.json("snapshots") == []


def test_redis_round_trip(snap: Snap, redis_server: RedisServer, tmp_path: Path) -> None:
    prefix = unique_name("k")
    for i in range(50):
        redis_server.command("SET", f"{prefix}:{i}", f"value {i} ü")
    redis_server.command("RPUSH", f"{prefix}:list", "a", "b", "c")
    report = snap.backup("--db", redis_server.url())
    stored = f"/db/redis/127.0.0.1:{redis_server.port}/dump.rdb"
    assert report["paths"] == [stored] and report["tags"] == ["db", "redis"]
    rdb = snap.ok("dump", "latest", stored).stdout
    assert rdb.startswith(b"REDIS")

    # A second server loads the restored snapshot file at start.
    folder = tmp_path / "restored"
    folder.mkdir()
    (folder / "dump.rdb").write_bytes(rdb)
    copy = RedisServer(folder)
    port = copy.start(dbfilename="dump.rdb").port
    try:
        got = subprocess.run(redis_server.cli("MGET", *(f"{prefix}:{i}" for i in range(50)), port=port),
                             capture_output=True, timeout=SNAP_TIMEOUT, check=True).stdout.decode()
        assert got.splitlines() == [f"value {i} ü" for i in range(50)]
        listed = subprocess.run(redis_server.cli("LRANGE", f"{prefix}:list", "0", "-1", port=port),
                                capture_output=True, timeout=SNAP_TIMEOUT, check=True).stdout.decode()
        assert listed.split() == ["a", "b", "c"]
    finally:
        copy.stop()


def test_unreachable_redis_saves_no_snapshot(snap: Snap) -> None:
    result = snap.run("backup", "--db", "redis://127.0.0.1:1")
    assert result.returncode == 1 and "redis-cli for redis://127.0.0.1:1 exited with code 1" in result.err
    assert snap.json("snapshots") == []
