"""Exit codes of `snap` (restic's where restic has one) and the one place errors become them."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

from snapstore.errors import SnapError

OK = 0
FATAL = 1
USAGE = 2  # click's own code for bad command-line usage
PARTIAL = 3  # backup saved, but some files could not be read
INTERRUPTED = 130

T = TypeVar("T")


def exit_code_for(error: BaseException) -> int:
    if isinstance(error, KeyboardInterrupt):
        return INTERRUPTED
    return FATAL


def fail(message: str, code: int = FATAL) -> NoReturn:
    """Print one line to stderr and exit: never a traceback for an expected error."""
    print(f"snap: error: {message}", file=sys.stderr)
    sys.exit(code)


def run_guarded(entry: Callable[[], T]) -> T:
    try:
        return entry()
    except KeyboardInterrupt:
        fail("interrupted", INTERRUPTED)
    except SnapError as error:
        fail(str(error), exit_code_for(error))
    except ImportError as error:
        # The compiled chunker missing is the one expected ImportError; its message says what to do.
        fail(str(error).splitlines()[0])
