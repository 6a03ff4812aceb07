"""Calendar buckets: the hour, day, ISO week, month or year a snapshot time falls in.

Each function reads the time in its own UTC offset, as recorded with the snapshot, not in UTC
and not in the local zone of the machine that runs the policy: a backup taken at 00:30+02:00
belongs to that day, wherever `forget` runs later (restic does the same).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

BucketKey = tuple[int, ...]
BucketOf = Callable[[datetime], BucketKey]


def hour_of(moment: datetime) -> BucketKey:
    return (moment.year, moment.month, moment.day, moment.hour)


def day_of(moment: datetime) -> BucketKey:
    return (moment.year, moment.month, moment.day)


def iso_week_of(moment: datetime) -> BucketKey:
    # The ISO year, not the calendar year: Dec 29 2014 is in week 1 of 2015.
    iso = moment.isocalendar()
    return (iso.year, iso.week)


def month_of(moment: datetime) -> BucketKey:
    return (moment.year, moment.month)


def year_of(moment: datetime) -> BucketKey:
    return (moment.year,)


# The calendar rules in restic's order, which is also the order of the reasons of one snapshot.
CALENDAR_BUCKETS: dict[str, BucketOf] = {
    "hourly": hour_of,
    "daily": day_of,
    "weekly": iso_week_of,
    "monthly": month_of,
    "yearly": year_of,
}
