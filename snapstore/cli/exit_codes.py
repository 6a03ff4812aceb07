"""Exit codes of `snap` (restic's where restic has one) and the one place errors become them."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

from snapstore.errors import (
    LockedError,
    RepositoryNotFoundError,
    SnapError,
    WrongPasswordError,
)

OK = 0
FATAL = 1
USAGE = 2  # click's own code for bad command-line usage
PARTIAL = 3  # backup saved, but some files could not be read
NO_REPOSITORY = 10
LOCKED = 11
WRONG_PASSWORD = 12
INTERRUPTED = 130

_CODES: list[tuple[type[BaseException], int]] = [
    (KeyboardInterrupt, INTERRUPTED),
    (RepositoryNotFoundError, NO_REPOSITORY),
    (LockedError, LOCKED),
    (WrongPasswordError, WRONG_PASSWORD),
]

T = TypeVar("T")


def exit_code_for(error: BaseException) -> int:
    for kind, code in _CODES:
        if isinstance(error, kind):
            return code
    return FATAL


def exit_status(done: SystemExit) -> int:
    """The process exit status a SystemExit stands for (None is success, text is failure)."""
    if isinstance(done.code, int):
        return done.code
    return OK if done.code is None else FATAL


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
    except OSError as error:
        fail(f"{error.filename or 'I/O'}: {error.strerror or error}")
    except Exception as error:  # a bug: still one line, the details on request
        if os.environ.get("SNAP_DEBUG"):
            raise
        fail(f"internal error: {type(error).__name__}: {error} (set SNAP_DEBUG=1 for details)")
