"""Request counting: the counter, the wrapper for backends without requests of their own, and
the scope that gathers every backend opened inside it into one counter."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from snapstore.backend import MemoryBackend
from snapstore.backend.counting import CountingBackend
from snapstore.backend.location import open_backend
from snapstore.backend.request_counter import REQUEST_KINDS, RequestCounter, request_scope
from snapstore.errors import BackendError, NotFoundError


def test_counting_backend_counts_one_request_per_call() -> None:
    backend = CountingBackend(MemoryBackend())
    backend.save("a", b"12345")
    assert backend.create_if_absent("a", b"xy") is False
    assert backend.load("a", 1, 2) == b"23"
    backend.stat("a")
    list(backend.list(""))
    backend.remove("a")
    with pytest.raises(NotFoundError):
        backend.load("a")  # a failed request is still a request
    totals = backend.requests.totals()
    assert totals.counts == {"PUT": 2, "GET": 2, "HEAD": 1, "LIST": 1, "DELETE": 1}
    assert (totals.bytes_sent, totals.bytes_received, totals.total) == (7, 2, 7)
    assert totals.as_dict()["total"] == 7


def test_counting_backend_saves_from_a_file_over_any_backend(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.write_bytes(b"0123456789")
    backend = CountingBackend(MemoryBackend())  # no save_file of its own: the file is read
    fd = os.open(source, os.O_RDONLY)
    try:
        backend.save_file("a", fd, 7)
        with pytest.raises(BackendError, match="ended at byte 10 of 11"):
            backend.save_file("b", fd, 11)
    finally:
        os.close(fd)
    assert backend.load("a") == b"0123456"
    assert backend.requests.totals().counts["PUT"] == 2
    assert backend.requests.totals().bytes_sent == 18


def test_counter_is_thread_safe() -> None:
    counter = RequestCounter()

    def work() -> None:
        for _ in range(2000):
            counter.add("GET", received=3)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter.totals().counts["GET"] == 8000
    assert counter.totals().bytes_received == 24000


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        RequestCounter().add("POST")


def test_scope_gathers_every_backend_opened_inside_it(tmp_path: Path) -> None:
    counter = RequestCounter()
    with request_scope(counter):
        first = open_backend(str(tmp_path / "one"))
        second = open_backend(str(tmp_path / "two"))
    outside = open_backend(str(tmp_path / "three"))
    first.save("x", b"1")
    second.save("y", b"22")
    outside.save("z", b"333")
    totals = counter.totals()
    assert totals.backends == 2
    assert totals.counts["PUT"] == 2 and totals.bytes_sent == 3
    assert set(totals.counts) == set(REQUEST_KINDS)
