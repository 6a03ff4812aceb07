"""Intervals such as `7d`, `12h` or `30min`: how often a step is due (`every`) and how long a
hook may run (`timeout`).

Minutes are written `min`: a bare `m` is refused, because in retention durations (`keep-within
= "1m"`) `m` means months, and a prune meant to run monthly must not run every minute.
"""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"([0-9]+)(w|d|h|min|s)")
_UNIT = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1),
         "min": timedelta(minutes=1), "s": timedelta(seconds=1)}  # fmt: skip
FORM = "a form such as 7d, 12h, 1d12h or 30min (w, d, h, min, s)"


def parse_interval(text: str) -> timedelta:
    """ValueError with a one-line reason for anything but a positive interval."""
    stripped = text.replace(" ", "")
    total = timedelta()
    position = 0
    while position < len(stripped):
        match = _PART.match(stripped, position)
        if match is None:
            rest = stripped[position:]
            if re.match(r"[0-9]+m(?!in)", rest):
                raise ValueError(f"{text!r}: write 'min' for minutes ('m' would read as months)")
            raise ValueError(f"{text!r} is not an interval: expected {FORM}")
        total += int(match.group(1)) * _UNIT[match.group(2)]
        position = match.end()
    if total <= timedelta():
        raise ValueError(f"{text!r}: an interval must be longer than zero")
    return total


def format_interval(interval: timedelta) -> str:
    """The short form parse_interval reads: 7d, 1d12h, 30min."""
    seconds = int(interval.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
