"""Where schedules are written, listed and removed: a folder of systemd units, a crontab file,
or a user's crontab through the `crontab` command."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from snapstore.errors import InputError
from snapstore.schedule.cron_table import CronEntry, entries, with_entry, without
from snapstore.schedule.systemd_units import (
    CONFIG_KEY,
    PREFIX,
    PROFILE_KEY,
    TIMING_KEY,
    UnitFiles,
    read_keys,
    unit_name,
)

CRONTAB_TIMEOUT = 30  # seconds for one `crontab` run


@dataclass(frozen=True)
class Installed:
    profile: str
    kind: str  # "systemd" or "cron"
    timing: str
    config: str | None
    where: str


def _write(path: Path, text: str) -> None:
    """Replace `path` atomically: a unit or crontab is never seen half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


@dataclass(frozen=True)
class UnitFolder:
    path: Path

    def install(self, units: UnitFiles) -> list[Path]:
        written = []
        for name, text in ((units.service_name, units.service), (units.timer_name, units.timer)):
            _write(self.path / name, text)
            written.append(self.path / name)
        return written

    def schedules(self) -> list[Installed]:
        found = []
        for timer in sorted(self.path.glob(f"{PREFIX}*.timer")):
            keys = read_keys(timer.read_text(errors="replace"))
            if PROFILE_KEY in keys:
                timing = keys.get(TIMING_KEY) or keys.get("OnCalendar", "?")
                found.append(
                    Installed(
                        keys[PROFILE_KEY], "systemd", timing, keys.get(CONFIG_KEY), str(timer)
                    )
                )
        return found

    def remove(self, profile: str) -> list[Path]:
        removed = []
        for suffix in (".timer", ".service"):
            path = self.path / f"{unit_name(profile)}{suffix}"
            if path.exists():
                path.unlink()
                removed.append(path)
        return removed


class Crontab(Protocol):
    @property
    def where(self) -> str: ...

    def read(self) -> str: ...

    def write(self, text: str) -> None: ...


@dataclass(frozen=True)
class CronFile:
    path: Path

    @property
    def where(self) -> str:
        return str(self.path)

    def read(self) -> str:
        try:
            return self.path.read_text()
        except FileNotFoundError:
            return ""

    def write(self, text: str) -> None:
        if text.strip():
            _write(self.path, text)
        elif self.path.exists():
            self.path.unlink()  # nothing of ours left: no empty file in /etc/cron.d


@dataclass(frozen=True)
class UserCrontab:
    """The user's own crontab, read and written with the `crontab` command."""

    @property
    def where(self) -> str:
        return "crontab of this user"

    def _crontab(self) -> str:
        found = shutil.which("crontab")
        if found is None:
            raise InputError(
                "the crontab command is not installed: use a systemd timer, or --cron-file"
            )
        return found

    def read(self) -> str:
        done = subprocess.run([self._crontab(), "-l"], capture_output=True, text=True, check=False,
                              timeout=CRONTAB_TIMEOUT)  # fmt: skip
        # `crontab -l` fails when the user has no crontab yet: that is an empty one.
        return done.stdout if done.returncode == 0 else ""

    def write(self, text: str) -> None:
        done = subprocess.run([self._crontab(), "-"], input=text, capture_output=True, text=True,
                              check=False, timeout=CRONTAB_TIMEOUT)  # fmt: skip
        if done.returncode != 0:
            raise InputError(f"crontab - failed: {done.stderr.strip() or done.returncode}")


def install_cron(crontab: Crontab, entry: CronEntry, note: str) -> None:
    crontab.write(with_entry(crontab.read(), entry, note))


def list_cron(crontab: Crontab) -> list[Installed]:
    return [
        Installed(e.profile, "cron", e.fields, None, crontab.where) for e in entries(crontab.read())
    ]


def remove_cron(crontab: Crontab, profile: str) -> bool:
    text = crontab.read()
    if not any(e.profile == profile for e in entries(text)):
        return False
    crontab.write(without(text, profile))
    return True
