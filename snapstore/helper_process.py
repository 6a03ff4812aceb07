"""Helper processes: a backup or a restore hands per-file work that is mostly Python and system
calls to processes of its own, which run it outside the main process's interpreter lock
(docs/design.md §12). Both sides of the pipe live here; each worker module supplies only what it
does with a request.

A helper is `python -m <worker module>`, started with the same interpreter and the same snapstore.
It speaks pickle over standard input and output: first one setup message (which may hold keys:
they go through the pipe, never on a command line or in the environment), then one answer per
request, in turn.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import snapstore
from snapstore.errors import SnapError

STOP_TIMEOUT = 10.0


class HelperProcessError(SnapError):
    """A helper process could not start or stopped unexpectedly."""


class HelperStartError(HelperProcessError):
    """No helper process could be started (no memory or process slots left): the caller does
    the work itself instead."""


def _child_environment() -> dict[str, str]:
    """The helper imports the same snapstore as this process, wherever that was loaded from."""
    env = dict(os.environ)
    root = str(Path(snapstore.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


class HelperProcess:
    """One helper process; used by one thread at a time. `role` names the command in errors
    ("backup", "restore")."""

    def __init__(self, module: str, setup: object, role: str) -> None:
        self._role = role
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", module],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=_child_environment(), close_fds=True,
            )  # fmt: skip
        except OSError as error:
            raise HelperStartError(f"cannot start a helper process: {error.strerror or error}") from None
        assert self._process.stdin is not None and self._process.stdout is not None
        self._requests = self._process.stdin
        self._answers = self._process.stdout
        self._send(setup)

    @property
    def pid(self) -> int:
        return self._process.pid

    def request(self, message: object) -> object:
        self._send(message)
        try:
            return pickle.load(self._answers)
        except (EOFError, pickle.UnpicklingError, OSError):
            raise self._gone() from None

    def _send(self, message: object) -> None:
        try:
            pickle.dump(message, self._requests, pickle.HIGHEST_PROTOCOL)
            self._requests.flush()
        except OSError:
            raise self._gone() from None

    def _gone(self) -> HelperProcessError:
        code = self._process.poll()
        how = "stopped" if code is None else f"exited with code {code}"
        return HelperProcessError(f"a helper process of the {self._role} {how} unexpectedly")

    def out_of_turn(self) -> HelperProcessError:
        return HelperProcessError(f"a helper process of the {self._role} answered out of turn")

    def close(self) -> None:
        """Let the helper end by closing its input; kill it if it does not."""
        try:
            self._requests.close()
        except OSError:
            pass
        try:
            self._process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._answers.close()


Handler = Callable[[object], object]


def serve_requests(make_handler: Callable[[object], Handler]) -> None:
    """A worker module's main: build the handler from the setup message, then answer each
    request until the parent closes the pipe."""
    # Ctrl-C reaches the whole process group: the parent handles it and closes our pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the answers
    try:
        _serve(requests, answers, make_handler)
    except BrokenPipeError:
        os._exit(1)  # the parent went away


def _serve(requests: BinaryIO, answers: BinaryIO, make_handler: Callable[[object], Handler]) -> None:
    handle = make_handler(pickle.load(requests))
    while True:
        try:
            message = pickle.load(requests)
        except EOFError:  # the parent is done, or gone
            return
        pickle.dump(handle(message), answers, pickle.HIGHEST_PROTOCOL)
        answers.flush()
