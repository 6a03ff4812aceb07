"""Intervals (`every`, `timeout`) and the run state that makes "due" hold across runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from snapstore.errors import InputError
from snapstore.profiles import default_config_path, default_state_dir, load_state
from snapstore.profiles.intervals import format_interval, parse_interval

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text,expected",
    [("7d", timedelta(days=7)), ("12h", timedelta(hours=12)), ("1d12h", timedelta(hours=36)),
     ("30min", timedelta(minutes=30)), ("2w", timedelta(weeks=2)), ("90s", timedelta(seconds=90)),
     ("1h 30min", timedelta(minutes=90))],
)  # fmt: skip
def test_intervals_parse_and_print_back(text: str, expected: timedelta) -> None:
    assert parse_interval(text) == expected
    assert parse_interval(format_interval(expected)) == expected


@pytest.mark.parametrize("text", ["", "7", "d", "5m", "1y", "-1d", "0h", "7 days"])
def test_bad_intervals_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_interval(text)


def test_a_step_is_due_until_it_succeeds_and_again_after_its_interval(tmp_path: Path) -> None:
    state = load_state(tmp_path, "web")
    every = timedelta(days=7)
    assert state.is_due("prune", every, NOW)
    state.record("prune", "failed", NOW)
    assert state.is_due("prune", every, NOW + timedelta(minutes=1)), "a failure leaves it due"
    state.record("prune", "ok", NOW)
    state.save()
    again = load_state(tmp_path, "web")
    assert not again.is_due("prune", every, NOW + timedelta(days=6, hours=23))
    assert again.is_due("prune", every, NOW + every)
    assert again.is_due("prune", None, NOW), "no interval: due at every run"
    assert again.steps["prune"].last_status == "ok"
    assert json.loads((tmp_path / "web.json").read_text())["steps"]["prune"]["last_success"]


def test_a_damaged_state_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "web.json").write_text("{not json")
    with pytest.raises(InputError, match="run state .*web.json is unreadable"):
        load_state(tmp_path, "web")


def test_default_places_follow_xdg_and_root() -> None:
    home = {"HOME": "/home/u"}
    assert default_config_path(home, is_root=False) == Path("/home/u/.config/snapstore/snap.toml")
    xdg = {**home, "XDG_CONFIG_HOME": "/x", "XDG_STATE_HOME": "/s"}
    assert default_config_path(xdg, is_root=False) == Path("/x/snapstore/snap.toml")
    assert default_config_path({**home, "XDG_CONFIG_HOME": "relative"}, is_root=False) == Path(
        "/home/u/.config/snapstore/snap.toml"
    )
    assert default_config_path(xdg, is_root=True) == Path("/etc/snapstore/snap.toml")
    assert default_config_path({**xdg, "SNAP_CONFIG": "/c.toml"}, is_root=True) == Path("/c.toml")
    assert default_state_dir(xdg, is_root=False) == Path("/s/snapstore")
    assert default_state_dir(home, is_root=False) == Path("/home/u/.local/state/snapstore")
    assert default_state_dir(xdg, is_root=True) == Path("/var/lib/snapstore")
