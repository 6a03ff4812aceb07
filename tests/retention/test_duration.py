"""Duration parsing and the calendar arithmetic of `within*` cutoffs (Go's AddDate semantics)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from snapstore.retention import Duration, parse_duration


@pytest.mark.parametrize(
    "text,expected,canonical",
    [
        ("1y2m3d4h", Duration(1, 2, 3, 4), "1y2m3d4h"),
        ("36h", Duration(hours=36), "36h"),
        ("2m", Duration(months=2), "2m"),  # m is months, never minutes
        ("13d23h", Duration(days=13, hours=23), "13d23h"),
        ("9999y", Duration(years=9999), "9999y"),
        # restic accepts any unit order (its own fixtures use "1y1d1m"); its reasons print
        # the canonical order.
        ("1y1d1m", Duration(1, 1, 1, 0), "1y1m1d"),
        ("1h2d", Duration(days=2, hours=1), "2d1h"),
        ("  7d\n", Duration(days=7), "7d"),
        ("007d", Duration(days=7), "7d"),
        ("0d", Duration(), "0h"),
    ],
)
def test_parse_valid(text: str, expected: Duration, canonical: str) -> None:
    assert parse_duration(text) == expected
    assert str(expected) == canonical


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "empty duration"),
        ("   ", "empty duration"),
        ("5x", "unknown unit 'x' after 5"),
        ("1D", "unknown unit 'D' after 1"),
        ("-1d", "negative values are not allowed"),
        ("1d-2h", "negative values are not allowed"),
        ("5", "no unit after 5"),
        ("1d5", "no unit after 5"),
        ("d", "expected a number at 'd'"),
        ("1.5d", "unexpected '.'"),
        ("1 d", "unexpected ' '"),
        ("1d 2h", "expected a number at ' 2h'"),
        ("1d2d", "unit 'd' is given more than once"),
        ("\uff11d", "expected a number"),  # a full-width digit is not a number here
    ],
)
def test_parse_invalid(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="duration") as raised:
        parse_duration(text)
    assert message in str(raised.value)
    if text.strip():
        assert repr(text) in str(raised.value)  # the message quotes what the user typed


def test_negative_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        Duration(days=-1)


@given(st.builds(Duration, *(st.integers(0, 10_000) for _ in range(4))))
def test_text_round_trip(duration: Duration) -> None:
    assert parse_duration(str(duration)) == duration


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    "start,duration,expected",
    [
        # Go's AddDate does not clamp the day, it overflows into the next month; checked against
        # restic 0.14.0: `forget --keep-within 1m` from 2015-03-31T10:00Z keeps Mar 3 11:00 and
        # removes Mar 3 09:00, i.e. the cutoff is Mar 3 10:00, not Feb 28.
        ("2015-03-31T10:00:00+00:00", "1m", "2015-03-03T10:00:00+00:00"),
        ("2016-03-31T10:00:00+00:00", "1m", "2016-03-02T10:00:00+00:00"),  # leap year
        ("2016-02-29T10:00:00+00:00", "1y", "2015-03-01T10:00:00+00:00"),
        ("2015-05-31T10:00:00+00:00", "1m", "2015-05-01T10:00:00+00:00"),  # "Apr 31"
        ("2015-01-31T10:00:00+00:00", "2m", "2014-12-01T10:00:00+00:00"),  # "Nov 31"
        ("2015-01-01T10:00:00+00:00", "1d", "2014-12-31T10:00:00+00:00"),
        ("2015-03-01T10:00:00+00:00", "1d", "2015-02-28T10:00:00+00:00"),
        ("2015-01-01T01:00:00+00:00", "2h", "2014-12-31T23:00:00+00:00"),
        ("2015-03-31T10:00:00+00:00", "1m31d", "2015-01-31T10:00:00+00:00"),
        # fixture 29's cutoff: from the newest snapshot 2016-01-18T12:02:03Z
        ("2016-01-18T12:02:03+00:00", "1y2m3d3h", "2014-11-15T09:02:03+00:00"),
        # the calendar is read in the time's own offset: Mar 31 00:30+02:00 is still Mar 31
        ("2016-03-31T00:30:00+02:00", "1m", "2016-03-02T00:30:00+02:00"),
    ],
)
def test_subtract_from(start: str, duration: str, expected: str) -> None:
    assert parse_duration(duration).subtract_from(at(start)) == at(expected)


def test_hours_are_elapsed_time_across_a_clock_change() -> None:
    # Go's .Add(-h) is absolute: 3 hours before 04:00 CEST on the spring-forward night is
    # 00:00 CET (23:00 UTC), not the wall-clock 01:00.
    start = datetime(2021, 3, 28, 4, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert Duration(hours=3).subtract_from(start) == datetime(2021, 3, 27, 23, 0, tzinfo=UTC)


def test_result_before_year_one_is_none() -> None:
    start = at("2016-01-18T12:02:03+00:00")
    assert Duration(years=9999).subtract_from(start) is None
    assert Duration(days=10**7).subtract_from(start) is None
    assert Duration(hours=10**9).subtract_from(start) is None
    assert Duration(years=2015).subtract_from(start) == at("0001-01-18T12:02:03+00:00")


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Duration(days=1).subtract_from(datetime(2016, 1, 1))


def test_zero() -> None:
    assert Duration().is_zero() and parse_duration("0y0h").is_zero()
    assert not Duration(hours=1).is_zero()
    assert Duration().subtract_from(at("2016-01-01T00:00:00+00:00")) == at(
        "2016-01-01T00:00:00+00:00"
    )
