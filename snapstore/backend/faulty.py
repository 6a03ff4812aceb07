"""A backend wrapper that makes chosen operations fail, for tests of crash safety and retries.
A *fault plan* is called before each operation with its kind and object name and returns an
exception to raise instead (the operation then does not happen), or None."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from snapstore.backend.base import Backend, ObjectData, ObjectInfo
from snapstore.errors import BackendError

FaultPlan = Callable[[str, str], BaseException | None]


def fail_nth_write(n: int) -> FaultPlan:
    """Let n-1 mutations (save, create, remove) through, fail the n-th and every later one, as
    a process killed at that moment would leave things."""
    count = [0]

    def plan(kind: str, name: str) -> BaseException | None:
        if kind not in ("save", "create", "remove"):
            return None
        count[0] += 1
        return BackendError(f"injected failure of {kind} {name}") if count[0] >= n else None

    return plan


class FaultyBackend:
    def __init__(self, inner: Backend, plan: FaultPlan) -> None:
        self.inner = inner
        self.plan = plan
        self.location = f"faulty({inner.location})"

    def _check(self, kind: str, name: str) -> None:
        fault = self.plan(kind, name)
        if fault is not None:
            raise fault

    def save(self, name: str, data: ObjectData) -> None:
        self._check("save", name)
        self.inner.save(name, data)

    def create_if_absent(self, name: str, data: ObjectData) -> bool:
        self._check("create", name)
        return self.inner.create_if_absent(name, data)

    def load(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        self._check("load", name)
        return self.inner.load(name, offset, length)

    def stat(self, name: str) -> ObjectInfo:
        self._check("stat", name)
        return self.inner.stat(name)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        self._check("list", prefix)
        return self.inner.list(prefix)

    def remove(self, name: str) -> None:
        self._check("remove", name)
        self.inner.remove(name)

    def close(self) -> None:
        self.inner.close()
