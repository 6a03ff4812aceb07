"""What the database servers of the tests share: a free loopback port, a private folder the
server's user can enter, running a program as that user, and bounded waits."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

START_TIMEOUT = 60.0  # seconds for a server to accept connections
COMMAND_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def is_root() -> bool:
    return os.geteuid() == 0


def private_folder(prefix: str, owner: str | None) -> Path:
    """A new folder in the system's temporary folder (pytest's own is closed to other users),
    owned by `owner` when we are root and it is given."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if owner is not None and is_root():
        shutil.chown(folder, owner, owner)
    return folder


def as_user(user: str | None, argv: Sequence[str]) -> list[str]:
    """`argv` run as `user` when we are root (servers refuse to run as root), else as is."""
    if user is None or not is_root():
        return list(argv)
    pwd.getpwnam(user)  # KeyError names a missing account early
    return ["runuser", "-u", user, "--", *argv]


def run(argv: Sequence[str], *, input: bytes | None = None, timeout: float = COMMAND_TIMEOUT,
        env: dict[str, str] | None = None) -> bytes:  # fmt: skip
    """Run a command; its stdout, or AssertionError with its stderr when it fails."""
    done = subprocess.run(list(argv), input=input, capture_output=True, timeout=timeout,
                          env=env, cwd="/", check=False)  # fmt: skip
    assert done.returncode == 0, (argv, done.returncode, done.stderr.decode(errors="replace")[-3000:])
    return done.stdout


def wait_until(ready: Callable[[], bool], what: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not ready after {timeout:.0f} s")
        time.sleep(0.05)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
