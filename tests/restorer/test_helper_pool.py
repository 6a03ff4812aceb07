"""The restore's helper pool: no more helpers than asked for however many readers borrow at once,
an idle helper is lent again rather than a new one started, a helper comes back after a failed
request (so no reader waits for it forever), and when none can be started readers get None."""

from __future__ import annotations

import errno
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from snapstore.helper_process import HelperStartError
from snapstore.restorer.content_writer import ContentWriter
from snapstore.restorer.helper_pool import HelperPool


class FakeHelper:
    def __init__(self, number: int) -> None:
        self.number = number
        self.closed = False

    def close(self) -> None:
        self.closed = True


class Starter:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.started: list[FakeHelper] = []
        self._lock = threading.Lock()

    def __call__(self) -> FakeHelper:
        with self._lock:
            if self.failures:
                self.failures -= 1
                raise HelperStartError(f"cannot start a helper process: {errno.errorcode[errno.EAGAIN]}")
            helper = FakeHelper(len(self.started))
            self.started.append(helper)
            return helper


def test_eight_readers_share_two_helpers_each_used_by_one_at_a_time() -> None:
    start = Starter()
    pool = HelperPool(2, start)  # type: ignore[arg-type]
    busy: set[int] = set()
    most = [0]
    lock = threading.Lock()
    release = threading.Barrier(2, timeout=10)

    def read_and_write(_: int) -> None:
        with pool.borrow() as helper:
            assert helper is not None
            with lock:
                assert helper.number not in busy  # type: ignore[attr-defined]
                busy.add(helper.number)  # type: ignore[attr-defined]
                most[0] = max(most[0], len(busy))
            try:
                release.wait()  # both helpers lent at the same moment
            except threading.BrokenBarrierError:
                pass
            with lock:
                busy.discard(helper.number)  # type: ignore[attr-defined]

    with ThreadPoolExecutor(8) as readers:
        list(readers.map(read_and_write, range(40)))
    assert len(start.started) == 2 and most[0] == 2
    pool.close()
    assert all(helper.closed for helper in start.started)


def test_an_idle_helper_is_lent_again_and_comes_back_after_a_failed_request() -> None:
    start = Starter()
    pool = HelperPool(4, start)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError), pool.borrow():
        raise RuntimeError("the helper died")
    with pool.borrow() as helper:
        assert helper is start.started[0]
    assert len(start.started) == 1


def test_readers_write_themselves_when_no_helper_can_start() -> None:
    start = Starter(failures=10)
    pool = HelperPool(2, start)  # type: ignore[arg-type]
    for _ in range(3):
        with pool.borrow() as helper:
            assert helper is None
    assert pool.cannot_start and start.failures == 9  # tried once


def test_after_a_start_failure_a_reader_waits_for_a_running_helper() -> None:
    start = Starter()
    pool = HelperPool(2, start)  # type: ignore[arg-type]
    holding, returned = threading.Event(), threading.Event()
    got: list[object] = []

    def hold_the_first() -> None:
        with pool.borrow() as helper:
            got.append(helper)
            holding.set()
            returned.wait(10)

    holder = threading.Thread(target=hold_the_first)
    holder.start()
    assert holding.wait(10)
    start.failures = 1  # the second helper cannot start: wait for the first

    def borrow_second() -> None:
        with pool.borrow() as helper:
            got.append(helper)

    waiter = threading.Thread(target=borrow_second)
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive()  # waiting, not writing itself while a helper runs
    returned.set()
    holder.join(10)
    waiter.join(10)
    assert not waiter.is_alive()
    assert got == [start.started[0], start.started[0]] and not pool.cannot_start


@pytest.mark.parametrize("remote", [True, False])
def test_a_remote_repository_has_more_reads_in_flight_than_helpers(remote: bool) -> None:
    """From an object store every reader may wait a round trip while the helpers write; from a
    local folder one reader per helper is enough, and each run in flight is memory."""
    writer = ContentWriter(None, readers=6, remote=remote)  # type: ignore[arg-type]
    try:
        helpers = min(6, os.cpu_count() or 2)
        assert writer._helpers.count == helpers
        assert writer._helper_pool()._max_workers == (6 if remote else helpers)
    finally:
        writer.close()
