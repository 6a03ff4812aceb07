"""Running a profile's before and after commands: output captured (the tail kept), a timeout
that ends the command's whole process group, and the environment the caller gives."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass

from snapstore.profiles.intervals import format_interval
from snapstore.profiles.model import Hook

OUTPUT_TAIL = 64 * 1024  # bytes of a hook's output kept for the report


@dataclass(frozen=True)
class HookOutcome:
    exit_code: int | None  # None: it did not start or was ended by the timeout
    output: str
    seconds: float
    error: str | None = None  # one line when it failed

    @property
    def ok(self) -> bool:
        return self.error is None


def run_hook(hook: Hook, environ: Mapping[str, str]) -> HookOutcome:
    argv = ["/bin/sh", "-c", hook.command] if isinstance(hook.command, str) else list(hook.command)
    started = time.monotonic()
    try:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, env=dict(environ),
                                   start_new_session=True)  # fmt: skip
    except OSError as error:
        return HookOutcome(None, "", time.monotonic() - started, f"cannot start: {error.strerror}")
    try:
        output, _ = process.communicate(
            timeout=hook.timeout.total_seconds() if hook.timeout else None
        )
    except subprocess.TimeoutExpired:
        assert hook.timeout is not None
        # The group, not just the shell: a child left running would hold the pipe open.
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        seconds = time.monotonic() - started
        return HookOutcome(
            None, _tail(output), seconds, f"timed out after {format_interval(hook.timeout)}"
        )
    seconds = time.monotonic() - started
    if process.returncode != 0:
        return HookOutcome(process.returncode, _tail(output), seconds,
                           f"exited with code {process.returncode}")  # fmt: skip
    return HookOutcome(0, _tail(output), seconds)


def _tail(output: bytes) -> str:
    return output[-OUTPUT_TAIL:].decode("utf-8", errors="replace")
