"""Typed errors. Every error a user can cause or meet derives from `SnapError`; the CLI maps each
class to one exit code and prints its message as one line (snapstore/cli/exit_codes.py)."""

from __future__ import annotations


class SnapError(Exception):
    """Base of all expected errors; the message is shown to the user as one line."""


class BackendError(SnapError):
    """The storage failed (I/O error, permission, server error) after any retries."""


class NotFoundError(BackendError):
    """An object the caller named does not exist in the backend."""


class TransientBackendError(BackendError):
    """A storage failure that may go away if the operation is tried again (a server error,
    throttling, a dropped connection, a timeout, a read cut short)."""


class AlreadyExistsError(BackendError):
    """An object that must be created only if absent already exists."""


class IntegrityError(SnapError):
    """Stored data does not match what was written: corrupted, truncated or tampered."""


class RepositoryNotFoundError(SnapError):
    """There is no repository at the location given."""


class RepositoryExistsError(SnapError):
    """`init` found a repository already there."""


class WrongPasswordError(SnapError):
    """No key file of the repository opens with the password given."""


class LockedError(SnapError):
    """Another process holds a lock that conflicts with this operation."""


class InputError(SnapError):
    """The user asked for something that cannot be done: a missing path, an unknown snapshot."""


class StreamError(SnapError):
    """A stream being backed up failed (a command or dump tool exited non-zero, standard input
    could not be read): no snapshot is saved. `details` holds the last lines the failing
    program wrote to its standard error, for the user to see."""

    def __init__(self, message: str, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.details = details
