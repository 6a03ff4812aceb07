"""The local audit log: one JSON line per operation (who, host, when, what, result).

Commands that change a repository or take data out of it are recorded (`AUDITED`); listing
and checking commands are not, so a monitoring probe run every few minutes does not drown the
log. The record is written when the command ends, by `audited` around the whole command line
in `main`, so commands need no code of their own.

The log is append-only: opened with O_APPEND, each record is one `write` (so records of
concurrent runs never interleave) followed by fsync. Its place: `--audit-log FILE`, else
`$SNAP_AUDIT_LOG` (`off` turns the log off), else `$XDG_STATE_HOME/snapstore/audit.jsonl`
(`~/.local/state/snapstore/audit.jsonl`). A log that cannot be written is a warning on stderr,
never a failed backup.

Secrets never reach the log: values of options named like a password, secret or token (but
not their `-file` variants, which name a path), passwords inside URLs
(`postgresql://user:***@host/db`) and `password=` in query strings or connection strings are
replaced by `***`.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from snapstore.cli.exit_codes import exit_code_for, exit_status

T = TypeVar("T")

AUDITED = frozenset(
    {"init", "backup", "forget", "prune", "unlock", "repair", "key", "copy", "restore", "dump",
     "drill", "run", "schedule", "mount"}
)  # fmt: skip
MASK = "***"
# Global options that take a value: needed to find the command name among the arguments.
_VALUE_OPTIONS = frozenset({"-r", "--repo", "--password-file", "--cache-dir", "--audit-log"})
_SECRET_WORDS = ("password", "passwd", "secret", "token")
_URL_PASSWORD = re.compile(r"(?P<keep>[A-Za-z][A-Za-z0-9+.-]*://[^/:@\s]*:)[^@\s]*@")
_KEY_VALUE_PASSWORD = re.compile(
    r"(?P<keep>\b(?:password|passwd|pwd|sslpassword|secret|token|secret_access_key)\s*=\s*)"
    r"(?:'[^']*'|[^&\s]+)",
    re.IGNORECASE,
)


def audited(entry: Callable[[], T], argv: Sequence[str] | None = None) -> Callable[[], T]:
    """`entry` wrapped so that, when it runs an audited command, a record is appended at its
    end whatever the outcome (exception or exit)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = command_of(arguments)
    if command not in AUDITED or "--help" in arguments or "-h" in arguments:
        return entry
    path = log_path(arguments)
    if path is None:
        return entry

    def run() -> T:
        started = time.monotonic()
        code: int = 1
        message: str | None = None
        try:
            result = entry()
            code = 0
            return result
        except SystemExit as done:
            code = exit_status(done)
            raise
        except BaseException as error:
            code = exit_code_for(error)
            message = (str(error).splitlines() or [type(error).__name__])[0]
            raise
        finally:
            record = build_record(arguments, command, code, message, time.monotonic() - started)
            append_record(path, record)

    return run


def command_of(arguments: Sequence[str]) -> str | None:
    """The command name: the first argument that is neither an option nor an option's value."""
    skip = False
    for argument in arguments:
        if skip:
            skip = False
        elif argument in _VALUE_OPTIONS:
            skip = True
        elif not argument.startswith("-"):
            return argument
    return None


def log_path(arguments: Sequence[str]) -> Path | None:
    given = _option_value(arguments, "--audit-log") or os.environ.get("SNAP_AUDIT_LOG")
    if given:
        return None if given == "off" else Path(given).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return Path(state) / "snapstore" / "audit.jsonl"


def _option_value(arguments: Sequence[str], *names: str) -> str | None:
    found = None
    for i, argument in enumerate(arguments):
        for name in names:
            if argument == name and i + 1 < len(arguments):
                found = arguments[i + 1]
            elif argument.startswith(name + "="):
                found = argument.split("=", 1)[1]
    return found


def redact_text(text: str) -> str:
    text = _URL_PASSWORD.sub(lambda m: m.group("keep") + MASK + "@", text)
    return _KEY_VALUE_PASSWORD.sub(lambda m: m.group("keep") + MASK, text)


def _is_secret_option(argument: str) -> bool:
    name = argument.split("=", 1)[0].lower()
    return (
        name.startswith("--")
        and any(word in name for word in _SECRET_WORDS)
        and not name.endswith(("-file", "-env"))
    )


def redact_arguments(arguments: Sequence[str]) -> list[str]:
    redacted: list[str] = []
    mask_next = False
    for argument in arguments:
        if mask_next:
            redacted.append(MASK)
            mask_next = False
        elif _is_secret_option(argument):
            if "=" in argument:
                redacted.append(argument.split("=", 1)[0] + "=" + MASK)
            else:
                redacted.append(argument)
                mask_next = True
        else:
            redacted.append(redact_text(argument))
    return redacted


def build_record(
    arguments: Sequence[str], command: str | None, code: int, message: str | None,
    duration: float,
) -> dict[str, Any]:  # fmt: skip
    repository = _option_value(arguments, "-r", "--repo") or os.environ.get("SNAP_REPOSITORY")
    record: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "user": _user(),
        "uid": os.getuid(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "command": command,
        "arguments": redact_arguments(arguments),
        "repository": redact_text(repository) if repository else None,
        "result": "ok" if code == 0 else "error",
        "exit_code": code,
        "duration_seconds": round(duration, 3),
    }
    if message is not None:
        record["error"] = redact_text(message)
    if os.environ.get("SUDO_USER"):
        record["sudo_user"] = os.environ["SUDO_USER"]
    return record


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME (some containers)
        return str(os.getuid())


def append_record(path: Path, record: dict[str, Any]) -> None:
    """One write of one line with O_APPEND, then fsync; a failure is a warning, never fatal."""
    text = json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
    line = text.encode("utf-8", "replace")  # names that are not UTF-8 are surrogates here
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            written = os.write(fd, line)
            if written != len(line):
                raise OSError(f"short write ({written} of {len(line)} bytes)")
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as error:
        print(f"warning: audit log {path}: {error.strerror or error}", file=sys.stderr)
