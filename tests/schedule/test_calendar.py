"""Timings in both forms: the OnCalendar expression is what systemd itself normalizes it to,
and the cron expression fires at the same minute."""

from __future__ import annotations

import pytest

from snapstore.errors import InputError
from snapstore.schedule import daily, hourly, on_calendar, weekly
from tests.schedule.systemd_analyze import analyze, normalized_calendar


@pytest.mark.parametrize(
    "timing,calendar,cron",
    [
        (daily("02:00"), "*-*-* 02:00:00", "0 2 * * *"),
        (daily("7:05"), "*-*-* 07:05:00", "5 7 * * *"),
        (hourly(), "*-*-* *:00:00", "0 * * * *"),
        (weekly("Sun 03:30"), "Sun *-*-* 03:30:00", "30 3 * * 0"),
        (weekly("saturday 23:59"), "Sat *-*-* 23:59:00", "59 23 * * 6"),
        (weekly("mon"), "Mon *-*-* 00:00:00", "0 0 * * 1"),
    ],
)
def test_timings_are_what_systemd_normalizes_them_to(timing, calendar: str, cron: str) -> None:  # type: ignore[no-untyped-def]
    assert timing.on_calendar == calendar and timing.cron == cron
    assert normalized_calendar(timing.on_calendar) == calendar


def test_an_on_calendar_expression_is_kept_for_systemd_and_has_no_cron_form() -> None:
    timing = on_calendar(" Mon..Fri 22:30 ")
    assert timing.on_calendar == "Mon..Fri 22:30" and timing.cron is None
    assert normalized_calendar(timing.on_calendar) == "Mon..Fri *-*-* 22:30:00"
    assert analyze("calendar", "Mon..Fri bogus").returncode != 0


@pytest.mark.parametrize(
    "make,text",
    [(daily, "24:00"), (daily, "2"), (daily, "02:60"), (daily, "noon"),
     (weekly, "Sundae 03:00"), (weekly, "Sun 3"), (weekly, ""), (weekly, "Sun 03:00 extra"),
     (on_calendar, " "), (on_calendar, "daily\nOnCalendar=hourly")],
)  # fmt: skip
def test_bad_timings_are_refused(make, text: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError):
        make(text)
