"""The compiled scan loop releases the GIL, and a scanner refuses to be fed by two threads at
once. Checked by observation, not by timing: while one thread is inside feed(), another thread
runs Python code and sees it there."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import pytest

from snapstore.chunker import standard_gear_table
from snapstore.chunker._fastcdc import Scanner as NativeScanner

BIG = bytes(384 << 20)  # zeros: no cut before max_size, so the scan runs its full length


def scan_in_thread(scanner: Any) -> tuple[threading.Thread, threading.Event]:
    done = threading.Event()

    def work() -> None:
        scanner.feed(BIG)
        done.set()

    thread = threading.Thread(target=work)
    return thread, done


def observations_inside_feed(thread: threading.Thread, done: threading.Event) -> int:
    """Count polls (1 ms apart) during which `thread` was in work() at its feed() line."""
    feed_line = scan_in_thread.__code__.co_firstlineno + 4
    seen = 0
    for _ in range(5000):
        if done.is_set():
            break
        frame = sys._current_frames().get(thread.ident or -1)
        if frame is not None and frame.f_code.co_name == "work" and frame.f_lineno == feed_line:
            seen += 1
        time.sleep(0.001)
    return seen


def test_feed_releases_the_gil() -> None:
    scanner = NativeScanner(1 << 20, 4 << 20, 16 << 20, normalization=1, gear=standard_gear_table())
    thread, done = scan_in_thread(scanner)
    thread.start()
    seen = observations_inside_feed(thread, done)
    thread.join()
    # Holding the GIL, feed() would let this thread run at most once, just before the call.
    assert seen >= 3


def test_two_threads_cannot_feed_one_scanner() -> None:
    scanner = NativeScanner(1 << 20, 4 << 20, 16 << 20, normalization=1, gear=standard_gear_table())
    thread, done = scan_in_thread(scanner)
    thread.start()
    refused = False
    for _ in range(5000):
        if done.is_set():
            break
        try:
            scanner.feed(b"x")
        except RuntimeError as exc:
            assert "another thread" in str(exc)
            refused = True
            break
        time.sleep(0.001)
    thread.join()
    if not refused:
        pytest.fail("a second thread fed a scanner that was in use")
