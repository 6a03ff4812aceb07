"""The last lines a child process writes to a pipe, kept while a thread drains the pipe (so the
child never blocks on a full pipe) and shown when the child fails."""

from __future__ import annotations

import threading
from typing import IO

TAIL_LINES = 20
TAIL_BYTES = 4096
# A child that exited can leave a grandchild holding the pipe open: wait this long, no longer.
DRAIN_WAIT = 5.0


class StderrTail:
    def __init__(self, pipe: IO[bytes]) -> None:
        self._kept = bytearray()
        self._thread = threading.Thread(target=self._drain, args=(pipe,), daemon=True)
        self._thread.start()

    def _drain(self, pipe: IO[bytes]) -> None:
        with pipe:
            while block := pipe.read(65536):
                self._kept += block
                del self._kept[:-TAIL_BYTES]

    def lines(self) -> tuple[str, ...]:
        """The last lines (at most TAIL_LINES and TAIL_BYTES), once the pipe is closed."""
        self._thread.join(DRAIN_WAIT)
        text = bytes(self._kept).decode("utf-8", errors="replace")
        return tuple(line for line in text.splitlines()[-TAIL_LINES:] if line.strip())


def exit_description(label: str, returncode: int) -> str:
    if returncode < 0:
        return f"{label} was killed by signal {-returncode}"
    return f"{label} exited with code {returncode}"
