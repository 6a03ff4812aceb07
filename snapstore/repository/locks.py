"""Lock files (docs/design.md §6.2): who is working on the repository, so that garbage
collection never deletes what a running backup may still refer to, and two prunes never run at
once. Locks never block a backup, and they expire on their own.

A lock is `locks/<random hex>`: JSON naming its kind, host, pid, user, and when it was created
and last refreshed. Its owner rewrites it every `REFRESH_INTERVAL`. Anyone may treat it as
stale when its refresh time is older than `STALE_AFTER` (by the reader's clock, with
`CLOCK_SKEW` of slack), or, on the same host, when its process no longer exists.

Exclusive locks (prune) do not rely on create-if-absent: after writing its own lock, a prune
lists the locks, and if another live exclusive lock was created before it (ties broken by name)
it withdraws. Two racing prunes thus agree on one winner on any storage that reads its own
writes and lists what was written before.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from snapstore.backend import Backend
from snapstore.errors import LockedError, NotFoundError, SnapError
from snapstore.repository import layout

REFRESH_INTERVAL = timedelta(minutes=5)
STALE_AFTER = timedelta(minutes=30)
CLOCK_SKEW = timedelta(minutes=10)
BACKUP = "backup"
PRUNE = "prune"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class LockInfo:
    name: str
    kind: str
    exclusive: bool
    hostname: str
    pid: int
    username: str
    created: datetime
    refreshed: datetime

    def is_stale(self, now: datetime, this_host: str | None = None) -> bool:
        if now - self.refreshed > STALE_AFTER + CLOCK_SKEW:
            return True
        return self.hostname == (this_host or socket.gethostname()) and not _pid_alive(self.pid)

    def describe(self) -> str:
        return (f"{self.kind} lock by {self.username}@{self.hostname} pid {self.pid}, "
                f"created {self.created.isoformat(timespec='seconds')}")  # fmt: skip


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _encode(info: LockInfo) -> bytes:
    return json.dumps({
        "kind": info.kind, "exclusive": info.exclusive, "hostname": info.hostname,
        "pid": info.pid, "username": info.username, "created": info.created.isoformat(),
        "refreshed": info.refreshed.isoformat(),
    }, sort_keys=True).encode()  # fmt: skip


def _decode(name: str, data: bytes) -> LockInfo | None:
    try:
        d = json.loads(data)
        return LockInfo(name, str(d["kind"]), bool(d["exclusive"]), str(d["hostname"]),
                        int(d["pid"]), str(d["username"]), datetime.fromisoformat(d["created"]),
                        datetime.fromisoformat(d["refreshed"]))  # fmt: skip
    except (ValueError, KeyError, TypeError):
        return None  # unreadable: treated as stale by `list_locks` callers via None


def list_locks(backend: Backend) -> list[LockInfo]:
    """Every readable lock (a lock that vanishes or cannot be parsed while listing is skipped)."""
    found = []
    for info in backend.list(layout.LOCKS):
        try:
            lock = _decode(info.name, backend.load(info.name))
        except NotFoundError:
            continue
        if lock is not None:
            found.append(lock)
    return sorted(found, key=lambda lock: (lock.created, lock.name))


def remove_stale_locks(backend: Backend, now: datetime) -> list[LockInfo]:
    removed = []
    for lock in list_locks(backend):
        if lock.is_stale(now):
            try:
                backend.remove(lock.name)
            except NotFoundError:
                pass
            removed.append(lock)
    return removed


class Lock:
    """A lock held by this process; refreshed by a daemon thread until `release`."""

    def __init__(self, backend: Backend, kind: str, exclusive: bool, clock: Clock = utc_now) -> None:
        self.backend = backend
        self.clock = clock
        now = clock()
        self.info = LockInfo(
            f"{layout.LOCKS}/{os.urandom(16).hex()}", kind, exclusive, socket.gethostname(),
            os.getpid(), getpass.getuser(), now, now,
        )  # fmt: skip
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> Lock:
        self.backend.save(self.info.name, _encode(self.info))
        if self.info.exclusive:
            self._check_exclusive()
        self._thread = threading.Thread(target=self._refresh_loop, daemon=True, name="snap-lock")
        self._thread.start()
        return self

    def _check_exclusive(self) -> None:
        now = self.clock()
        rivals = [
            lock for lock in list_locks(self.backend)
            if lock.exclusive and lock.name != self.info.name and not lock.is_stale(now)
            and (lock.created, lock.name) < (self.info.created, self.info.name)
        ]  # fmt: skip
        if rivals:
            self.backend.remove(self.info.name)
            raise LockedError(f"repository is locked: {rivals[0].describe()}")

    def refresh(self) -> None:
        self.info = LockInfo(**{**self.info.__dict__, "refreshed": self.clock()})
        self.backend.save(self.info.name, _encode(self.info))

    def _refresh_loop(self) -> None:
        while not self._stop.wait(REFRESH_INTERVAL.total_seconds()):
            try:
                self.refresh()
            except Exception:  # a failed refresh must not kill the owner; it retries next time
                continue

    def release(self) -> None:
        self._stop.set()
        try:
            self.backend.remove(self.info.name)
        except NotFoundError:
            pass

    def __enter__(self) -> Lock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        if exc_type is None:
            self.release()
            return
        # The operation already failed, often because the storage did: that error is the one to
        # report, not a second failure to remove the lock (it goes stale and `snap unlock` or
        # its age removes it).
        try:
            self.release()
        except SnapError:
            pass
