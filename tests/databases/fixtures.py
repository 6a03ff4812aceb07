"""Session-wide database servers for any test that needs one (`postgres_server`,
`mariadb_server`, `redis_server`), registered for the whole suite by tests/conftest.py. Each is
started on first use and stopped at the end of the session; tests create their own databases
(`unique_name`) so they never see each other's data."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.databases.mariadb_server import MariaDbServer
from tests.databases.postgres_server import PostgresServer
from tests.databases.redis_server import RedisServer

_names = itertools.count(1)


def unique_name(prefix: str) -> str:
    """A database name no other test of this session uses."""
    return f"{prefix}_{next(_names)}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDbServer]:
    server = MariaDbServer()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        yield server.start()
    finally:
        server.stop()
