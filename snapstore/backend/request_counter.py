"""Counting the requests a backend makes, by the kinds cloud storage bills: PUT, GET, HEAD, LIST,
DELETE, plus the bytes sent and received.

The S3 backend counts the HTTP requests it really sends (retries and each page of a listing
included); `CountingBackend` counts one request per protocol call for backends that have no
requests of their own (local, memory). A backend exposes its counter as `requests`.

A *request scope* lets a caller (the CLI) collect the requests of every backend opened while it
is active into one counter, without passing the counter down: backends take the scope's counter
when they are created, or a counter of their own outside any scope.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

REQUEST_KINDS = ("PUT", "GET", "HEAD", "LIST", "DELETE")


@dataclass(frozen=True)
class RequestTotals:
    """What a counter holds at one moment."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REQUEST_KINDS, 0))
    bytes_sent: int = 0
    bytes_received: int = 0
    backends: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, int]:
        return {**self.counts, "total": self.total, "bytes_sent": self.bytes_sent,
                "bytes_received": self.bytes_received}  # fmt: skip


class RequestCounter:
    """Thread-safe counts of requests by kind and of bytes moved."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(REQUEST_KINDS, 0)
        self._sent = 0
        self._received = 0
        self._backends = 0

    def add(self, kind: str, sent: int = 0, received: int = 0) -> None:
        if kind not in self._counts:
            raise ValueError(f"unknown request kind {kind!r}")
        with self._lock:
            self._counts[kind] += 1
            self._sent += sent
            self._received += received

    def add_received(self, received: int) -> None:
        """Bytes of a response body read after its request was counted."""
        with self._lock:
            self._received += received

    def attach(self) -> RequestCounter:
        """Called by a backend that counts into this counter; returns the counter."""
        with self._lock:
            self._backends += 1
        return self

    def totals(self) -> RequestTotals:
        with self._lock:
            return RequestTotals(dict(self._counts), self._sent, self._received, self._backends)


_scope: ContextVar[RequestCounter | None] = ContextVar("snapstore_request_scope", default=None)


@contextmanager
def request_scope(counter: RequestCounter) -> Iterator[RequestCounter]:
    """Backends created inside the `with` (in this thread) count into `counter`."""
    token = _scope.set(counter)
    try:
        yield counter
    finally:
        _scope.reset(token)


def counter_for_new_backend() -> RequestCounter:
    """The counter a backend being created should use: the active scope's, or a new one."""
    return (_scope.get() or RequestCounter()).attach()
