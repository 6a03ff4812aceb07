"""Leaving a lock: when the locked operation failed, its error is the one reported, even if the
storage then refuses to remove the lock too; otherwise a failed removal is an error."""

from __future__ import annotations

import pytest

from snapstore.backend import MemoryBackend
from snapstore.errors import BackendError
from snapstore.repository.locks import BACKUP, Lock


class RemoveFails(MemoryBackend):
    def remove(self, name: str) -> None:
        raise BackendError(f"cannot remove {name!r}: link down")


def test_the_operations_error_is_reported_not_the_lock_removal() -> None:
    with (
        pytest.raises(BackendError, match="upload of the pack failed"),
        Lock(RemoveFails(), BACKUP, exclusive=False),
    ):
        raise BackendError("upload of the pack failed")


def test_a_failed_removal_after_success_is_an_error() -> None:
    with pytest.raises(BackendError, match="cannot remove"), Lock(RemoveFails(), BACKUP, exclusive=False):
        pass
