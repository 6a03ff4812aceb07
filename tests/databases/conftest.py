"""The database servers (fixtures.py) and the `snap` fixtures of the end-to-end tests."""

from tests.databases.fixtures import mariadb_server, postgres_server, redis_server  # noqa: F401
from tests.e2e.conftest import snap, snap_env  # noqa: F401
