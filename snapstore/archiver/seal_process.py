"""The backup process's side of a helper process (`seal_worker`): start it, send it paths,
collect their sealed blobs, stop it."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import snapstore
from snapstore.errors import SnapError
from snapstore.repository.data_sealing import DataSealing

STOP_TIMEOUT = 10.0
# As seal_worker.Result (not imported: that would load the worker module into the package).
Result = tuple[object, ...]


class HelperProcessError(SnapError):
    """A helper process of the backup could not start or stopped unexpectedly."""


def _child_environment() -> dict[str, str]:
    """The helper imports the same snapstore as this process, wherever that was loaded from."""
    env = dict(os.environ)
    root = str(Path(snapstore.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


class SealProcess:
    """One helper process; used by one thread at a time."""

    def __init__(self, sealing: DataSealing, limit: int) -> None:
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "snapstore.archiver.seal_worker"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=_child_environment(), close_fds=True,
            )  # fmt: skip
        except OSError as error:
            raise HelperProcessError(f"cannot start a helper process: {error.strerror or error}") from None
        assert self._process.stdin is not None and self._process.stdout is not None
        self._requests = self._process.stdin
        self._answers = self._process.stdout
        self._send((sealing, limit))

    def seal(self, paths: list[bytes]) -> list[Result]:
        self._send(paths)
        try:
            results: list[Result] = pickle.load(self._answers)
        except (EOFError, pickle.UnpicklingError, OSError):
            raise self._gone() from None
        if len(results) != len(paths):
            raise HelperProcessError("a helper process of the backup answered out of turn")
        return results

    def _send(self, message: object) -> None:
        try:
            pickle.dump(message, self._requests, pickle.HIGHEST_PROTOCOL)
            self._requests.flush()
        except OSError:
            raise self._gone() from None

    def _gone(self) -> HelperProcessError:
        code = self._process.poll()
        how = "stopped" if code is None else f"exited with code {code}"
        return HelperProcessError(f"a helper process of the backup {how} unexpectedly")

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
