"""What `snap run` remembers of each profile's steps between runs: when each last succeeded
and how its last attempt ended. One small JSON file per profile, replaced atomically."""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from snapstore.errors import InputError, LockedError


@dataclass
class StepRecord:
    last_success: datetime | None = None
    last_attempt: datetime | None = None
    last_status: str | None = None

    def to_json(self) -> dict[str, Any]:
        def stamp(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {"last_success": stamp(self.last_success), "last_attempt": stamp(self.last_attempt),
                "last_status": self.last_status}  # fmt: skip

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> StepRecord:
        def moment(key: str) -> datetime | None:
            value = document.get(key)
            return datetime.fromisoformat(value) if isinstance(value, str) else None

        status = document.get("last_status")
        return cls(
            moment("last_success"),
            moment("last_attempt"),
            status if isinstance(status, str) else None,
        )


@dataclass
class RunState:
    path: Path
    steps: dict[str, StepRecord] = field(default_factory=dict)

    def is_due(self, step: str, every: timedelta | None, now: datetime) -> bool:
        """Due when it never succeeded or `every` has passed since it last did; a failed
        attempt leaves it due, so the next run tries again."""
        record = self.steps.get(step)
        if every is None or record is None or record.last_success is None:
            return True
        return now - record.last_success >= every

    def record(self, step: str, status: str, now: datetime) -> None:
        record = self.steps.setdefault(step, StepRecord())
        record.last_attempt = now
        record.last_status = status
        if status == "ok":
            record.last_success = now

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"steps": {name: r.to_json() for name, r in self.steps.items()}}
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(handle, "w") as f:
                json.dump(document, f, indent=2)
            os.replace(temporary, self.path)
        except BaseException:
            os.unlink(temporary)
            raise


def load_state(folder: Path, profile: str) -> RunState:
    path = folder / f"{profile}.json"
    try:
        document = json.loads(path.read_text())
        steps = document["steps"]
        return RunState(path, {name: StepRecord.from_json(r) for name, r in steps.items()})
    except FileNotFoundError:
        return RunState(path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise InputError(
            f"run state {path} is unreadable ({error}): delete it to start afresh"
        ) from None


@contextmanager
def run_lock(folder: Path, profile: str) -> Iterator[None]:
    """One `snap run` of a profile at a time (a timer firing while a manual run goes on): the
    second stops at once rather than race the first on the run state. The flock goes with
    the process, so a killed run leaves no stale lock."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{profile}.lock"
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(f"profile {profile} is already running ({path} is locked)") from None
        yield
