"""`snap backup --stdin`: standard input stored as one file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from snapstore.sources.stream_file import BlockReader, StreamFile

STDIN_FILENO = 0


@dataclass(frozen=True, kw_only=True)
class StdinSource(StreamFile):
    @contextmanager
    def open(self) -> Iterator[BlockReader]:
        # Unbuffered, and the descriptor stays open: it is the process's standard input.
        with open(STDIN_FILENO, "rb", buffering=0, closefd=False) as raw:
            yield BlockReader(raw, "standard input")
