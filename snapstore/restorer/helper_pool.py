"""The restore's helper processes, lent to its reader threads one request at a time. From an
object store there are more readers than helpers, so that while a helper writes one run the next
runs are being read: each read waits a round trip, and a helper that waited for its own reads
would sit idle for most of them (docs/design.md §12)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from snapstore.helper_process import HelperProcess, HelperStartError


class HelperPool:
    """Up to `count` helpers, each started by `start` when a reader needs one and none is idle.
    If the system refuses to start one, no more are tried; with none running, `borrow` gives
    None and the reader writes the run itself."""

    def __init__(self, count: int, start: Callable[[], HelperProcess]) -> None:
        self.count = count
        self._start = start
        self._idle: list[HelperProcess] = []
        self._starting = 0
        self._cannot_start = False
        self._ready = threading.Condition()
        self.helpers: list[HelperProcess] = []  # started so far

    @property
    def cannot_start(self) -> bool:
        return self._cannot_start and not self.helpers

    @contextmanager
    def borrow(self) -> Iterator[HelperProcess | None]:
        helper = self._take()
        try:
            yield helper
        finally:
            # Also after a failed request: a helper that died fails its next request at once,
            # so no reader waits for one that never comes back.
            if helper is not None:
                with self._ready:
                    self._idle.append(helper)
                    self._ready.notify()

    def _take(self) -> HelperProcess | None:
        with self._ready:
            if self._idle:
                return self._idle.pop()
            start = not self._cannot_start and len(self.helpers) + self._starting < self.count
            if start:
                self._starting += 1
        if start:
            helper = self._started()
            if helper is not None:
                return helper
        with self._ready:
            while not self._idle:
                if not self.helpers and not self._starting:
                    return None  # none could be started
                self._ready.wait()
            return self._idle.pop()

    def _started(self) -> HelperProcess | None:
        try:
            helper = self._start()
        except HelperStartError:
            with self._ready:
                self._starting -= 1
                self._cannot_start = True
                self._ready.notify_all()  # readers waiting for a helper that will not come
            return None
        with self._ready:
            self._starting -= 1
            self.helpers.append(helper)
        return helper

    def close(self) -> None:
        for helper in self.helpers:
            helper.close()
