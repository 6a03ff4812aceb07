"""The systemd units of a schedule: accepted by `systemd-analyze verify` without a word of
complaint, with the settings the routine needs, and ExecStart words that survive systemd's
quoting and % and $ expansion."""

from __future__ import annotations

import shutil
from pathlib import Path

from snapstore.schedule import daily, render_units, weekly
from snapstore.schedule.systemd_units import quote, read_keys
from tests.schedule.systemd_analyze import analyze, verify


def write(folder: Path, units) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    folder.mkdir(parents=True, exist_ok=True)
    service, timer = folder / units.service_name, folder / units.timer_name
    service.write_text(units.service)
    timer.write_text(units.timer)
    return service, timer


def snap_path() -> str:
    found = shutil.which("snap")
    assert found is not None
    return found


def test_the_units_verify_cleanly_and_hold_what_the_routine_needs(tmp_path: Path) -> None:
    command = [snap_path(), "run", "--config", "/etc/snapstore/snap.toml", "web"]
    units = render_units("web", command, "/etc/snapstore/snap.toml", daily("02:00"), "15min")
    assert verify(*write(tmp_path, units)) == ""
    service = units.service.splitlines()
    assert (
        "Type=oneshot" in service and "Nice=10" in service and "IOSchedulingClass=idle" in service
    )
    assert f"ExecStart={snap_path()} run --config /etc/snapstore/snap.toml web" in service
    timer = units.timer.splitlines()
    assert "OnCalendar=*-*-* 02:00:00" in timer and "Persistent=true" in timer
    assert "RandomizedDelaySec=15min" in timer and "Unit=snapstore-web.service" in timer
    assert "WantedBy=timers.target" in timer
    assert read_keys(units.timer) == {
        "X-Snapstore-Profile": "web", "X-Snapstore-Config": "/etc/snapstore/snap.toml",
        "X-Snapstore-Timing": "daily at 02:00", "OnCalendar": "*-*-* 02:00:00",
    }  # fmt: skip


def test_verify_does_complain_about_a_broken_unit(tmp_path: Path) -> None:
    """The check above can fail: a bad setting or a missing executable is reported."""
    units = render_units("web", ["/nonexistent/snap", "run", "web"], "/c", weekly("Sun 03:00"))
    service, timer = write(tmp_path, units)
    assert analyze("verify", service, timer).returncode != 0
    units = render_units("web", [snap_path(), "run", "web"], "/c", weekly("Sun 03:00"))
    service, timer = write(tmp_path, units)
    service.write_text(units.service.replace("Nice=10", "Nicety=10"))
    assert "Unknown key" in verify(service, timer)


def test_odd_words_reach_the_program_unchanged(tmp_path: Path) -> None:
    """A config path with a space, % and $ must not be split or expanded by systemd."""
    config = '/etc/my snap/100%$HOME"x\\y.toml'
    words = [snap_path(), "run", "--config", config, "web"]
    line = "ExecStart=" + " ".join(quote(w) for w in words)
    units = render_units("web", words, config, daily("02:00"))
    assert line in units.service.splitlines()
    assert verify(*write(tmp_path, units)) == ""
    # systemd's own view of the command line: `systemd-analyze` has no parser to call, so the
    # rules are checked directly: % doubled, $ doubled, quotes and backslashes escaped.
    assert quote(config) == '"/etc/my snap/100%%$$HOME\\"x\\\\y.toml"'
    assert quote("plain") == "plain"
