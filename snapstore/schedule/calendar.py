"""Timings: the user's `--daily 02:00`, `--hourly`, `--weekly [DAY HH:MM]` or `--on-calendar
EXPR`, as a systemd OnCalendar expression and, where one exists, a cron expression."""

from __future__ import annotations

import re
from dataclasses import dataclass

from snapstore.errors import InputError

_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
# systemd's day names and cron's day numbers (0 = Sunday).
_DAYS = {"mon": ("Mon", 1), "tue": ("Tue", 2), "wed": ("Wed", 3), "thu": ("Thu", 4),
         "fri": ("Fri", 5), "sat": ("Sat", 6), "sun": ("Sun", 0)}  # fmt: skip
_FULL_DAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}


@dataclass(frozen=True)
class Timing:
    description: str  # as the user would say it: "daily at 02:00"
    on_calendar: str  # systemd
    cron: str | None  # five cron fields; None when the expression has no cron equivalent


def _clock(text: str, option: str) -> tuple[int, int]:
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise InputError(f"{option} {text!r}: give a time as HH:MM (00:00 to 23:59)")
    return int(match.group(1)), int(match.group(2))


def daily(text: str) -> Timing:
    hour, minute = _clock(text, "--daily")
    return Timing(f"daily at {hour:02}:{minute:02}", f"*-*-* {hour:02}:{minute:02}:00",
                  f"{minute} {hour} * * *")  # fmt: skip


def hourly(minute: int = 0) -> Timing:
    return Timing(f"hourly at minute {minute:02}", f"*-*-* *:{minute:02}:00", f"{minute} * * * *")


def weekly(text: str) -> Timing:
    """`DAY HH:MM` (Mon to Sun, or the full English name), or just `DAY` for midnight."""
    parts = text.split()
    name = parts[0].lower() if parts else ""
    day = (
        _DAYS.get(name[:3])
        if name[:3] in _DAYS and (len(name) == 3 or name in _FULL_DAYS)
        else None
    )
    if day is None or len(parts) > 2:
        raise InputError(f"--weekly {text!r}: give a day and a time, such as 'Sun 03:00'")
    hour, minute = _clock(parts[1], "--weekly") if len(parts) == 2 else (0, 0)
    return Timing(f"weekly on {day[0]} at {hour:02}:{minute:02}",
                  f"{day[0]} *-*-* {hour:02}:{minute:02}:00", f"{minute} {hour} * * {day[1]}")  # fmt: skip


def on_calendar(expression: str) -> Timing:
    """Any systemd calendar expression; systemd checks it (`systemd-analyze calendar EXPR`).
    It has no cron form: cron schedules are given with --daily, --hourly or --weekly."""
    if not expression.strip() or "\n" in expression:
        raise InputError(
            "--on-calendar: give a systemd calendar expression such as 'Mon..Fri 22:30'"
        )
    return Timing(f"on calendar {expression.strip()}", expression.strip(), None)
