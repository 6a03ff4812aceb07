"""Several hosts running `snap` on one repository at once, on a local folder or on S3.

A `Place` is a repository location with the environment to reach it and a way to open it
in-process. Each host has its own index cache (hosts do not share one). `Fleet` starts `snap`
processes, waits for each with a timeout, and kills whatever still runs when the test ends,
whether it passed or not.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self, TypeVar

from snapstore.backend import Backend
from snapstore.repository import Repository, RepositoryConfig
from tests.e2e.conftest import CHEAP_KDF, PASSWORD, SnapRun

RUN_TIMEOUT = 45  # seconds for any one `snap` run
K = TypeVar("K")
T = TypeVar("T")


@dataclass
class Place:
    """A repository location; `root` holds the password file, the caches and the restores."""

    name: str
    location: str
    root: Path
    open_backend: Callable[[], Backend]
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.password_file = self.root / "password"
        self.password_file.write_bytes(PASSWORD + b"\n")

    def cache(self, host: str) -> Path:
        return self.root / f"cache-{host}"

    def env(self, host: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SNAP_")}
        env.update(self.extra_env)
        env.update(
            SNAP_REPOSITORY=self.location,
            SNAP_PASSWORD_FILE=str(self.password_file),
            SNAP_CACHE_DIR=str(self.cache(host)),
        )
        return env

    def init(self, config: RepositoryConfig | None = None) -> None:
        Repository.init(self.open_backend(), PASSWORD, self.cache("init"), config=config,
                        kdf=CHEAP_KDF).close()  # fmt: skip

    def open(self, host: str) -> Repository:
        """The repository in-process, with `host`'s cache."""
        return Repository.open(self.open_backend(), PASSWORD, self.cache(host))

    def data_bytes(self) -> int:
        backend = self.open_backend()
        try:
            return sum(info.size for info in backend.list("data"))
        finally:
            backend.close()


class Fleet:
    """`snap` processes of several hosts; use as a context manager, so that none outlives the
    test."""

    def __init__(self, place: Place) -> None:
        self.place = place
        self._running: set[subprocess.Popen[bytes]] = set()
        self.times: list[tuple[float, str, str]] = []  # seconds, host, command of each run
        self._lock = threading.Lock()

    def run(self, host: str, *args: str | os.PathLike[str]) -> SnapRun:
        text_args = tuple(os.fspath(a) for a in args)
        started = time.monotonic()
        process = subprocess.Popen(
            ["snap", *text_args], env=self.place.env(host), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        with self._lock:
            self._running.add(process)
        try:
            stdout, stderr = process.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            _kill(process)
            stdout, stderr = process.communicate()
            stderr += f"\n(killed after {RUN_TIMEOUT} s)".encode()
        finally:
            with self._lock:
                self._running.discard(process)
            self.times.append((time.monotonic() - started, host, text_args[0]))
        return SnapRun(text_args, process.returncode, stdout, stderr)

    def ok(self, host: str, *args: str | os.PathLike[str]) -> SnapRun:
        done = self.run(host, *args)
        assert done.returncode == 0, (host, done.args, done.returncode, done.err)
        return done

    def timing(self) -> str:
        """Per command: runs, seconds in all, slowest run (to see where a slow test spends)."""
        by_command: dict[str, list[float]] = {}
        for seconds, _, command in self.times:
            by_command.setdefault(command, []).append(seconds)
        return ", ".join(
            f"{command} {len(t)}x {sum(t):.1f} s (max {max(t):.2f})"
            for command, t in by_command.items()
        )

    def together(self, keys: Iterable[K], job: Callable[[K], T]) -> dict[K, T]:
        """`job(key)` for each key, each in its own thread, all released at one moment by a
        barrier. Raises the first exception a job raised, once every job has finished."""
        keys = list(keys)
        barrier = threading.Barrier(len(keys))
        results: dict[K, T] = {}
        errors: list[BaseException] = []

        def body(key: K) -> None:
            try:
                barrier.wait(RUN_TIMEOUT)
                results[key] = job(key)
            except BaseException as error:  # noqa: BLE001 - raised in the test's thread
                errors.append(error)

        threads = [threading.Thread(target=body, args=(key,)) for key in keys]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return results

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            left = list(self._running)
        for process in left:
            _kill(process)


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
