"""A profile's schedule as a crontab entry: a marker comment naming the profile, and the line
under it. Entries are added, replaced and removed in a crontab's text without touching the
other lines, so the user's own entries survive."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

MARKER = "# snapstore schedule: "


@dataclass(frozen=True)
class CronEntry:
    profile: str
    line: str  # the crontab line, schedule fields first

    @property
    def fields(self) -> str:
        return " ".join(self.line.split()[:5])


def cron_line(expression: str, command: list[str], user: str | None = None) -> str:
    """`user`: the user field of a system crontab (/etc/cron.d); None in a user's crontab."""
    # In a crontab, % ends the command (the rest is standard input): escape it.
    words = " ".join(shlex.quote(word) for word in command).replace("%", "\\%")
    return f"{expression} {user} {words}" if user else f"{expression} {words}"


def entries(text: str) -> list[CronEntry]:
    found = []
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith(MARKER) and index + 1 < len(lines):
            found.append(CronEntry(line.removeprefix(MARKER).split()[0], lines[index + 1]))
    return found


def without(text: str, profile: str) -> str:
    """`text` with the profile's entry (marker and line) taken out."""
    lines = text.splitlines()
    kept: list[str] = []
    skip_next = False
    for line in lines:
        if skip_next:
            skip_next = False
            continue
        if line.startswith(MARKER) and line.removeprefix(MARKER).split()[:1] == [profile]:
            skip_next = True
            continue
        kept.append(line)
    return "".join(f"{line}\n" for line in kept)


def with_entry(text: str, entry: CronEntry, note: str) -> str:
    """`text` with the profile's entry in place of any earlier one."""
    return without(text, entry.profile) + f"{MARKER}{entry.profile} ({note})\n{entry.line}\n"
