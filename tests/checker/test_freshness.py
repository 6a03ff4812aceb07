"""The freshness assessment behind `snap check --max-age`: ages, limits, groups, states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from snapstore.checker.freshness import (
    CRITICAL,
    OK,
    WARNING,
    FreshnessLimits,
    assess_freshness,
    format_age,
    parse_age,
)
from snapstore.errors import InputError
from snapstore.model import Snapshot
from snapstore.repository.snapshot_filter import SnapshotFilter

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
LIMITS = FreshnessLimits(timedelta(hours=25), timedelta(hours=50))


def _snapshot(host: str, hours_ago: float, *paths: str) -> tuple[str, Snapshot]:
    snap = Snapshot(time=NOW - timedelta(hours=hours_ago), hostname=host, username="u", uid=0,
                    gid=0, paths=paths or ("/data",), tree=b"\0" * 32, program_version="t")  # fmt: skip
    return f"{host}{hours_ago:08.2f}".ljust(64, "0"), snap


@pytest.mark.parametrize(
    "text,seconds",
    [("25h", 90000), ("1d12h", 129600), ("90m", 5400), ("2w", 1209600), ("45s", 45)],
)
def test_parse_age(text: str, seconds: int) -> None:
    assert parse_age(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "25", "h", "25x", "1.5h", "-1h", "0h", "25h ", "1y"])
def test_parse_age_rejects(text: str) -> None:
    with pytest.raises(InputError):
        parse_age(text)


def test_format_age() -> None:
    assert format_age(timedelta(hours=3, seconds=5)) == "3h0m"
    assert format_age(timedelta(days=1, hours=6, minutes=5)) == "1d6h"
    assert format_age(timedelta(seconds=-4)) == "0s"


def test_states_at_the_limits() -> None:
    assert LIMITS.state_of(timedelta(hours=25)) == OK
    assert LIMITS.state_of(timedelta(hours=25, seconds=1)) == WARNING
    assert LIMITS.state_of(timedelta(hours=50, seconds=1)) == CRITICAL
    with pytest.raises(InputError):
        FreshnessLimits(timedelta(hours=2), timedelta(hours=1))


def test_newest_of_each_host_and_path_set_counts() -> None:
    snapshots = [
        _snapshot("a", 100), _snapshot("a", 1), _snapshot("a", 30, "/etc"),
        _snapshot("b", 2, "/y", "/x"), _snapshot("b", 60, "/x", "/y"),
    ]  # fmt: skip
    report = assess_freshness(snapshots, SnapshotFilter(), LIMITS, NOW)
    ages = {g.label: g.age for g in report.groups}
    assert ages == {"a:/data": timedelta(hours=1), "a:/etc": timedelta(hours=30),
                    "b:/x,/y": timedelta(hours=2)}  # fmt: skip
    assert report.state == WARNING
    assert report.line().startswith("SNAP WARNING - a:/etc newest snapshot 1d6h ago")


def test_missing_host_and_nothing_selected_are_critical() -> None:
    snapshots = [_snapshot("a", 1)]
    report = assess_freshness(snapshots, SnapshotFilter(hosts=("a", "b")), LIMITS, NOW)
    assert report.state == CRITICAL and report.missing_hosts == ["b"]
    empty = assess_freshness(snapshots, SnapshotFilter(tags=("none",)), LIMITS, NOW)
    assert empty.state == CRITICAL and empty.line() == "SNAP CRITICAL - no snapshot matches"
