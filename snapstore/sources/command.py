"""A command's standard output stored as it streams (`snap backup --stdin-from-command`,
`pg_dump`, `mariadb-dump`); a non-zero exit fails the backup with the tail of its stderr."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, cast

from snapstore.errors import StreamError
from snapstore.sources.stderr_tail import StderrTail, exit_description
from snapstore.sources.stream_file import BlockReader, StreamFile

NO_SNAPSHOT = "no snapshot was saved"


def start(argv: Sequence[str], env: Mapping[str, str] | None, label: str, stdout: int | IO[bytes]) -> subprocess.Popen[bytes]:
    """Start `argv` with no standard input and stderr on a pipe; StreamError if it cannot run."""
    try:
        return subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
            env=None if env is None else dict(env), bufsize=0,
        )  # fmt: skip
    except OSError as error:
        raise StreamError(f"cannot run {label}: {error.strerror or error}; {NO_SNAPSHOT}") from None


def run_to_end(argv: Sequence[str], env: Mapping[str, str] | None, label: str) -> None:
    """Run a command that writes its dump to a file; StreamError unless it exits with 0."""
    process = start(argv, env, label, subprocess.DEVNULL)
    assert process.stderr is not None
    tail = StderrTail(process.stderr)
    try:
        returncode = process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise
    if returncode != 0:
        raise StreamError(f"{exit_description(label, returncode)}; {NO_SNAPSHOT}", tail.lines())


@dataclass(frozen=True, kw_only=True)
class CommandSource(StreamFile):
    argv: tuple[str, ...]
    label: str  # how messages name the command: "command 'sh'", "pg_dump for postgresql://..."
    env: Mapping[str, str] | None = field(default=None, repr=False)  # None: snap's own

    @contextmanager
    def open(self) -> Iterator[BlockReader]:
        process = start(self.argv, self.env, self.label, subprocess.PIPE)
        assert process.stdout is not None and process.stderr is not None
        tail = StderrTail(process.stderr)
        read_to_end = False
        try:
            raw = cast(io.FileIO, process.stdout)  # bufsize=0: the pipe itself, unbuffered
            yield BlockReader(raw, f"the output of {self.label}")
            read_to_end = True
        finally:
            if not read_to_end:  # the backup stopped (error, interrupt): so does the command
                process.kill()
            process.stdout.close()
            returncode = process.wait()
        if returncode != 0:
            raise StreamError(f"{exit_description(self.label, returncode)}; {NO_SNAPSHOT}",
                              tail.lines())  # fmt: skip
