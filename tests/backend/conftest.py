"""Fixtures of the backend conformance suite.

To run the suite against a new backend, add one entry to `BACKEND_FACTORIES`: a function that
takes a fresh, empty working folder and the test's request and returns a fresh, empty backend.
Every test in test_conformance.py then runs against it.

The S3 entry runs against the session's SeaweedFS server (the `s3_server` fixture of
tests/conftest.py): one bucket per test, and one key prefix in it per backend the test makes
(a property test makes one per example; a bucket per example would cost a volume each).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from snapstore.backend import Backend, LocalBackend, MemoryBackend
from snapstore.backend.counting import CountingBackend
from snapstore.backend.retrying import RetryingBackend, RetryPolicy

BackendFactory = Callable[[Path, pytest.FixtureRequest], Backend]


def _memory(workdir: Path, request: pytest.FixtureRequest) -> Backend:
    return MemoryBackend()


def _local(workdir: Path, request: pytest.FixtureRequest) -> Backend:
    # A root that does not exist yet: the backend must create folders on its first save.
    return LocalBackend(workdir / "repo")


def _wrapped(workdir: Path, request: pytest.FixtureRequest) -> Backend:
    """The wrappers `open_backend` puts around backends must keep the protocol."""
    return RetryingBackend(CountingBackend(LocalBackend(workdir / "repo")), RetryPolicy(2, 0, 0))


def _s3(workdir: Path, request: pytest.FixtureRequest) -> Backend:
    from snapstore.backend.s3 import S3Backend

    server = request.getfixturevalue("s3_server")
    bucket = request.getfixturevalue("s3_bucket")
    return S3Backend(
        server.endpoint_url,
        bucket,
        f"backend-{workdir.name}",
        region_name=server.region,
        access_key_id=server.access_key_id,
        secret_access_key=server.secret_access_key,
    )


BACKEND_FACTORIES: dict[str, BackendFactory] = {
    "memory": _memory,
    "local": _local,
    "local-wrapped": _wrapped,
    "s3": _s3,
}


@pytest.fixture(params=sorted(BACKEND_FACTORIES))
def make_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Backend]]:
    """A function returning a new, empty backend of the parametrized kind on each call.

    Property tests need one fresh backend per generated example, which a plain function-scoped
    fixture cannot give them.
    """
    factory = BACKEND_FACTORIES[request.param]
    created: list[Backend] = []
    counter = itertools.count()

    def make() -> Backend:
        workdir = tmp_path / f"backend-{next(counter)}"
        workdir.mkdir()
        backend = factory(workdir, request)
        created.append(backend)
        return backend

    yield make
    for backend in created:
        backend.close()


@pytest.fixture
def backend(make_backend: Callable[[], Backend]) -> Backend:
    """One empty backend of each registered kind."""
    return make_backend()
