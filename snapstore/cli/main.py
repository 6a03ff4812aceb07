"""The console-script entry point. The commands are imported inside the error guard, so that even
a failed import (the compiled chunker missing) becomes a one-line error, not a traceback."""

from __future__ import annotations

from snapstore.cli.exit_codes import run_guarded


def _run() -> None:
    from snapstore.cli.commands import cli

    cli.main(standalone_mode=True)


def main() -> None:
    run_guarded(_run)
