"""A backend wrapper that makes chosen operations fail, for tests of crash safety and retries.

A *fault plan* is called before each operation with its kind (save, create, load, stat, list,
remove) and object name and returns an exception to raise instead (the operation then does not
happen), or None. An optional *after plan* is called once the operation has happened and may
return an exception too: the change is made but the caller hears of a failure, as when a
response is lost or a download is cut short.

`RandomFaults` gives both plans for a share of operations chosen by a seeded generator, and may
delay operations, so that retries, timeouts and crash safety can be tested on any backend.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

from snapstore.backend.base import Backend, ObjectData, ObjectInfo
from snapstore.errors import BackendError, TransientBackendError

FaultPlan = Callable[[str, str], BaseException | None]

MUTATIONS = ("save", "create", "remove")


def fail_nth_write(n: int) -> FaultPlan:
    """Let n-1 mutations (save, create, remove) through, fail the n-th and every later one, as
    a process killed at that moment would leave things."""
    count = [0]

    def plan(kind: str, name: str) -> BaseException | None:
        if kind not in MUTATIONS:
            return None
        count[0] += 1
        return BackendError(f"injected failure of {kind} {name}") if count[0] >= n else None

    return plan


class RandomFaults:
    """Transient faults for a share of operations, from a seeded generator (thread-safe).

    - `fail`: share of operations that fail before they happen (a refused or reset request);
    - `lose_response`: share of mutations that happen but report a failure (a lost response);
    - `cut_reads`: share of loads whose transfer is cut short (the data read is thrown away);
    - `delay`: share of operations delayed by up to `delay_seconds` first (a slow server).

    `injected` counts the faults by kind, so a test can check that faults really happened.
    """

    def __init__(
        self,
        seed: int,
        *,
        fail: float = 0.0,
        lose_response: float = 0.0,
        cut_reads: float = 0.0,
        delay: float = 0.0,
        delay_seconds: float = 0.01,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.fail = fail
        self.lose_response = lose_response
        self.cut_reads = cut_reads
        self.delay = delay
        self.delay_seconds = delay_seconds
        self._sleep = sleep
        self.injected: Counter[str] = Counter()

    def _chance(self, share: float, fault: str) -> bool:
        with self._lock:
            hit = share > 0 and self._random.random() < share
            if hit:
                self.injected[fault] += 1
            return hit

    def before(self, kind: str, name: str) -> BaseException | None:
        if self._chance(self.delay, "delay"):
            with self._lock:
                pause = self._random.uniform(0, self.delay_seconds)
            self._sleep(pause)
        if self._chance(self.fail, "fail"):
            return TransientBackendError(f"injected failure of {kind} {name!r}")
        return None

    def after(self, kind: str, name: str) -> BaseException | None:
        if kind in MUTATIONS and self._chance(self.lose_response, "lose_response"):
            return TransientBackendError(f"injected lost response of {kind} {name!r}")
        if kind == "load" and self._chance(self.cut_reads, "cut_read"):
            return TransientBackendError(f"injected cut of the read of {name!r}")
        return None


class FaultyBackend:
    def __init__(
        self, inner: Backend, plan: FaultPlan | None = None, *, after: FaultPlan | None = None
    ) -> None:
        self.inner = inner
        self.plan = plan
        self.after = after
        self.location = f"faulty({inner.location})"

    @classmethod
    def random(cls, inner: Backend, faults: RandomFaults) -> FaultyBackend:
        return cls(inner, faults.before, after=faults.after)

    @property
    def requests(self) -> object:
        return getattr(self.inner, "requests", None)

    def _check(self, kind: str, name: str) -> None:
        fault = self.plan(kind, name) if self.plan is not None else None
        if fault is not None:
            raise fault

    def _check_after(self, kind: str, name: str) -> None:
        fault = self.after(kind, name) if self.after is not None else None
        if fault is not None:
            raise fault

    def save(self, name: str, data: ObjectData) -> None:
        self._check("save", name)
        self.inner.save(name, data)
        self._check_after("save", name)

    def create_if_absent(self, name: str, data: ObjectData) -> bool:
        self._check("create", name)
        created = self.inner.create_if_absent(name, data)
        self._check_after("create", name)
        return created

    def load(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        self._check("load", name)
        data = self.inner.load(name, offset, length)
        self._check_after("load", name)
        return data

    def stat(self, name: str) -> ObjectInfo:
        self._check("stat", name)
        return self.inner.stat(name)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        self._check("list", prefix)
        return self.inner.list(prefix)

    def remove(self, name: str) -> None:
        self._check("remove", name)
        self.inner.remove(name)
        self._check_after("remove", name)

    def close(self) -> None:
        self.inner.close()
