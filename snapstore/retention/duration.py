"""`Duration`: a calendar span such as ``1y2m3d4h`` (restic's form), and subtracting it from a time.

The arithmetic is Go's ``t.AddDate(-y, -m, -d).Add(-h * time.Hour)``, which restic uses for its
``--keep-within*`` rules, so that the same policy cuts at the same instant in both tools:

* years and months move the calendar month, keeping the day of the month; a day that does not
  exist in the target month is NOT clamped but overflows into the next month (Go normalizes
  ``Feb 31`` to ``Mar 3`` in a common year). So Mar 31 minus 1m is Mar 3 (Mar 2 in a leap year),
  and Feb 29 minus 1y is Mar 1;
* days then move the date, keeping the wall-clock time of day in the time's own UTC offset;
* hours are subtracted last as elapsed time (absolute, not wall clock).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

# One "<digits><unit>" part; the whole text must be a sequence of these.
_PART = re.compile(r"([0-9]+)([a-zA-Z])")  # ASCII digits only, unlike \d
_UNITS = {"y": "years", "m": "months", "d": "days", "h": "hours"}
_FORM = "a form such as 1y2m3d4h (y years, m months, d days, h hours)"


@dataclass(frozen=True)
class Duration:
    years: int = 0
    months: int = 0
    days: int = 0
    hours: int = 0

    def __post_init__(self) -> None:
        for name in _UNITS.values():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Duration.{name} must be a non-negative integer, not {value!r}")

    def is_zero(self) -> bool:
        # restic treats a zero duration as "rule not set"; Policy does the same.
        return not (self.years or self.months or self.days or self.hours)

    def __str__(self) -> str:
        # restic's canonical order and zero parts left out: the reason strings ("within 1y1m1d")
        # depend on it, even when the input was written "1y1d1m".
        text = "".join(
            f"{getattr(self, name)}{unit}" for unit, name in _UNITS.items() if getattr(self, name)
        )
        return text or "0h"  # "0h" rather than restic's "", so that parse(str(d)) == d always

    def subtract_from(self, moment: datetime) -> datetime | None:
        """`moment` minus this duration (see the module docstring), as an aware UTC time; None
        when the result lies before the year 1, i.e. earlier than any time Python can hold."""
        if moment.tzinfo is None:
            raise ValueError("Duration.subtract_from needs a timezone-aware time")
        month_index = moment.year * 12 + (moment.month - 1) - self.years * 12 - self.months
        year, month0 = divmod(month_index, 12)
        if year < 1:
            return None
        try:
            # Day overflow is normalized by counting from the 1st, like Go's time.Date.
            day = date(year, month0 + 1, 1) + timedelta(days=moment.day - 1 - self.days)
            wall = datetime.combine(day, moment.timetz())
            return wall.astimezone(UTC) - timedelta(hours=self.hours)
        except OverflowError:
            return None


def parse_duration(text: str) -> Duration:
    """Parse restic's duration form, e.g. ``1y2m3d4h`` or ``36h``.

    Any non-empty subset of the units is accepted, each at most once. Like restic, the units may
    come in any order (restic's own tests use ``1y1d1m``); unlike restic, a repeated unit (where
    restic silently keeps the last) and a negative number are errors."""
    stripped = text.strip()
    if not stripped:
        raise ValueError(f"empty duration; expected {_FORM}")
    values: dict[str, int] = {}
    position = 0
    while position < len(stripped):
        match = _PART.match(stripped, position)
        if match is None:
            raise ValueError(_describe_error(text, stripped[position:]))
        number, unit = int(match.group(1)), match.group(2)
        name = _UNITS.get(unit)
        if name is None:
            raise ValueError(
                f"invalid duration {text!r}: unknown unit {unit!r} after {number}; expected {_FORM}"
            )
        if name in values:
            raise ValueError(f"invalid duration {text!r}: unit {unit!r} is given more than once")
        values[name] = number
        position = match.end()
    return Duration(**values)


def _describe_error(text: str, rest: str) -> str:
    """A message for the part of `text` that is not "<digits><unit>"."""
    if rest.startswith("-"):
        return f"invalid duration {text!r}: negative values are not allowed"
    if rest[0] in "0123456789":
        number = re.match(r"[0-9]+", rest)
        assert number is not None
        if number.end() == len(rest):
            return f"invalid duration {text!r}: no unit after {number.group()}; expected {_FORM}"
        return f"invalid duration {text!r}: unexpected {rest[number.end()]!r}; expected {_FORM}"
    return f"invalid duration {text!r}: expected a number at {rest!r}; expected {_FORM}"
