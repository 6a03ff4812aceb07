"""Where the repository password comes from, in restic's order: --password-file or
$SNAP_PASSWORD_FILE, $SNAP_PASSWORD_COMMAND, $SNAP_PASSWORD, else a prompt on a terminal."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import click

from snapstore.cli.options import GlobalOptions
from snapstore.errors import InputError


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
