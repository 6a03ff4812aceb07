"""A command's output as a stream: full blocks for the chunker, the exit code checked when
the reader closes, a bounded tail of stderr, the command killed when the backup stops."""

from __future__ import annotations

import sys
import time

import pytest

from snapstore.errors import StreamError
from snapstore.sources import CommandSource
from snapstore.sources.stderr_tail import TAIL_BYTES, TAIL_LINES


def source(script: str) -> CommandSource:
    return CommandSource(snapshot_path="/out", argv=(sys.executable, "-c", script), label="the test command")


def read_all(src: CommandSource, block: int = 1 << 20) -> bytes:
    out = bytearray()
    buffer = memoryview(bytearray(block))
    with src.open() as reader:
        while filled := reader.readinto(buffer):
            assert filled == block or not reader.readinto(buffer), "a short block before the end"
            out += buffer[:filled]
    return bytes(out)


def test_output_in_full_blocks() -> None:
    script = "import sys\nfor i in range(300): sys.stdout.write(str(i) * 1000); sys.stdout.flush()"
    assert read_all(source(script), block=64 * 1024) == "".join(str(i) * 1000 for i in range(300)).encode()


def test_non_zero_exit_raises_with_the_stderr_tail() -> None:
    script = "import sys\nfor i in range(100): print('err', i, file=sys.stderr)\nprint('out')\nsys.exit(4)"
    with pytest.raises(StreamError) as caught:
        read_all(source(script))
    assert str(caught.value) == "the test command exited with code 4; no snapshot was saved"
    assert caught.value.details == tuple(f"err {i}" for i in range(100 - TAIL_LINES, 100))


def test_stderr_tail_is_bounded_in_bytes() -> None:
    script = "import sys\nsys.stderr.write('x' * 10_000_000 + '\\nlast line\\n')\nsys.exit(1)"
    with pytest.raises(StreamError) as caught:
        read_all(source(script))
    assert caught.value.details[-1] == "last line"
    assert sum(len(line) for line in caught.value.details) < TAIL_BYTES


def test_the_command_is_killed_when_the_backup_stops() -> None:
    script = "import time\nprint('started', flush=True)\ntime.sleep(60)"
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), source(script).open() as reader:
        reader.readinto(memoryview(bytearray(7)))
        raise KeyboardInterrupt
    assert time.monotonic() - started < 10


def test_a_command_that_cannot_run() -> None:
    missing = CommandSource(snapshot_path="/out", argv=("/nonexistent/tool",), label="command /nonexistent/tool")
    with pytest.raises(StreamError, match="cannot run command /nonexistent/tool: No such file"), missing.open():
        pass
