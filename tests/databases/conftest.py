"""The `snap` fixtures of the end-to-end tests; the database servers come from fixtures.py
through tests/conftest.py."""

from tests.e2e.conftest import snap, snap_env  # noqa: F401
