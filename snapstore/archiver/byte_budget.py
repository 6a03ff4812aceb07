"""A budget of bytes in flight between a reader and the worker threads that store what it read:
the reader acquires before handing data over and the workers release once it is packed, so
memory stays bounded whatever the size of the input (backups and copies share it)."""

from __future__ import annotations

import threading


class ByteBudget:
    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._used = 0
        self._cond = threading.Condition()

    def available(self, size: int) -> bool:
        with self._cond:
            return self._used == 0 or self._used + size <= self._limit

    def acquire(self, size: int) -> None:
        with self._cond:
            # More than the whole budget goes alone rather than waiting forever.
            self._cond.wait_for(lambda: self._used == 0 or self._used + size <= self._limit)
            self._used += size

    def release(self, size: int) -> None:
        with self._cond:
            self._used -= size
            self._cond.notify_all()
