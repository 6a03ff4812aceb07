"""A backend wrapper that tries an operation again after a transient failure.

Only `TransientBackendError` is retried (a server error, throttling, a dropped connection, a
timeout, a read cut short); a missing object, a refused permission or a bad name fails at once.
Attempts are bounded and spaced by exponential backoff with full jitter: before retry n the
wrapper sleeps a random time between 0 and min(max_delay, base_delay * 2**n), so that many
clients failing together do not retry in lockstep.

An attempt whose answer was lost may still have taken effect, so a retry must not misread
what it finds: a `remove` that finds nothing after a failed attempt is done, and a
`create_if_absent` that finds the object after a failed attempt compares the stored bytes with
its own to learn whether the earlier attempt won. That is sound because every object created so
carries unique content (the repository config holds a random id); for two writers of identical
bytes both could be told they won.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from snapstore.backend.base import Backend, ObjectData, ObjectInfo, validate_prefix
from snapstore.errors import NotFoundError, TransientBackendError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.retries < 0 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError(f"retry settings must not be negative: {self}")

    def delay(self, retry: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2**retry))


class RetryingBackend:
    def __init__(
        self,
        inner: Backend,
        policy: RetryPolicy = RetryPolicy(),
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.inner = inner
        self.policy = policy
        self.location = inner.location
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.retried = 0

    @property
    def requests(self) -> object:
        return getattr(self.inner, "requests", None)

    def _call(self, operation: Callable[[int], T]) -> T:
        """Run operation(attempt) until it succeeds, fails for good or retries run out."""
        attempt = 0
        while True:
            try:
                return operation(attempt)
            except TransientBackendError as error:
                self._wait_or_give_up(error, attempt)
            attempt += 1

    def _wait_or_give_up(self, error: TransientBackendError, attempt: int) -> None:
        """After failed attempt number `attempt` (from 0): back off, or raise if none is left."""
        if attempt >= self.policy.retries:
            raise TransientBackendError(f"{error} (gave up after {attempt + 1} attempts)") from error
        self._sleep(self.policy.delay(attempt, self._rng))
        self.retried += 1

    def save(self, name: str, data: ObjectData) -> None:
        self._call(lambda attempt: self.inner.save(name, data))

    def create_if_absent(self, name: str, data: ObjectData) -> bool:
        def create(attempt: int) -> bool:
            if self.inner.create_if_absent(name, data):
                return True
            if attempt == 0:
                return False
            # An earlier attempt may have created it before its answer was lost.
            try:
                return self.inner.load(name) == bytes(data)
            except NotFoundError:
                raise TransientBackendError(f"object {name!r} vanished while being created")

        return self._call(create)

    def load(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        return self._call(lambda attempt: self.inner.load(name, offset, length))

    def stat(self, name: str) -> ObjectInfo:
        return self._call(lambda attempt: self.inner.stat(name))

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        validate_prefix(prefix)  # now, not at the first next()
        return self._list(prefix)

    def _list(self, prefix: str) -> Iterator[ObjectInfo]:
        """A listing that fails part way is started again, skipping names already given."""
        seen: set[str] = set()
        attempt = 0
        while True:
            try:
                for info in self.inner.list(prefix):
                    if info.name not in seen:
                        seen.add(info.name)
                        yield info
                return
            except TransientBackendError as error:
                self._wait_or_give_up(error, attempt)
            attempt += 1

    def remove(self, name: str) -> None:
        def remove(attempt: int) -> None:
            try:
                self.inner.remove(name)
            except NotFoundError:
                if attempt == 0:
                    raise
                # An earlier attempt removed it before its answer was lost.

        self._call(remove)

    def close(self) -> None:
        self.inner.close()

    def __repr__(self) -> str:
        return f"RetryingBackend({self.inner!r}, retries={self.policy.retries})"
