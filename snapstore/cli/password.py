"""Where the repository password comes from, in restic's order: --password-file or
$SNAP_PASSWORD_FILE, $SNAP_PASSWORD_COMMAND, $SNAP_PASSWORD, else a prompt on a terminal."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import click

from snapstore.cli.options import GlobalOptions
from snapstore.errors import InputError

# Set by `snap run` for the steps it runs in-process: the profile's password, read once.
_given: ContextVar[bytes | None] = ContextVar("snapstore_password", default=None)


@contextmanager
def password_given(password: bytes) -> Iterator[None]:
    """Within the block, every repository opened in this thread uses `password`."""
    token = _given.set(password)
    try:
        yield
    finally:
        _given.reset(token)


def read_password_from(file: str | None, command: str | None, env: str | None) -> bytes | None:
    """A password from the one source given (a profile's), or None when none is."""
    if file:
        password = _from_file(file)
    elif command:
        password = _from_command(command)
    elif env:
        if env not in os.environ:
            raise InputError(f"environment variable {env} (the password source) is not set")
        password = os.environ[env].encode()
    else:
        return None
    if not password:
        raise InputError("empty password")
    return password


def _from_file(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read().rstrip(b"\r\n")
    except OSError as exc:
        raise InputError(f"cannot read password file {path}: {exc.strerror}") from None


def _from_command(command: str) -> bytes:
    try:
        result = subprocess.run(shlex.split(command), capture_output=True, check=False, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"password command failed: {exc}") from None
    if result.returncode != 0:
        raise InputError(f"password command exited with code {result.returncode}")
    return result.stdout.rstrip(b"\r\n")


def read_password(options: GlobalOptions, confirm: bool = False) -> bytes:
    given = _given.get()
    if given is not None:
        return given
    if options.password_file:
        password = _from_file(options.password_file)
    elif os.environ.get("SNAP_PASSWORD_COMMAND"):
        password = _from_command(os.environ["SNAP_PASSWORD_COMMAND"])
    elif "SNAP_PASSWORD" in os.environ:
        password = os.environ["SNAP_PASSWORD"].encode()
    elif sys.stdin.isatty():
        text = click.prompt("repository password", hide_input=True, confirmation_prompt=confirm,
                            err=True)
        password = text.encode()
    else:
        raise InputError(
            "no password given: use --password-file, SNAP_PASSWORD_FILE, SNAP_PASSWORD_COMMAND "
            "or SNAP_PASSWORD (no terminal to prompt on)"
        )
    if not password:
        raise InputError("empty password")
    return password
