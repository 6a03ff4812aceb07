"""Database URLs: the snapshot path each kind gets, the tool's command line and environment,
passwords kept out of both command lines and messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from snapstore.errors import InputError
from snapstore.sources import CommandSource, DumpSettings, database_source, redact_url
from snapstore.sources.produced_file import ProducedFileSource

TOOLS_ENV = {"PATH": "/usr/bin:/bin"}


@pytest.fixture
def fake_tools(tmp_path: Path) -> DumpSettings:
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in ("pg_dump", "mysqldump", "redis-cli"):
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)
    return DumpSettings(env={"PATH": str(folder), "HOME": "/root"}, temp_dir=tmp_path / "tmp")


@pytest.mark.parametrize(
    "url,path",
    [
        ("postgresql://u@db.example/app", "/db/postgresql/db.example/app.sql"),
        ("postgres://u@DB.example:5433/app", "/db/postgresql/db.example:5433/app.sql"),
        ("postgresql:///app", "/db/postgresql/local/app.sql"),
        ("postgresql://%2Fvar%2Frun%2Fpostgresql/app", "/db/postgresql/local/app.sql"),
        ("postgresql://u@h/app?format=custom", "/db/postgresql/h/app.dump"),
        ("mysql://root@127.0.0.1:3306/shop", "/db/mysql/127.0.0.1:3306/shop.sql"),
        ("mariadb://root@h", "/db/mysql/h/all-databases.sql"),
        ("redis://h", "/db/redis/h/dump.rdb"),
        ("rediss://:pw@h:6380/0", "/db/redis/h:6380/dump.rdb"),
    ],
)
def test_snapshot_paths(fake_tools: DumpSettings, url: str, path: str) -> None:
    assert database_source(url, fake_tools).snapshot_path == path


def test_postgresql_command_line_and_environment(fake_tools: DumpSettings) -> None:
    source = database_source("postgresql://alice:p%40ss%3Aword@h:5433/app?sslmode=require&format=custom",
                             fake_tools)  # fmt: skip
    assert isinstance(source, CommandSource)
    assert source.argv[1:] == ("--no-password", "--format=custom",
                               "--dbname=postgresql://alice@h:5433/app?sslmode=require")  # fmt: skip
    assert source.env is not None and source.env["PGPASSWORD"] == "p@ss:word"
    assert source.env["HOME"] == "/root"
    assert "p@ss" not in source.label and "p%40ss" not in source.label and "***" in source.label
    assert "p@ss" not in repr(source) and "p%40ss" not in repr(source)
    assert source.tags == ("db", "postgresql") and source.mode == 0o600


def test_postgresql_database_from_the_environment(fake_tools: DumpSettings) -> None:
    settings = DumpSettings(env={**fake_tools.env, "PGDATABASE": "fromenv"}, postgresql_format="custom")
    assert database_source("postgresql://h", settings).snapshot_path == "/db/postgresql/h/fromenv.dump"
    with pytest.raises(InputError, match="no database name"):
        database_source("postgresql://h", fake_tools)


def test_mysql_without_password_sets_none(fake_tools: DumpSettings) -> None:
    source = database_source("mysql://root@h:3307/shop?socket=/run/my.sock", fake_tools)
    assert isinstance(source, CommandSource) and source.env is not None
    assert "MYSQL_PWD" not in source.env
    assert source.argv[1:] == ("--single-transaction", "--host", "h", "--port", "3307", "--user", "root",
                               "--socket", "/run/my.sock", "shop")  # fmt: skip


def test_redis_makes_a_file(fake_tools: DumpSettings) -> None:
    source = database_source("redis://:pw@h", fake_tools)
    assert isinstance(source, ProducedFileSource) and source.temp_dir == fake_tools.temp_dir


def test_sqlite_source_keeps_the_file_owner_and_mode(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    db.write_bytes(b"")
    db.chmod(0o604)
    source = database_source(f"sqlite://{db}", DumpSettings(env=TOOLS_ENV))
    assert source.snapshot_path == f"/db/sqlite{db}" and source.mode == 0o604
    with pytest.raises(InputError, match="ABSOLUTE"):
        database_source("sqlite://relative.db", DumpSettings(env=TOOLS_ENV))
    with pytest.raises(InputError, match="not a file"):
        database_source(f"sqlite://{tmp_path}", DumpSettings(env=TOOLS_ENV))


@pytest.mark.parametrize(
    "url,message",
    [
        ("ftp://h/x", "not a database URL"),
        ("postgresql", "not a database URL"),
        ("postgresql://h:notaport/x", "Port could not be cast"),
        ("postgresql://h/x?format=tar", "format must be plain or custom"),
        ("mysql://h/x?charset=utf8", "unknown option 'charset'"),
    ],
)
def test_bad_urls(fake_tools: DumpSettings, url: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        database_source(url, fake_tools)


def test_missing_tools_are_named(tmp_path: Path) -> None:
    empty = DumpSettings(env={"PATH": str(tmp_path)})
    with pytest.raises(InputError, match="mysql backups need mariadb-dump or mysqldump"):
        database_source("mysql://h/x", empty)


@pytest.mark.parametrize(
    "url,shown",
    [
        ("postgresql://u:secret@h/db", "postgresql://u:***@h/db"),
        ("redis://:secret@h:1", "redis://:***@h:1"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("postgresql://u:secret@h:badport/db", "postgresql://u:***@h:badport/db"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
