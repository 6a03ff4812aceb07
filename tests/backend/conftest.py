"""Fixtures of the backend conformance suite.

To run the suite against a new backend, add one entry to `BACKEND_FACTORIES`: a function that
takes a fresh, empty working folder and returns a fresh, empty backend (it may call pytest.skip,
for example when no S3 server is configured). Every test in test_conformance.py then runs
against it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from snapstore.backend import Backend, LocalBackend, MemoryBackend

BackendFactory = Callable[[Path], Backend]


def _memory(workdir: Path) -> Backend:
    return MemoryBackend()


def _local(workdir: Path) -> Backend:
    # A root that does not exist yet: the backend must create folders on its first save.
    return LocalBackend(workdir / "repo")


BACKEND_FACTORIES: dict[str, BackendFactory] = {
    "memory": _memory,
    "local": _local,
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
        backend = factory(workdir)
        created.append(backend)
        return backend

    yield make
    for backend in created:
        backend.close()


@pytest.fixture
def backend(make_backend: Callable[[], Backend]) -> Backend:
    """One empty backend of each registered kind."""
    return make_backend()
