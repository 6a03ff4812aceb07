"""The console-script entry point. The commands are imported inside the error guard, so that even
a failed import (the compiled chunker missing) becomes a one-line error, not a traceback."""

from __future__ import annotations

import io
import sys

from snapstore.cli.allocator import use_one_malloc_arena
from snapstore.cli.audit import audited
from snapstore.cli.exit_codes import run_guarded


def _run() -> None:
    from snapstore.cli.commands import cli

    cli.main(standalone_mode=True)


def main() -> None:
    use_one_malloc_arena()
    # File names are bytes; one that is not valid UTF-8 is printed as the bytes it is (as ls
    # does), not turned into a UnicodeEncodeError on a terminal whose locale is UTF-8.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="surrogateescape")
    run_guarded(audited(_run))
