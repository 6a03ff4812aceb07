"""`snap schedule install|list|remove` through the command: units written to a folder and
checked with `systemd-analyze verify`, cron entries in a crontab file or the user's crontab;
nothing is enabled or started."""

from __future__ import annotations

import json
import os
import shutil
import stat
import textwrap
from pathlib import Path

from tests.e2e.conftest import Snap
from tests.schedule.systemd_analyze import verify


def config_file(snap: Snap) -> Path:
    config = snap.root / "snap.toml"
    config.write_text(textwrap.dedent(f"""\
        [profiles.web]
        repository = "{snap.repo}"
        paths = ["/srv"]
        [profiles.db]
        repository = "{snap.repo}"
        db = ["sqlite:///srv/app.db"]
        """))  # fmt: skip
    return config


def test_systemd_units_are_installed_listed_and_removed(snap_env: Snap) -> None:
    snap = snap_env
    config, units = config_file(snap), snap.root / "units"
    done = snap.ok("schedule", "install", "web", "--config", config, "--daily", "02:00",
                   "--randomized-delay", "10min", "--unit-dir", units)  # fmt: skip
    assert "systemctl" in done.out and "enable --now snapstore-web.timer" in done.out
    snap.ok("schedule", "install", "db", "--config", config, "--on-calendar", "Mon..Fri 22:30",
            "--unit-dir", units)  # fmt: skip
    service, timer = units / "snapstore-web.service", units / "snapstore-web.timer"
    assert (
        verify(service, timer, units / "snapstore-db.service", units / "snapstore-db.timer") == ""
    )
    exec_start = next(
        line for line in service.read_text().splitlines() if line.startswith("ExecStart=")
    )
    assert exec_start == f"ExecStart={shutil.which('snap')} run --config {config} web"
    assert "OnCalendar=*-*-* 02:00:00" in timer.read_text()
    assert "OnCalendar=Mon..Fri 22:30" in (units / "snapstore-db.timer").read_text()

    listed = snap.json("schedule", "list", "--unit-dir", units, "--cron-file", snap.root / "none")
    assert [(s["profile"], s["kind"], s["timing"]) for s in listed] == [
        ("db", "systemd", "on calendar Mon..Fri 22:30"), ("web", "systemd", "daily at 02:00")
    ]  # fmt: skip
    # Installing again replaces the schedule.
    snap.ok("schedule", "install", "web", "--config", config, "--hourly", "--unit-dir", units)
    assert "OnCalendar=*-*-* *:00:00" in timer.read_text()

    snap.ok("schedule", "remove", "web", "--unit-dir", units, "--cron-file", snap.root / "none")
    assert sorted(p.name for p in units.iterdir()) == ["snapstore-db.service", "snapstore-db.timer"]
    error = snap.fails("schedule", "remove", "web", "--unit-dir", units, "--cron-file",
                       snap.root / "none", code=1)  # fmt: skip
    assert error == "snap: error: no schedule of profile web is installed"


def test_cron_entries_go_into_a_crontab_file_beside_the_users_lines(snap_env: Snap) -> None:
    snap = snap_env
    config, crontab = config_file(snap), snap.root / "crontab"
    crontab.write_text("0 5 * * * /usr/bin/true\n")
    snap.ok("schedule", "install", "web", "--config", config, "--weekly", "Sat 03:30", "--cron",
            "--cron-file", crontab)  # fmt: skip
    snap.ok(
        "schedule",
        "install",
        "db",
        "--config",
        config,
        "--weekly",
        "--cron",
        "--cron-file",
        crontab,
    )
    lines = crontab.read_text().splitlines()
    assert lines[0] == "0 5 * * * /usr/bin/true"
    assert f"30 3 * * 6 {shutil.which('snap')} run --config {config} web -q" in lines
    assert f"0 0 * * 0 {shutil.which('snap')} run --config {config} db -q" in lines
    listed = snap.json("schedule", "list", "--unit-dir", snap.root / "none", "--cron-file", crontab)
    assert [(s["profile"], s["timing"]) for s in listed] == [
        ("web", "30 3 * * 6"),
        ("db", "0 0 * * 0"),
    ]
    snap.ok("schedule", "remove", "web", "--unit-dir", snap.root / "none", "--cron-file", crontab)
    snap.ok("schedule", "remove", "db", "--unit-dir", snap.root / "none", "--cron-file", crontab)
    assert crontab.read_text() == "0 5 * * * /usr/bin/true\n"


def test_the_users_crontab_is_edited_through_the_crontab_command(snap_env: Snap) -> None:
    """A stand-in `crontab` (storing into a file) takes the place of cron's: the test checks the
    -l / - conversation, not cron itself."""
    snap = snap_env
    bin_dir, store = snap.root / "bin", snap.root / "stored-crontab"
    bin_dir.mkdir()
    fake = bin_dir / "crontab"
    fake.write_text(f'#!/bin/sh\nif [ "$1" = -l ]; then cat "{store}" 2>/dev/null || exit 1;\n'
                    f'elif [ "$1" = - ]; then cat > "{store}"; else exit 2; fi\n')  # fmt: skip
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    xdg = snap.root / "xdg"
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "XDG_CONFIG_HOME": str(xdg)}
    config = config_file(snap)
    # --user: this user's crontab and units, also when the tests run as root.
    snap.ok(
        "schedule",
        "install",
        "web",
        "--config",
        config,
        "--daily",
        "01:15",
        "--cron",
        "--user",
        env=env,
    )
    assert store.read_text().splitlines()[1].startswith("15 1 * * * ")
    snap.ok("schedule", "install", "db", "--config", config, "--hourly", "--user", env=env)
    assert (xdg / "systemd" / "user" / "snapstore-db.timer").exists()
    listed = snap.json("schedule", "list", "--user", env=env)
    assert [(s["profile"], s["kind"]) for s in listed] == [("db", "systemd"), ("web", "cron")]
    snap.ok("schedule", "remove", "web", "--user", env=env)
    assert store.read_text() == ""
    assert snap.json("schedule", "list", "--user", env=env)[0]["profile"] == "db"


def test_bad_requests_are_one_line_errors(snap_env: Snap) -> None:
    snap = snap_env
    config, units = config_file(snap), snap.root / "units"
    cases = {
        ("--daily", "25:00"): "--daily '25:00': give a time as HH:MM",
        ("--daily", "02:00", "--hourly"): "give one of --daily",
        (): "give one of --daily",
        ("--on-calendar", "Mon..Fri bogus"): "not a valid systemd calendar expression",
        (
            "--on-calendar",
            "daily",
            "--cron",
            "--cron-file",
            str(snap.root / "c"),
        ): "cron takes --daily",
        ("--daily", "02:00", "--randomized-delay", "5m"): "write 'min' for minutes",
    }
    for args, message in cases.items():
        error = snap.fails(
            "schedule", "install", "web", "--config", config, "--unit-dir", units, *args, code=1
        )
        assert message in error, (args, error)
    error = snap.fails("schedule", "install", "nope", "--config", config, "--daily", "02:00",
                       "--unit-dir", units, code=1)  # fmt: skip
    assert error.endswith("no profile 'nope' (profiles: db, web)")
    assert not units.exists(), "nothing is written when the request is refused"
    assert json.loads(snap.ok("schedule", "list", "--unit-dir", units, "--cron-file",
                              snap.root / "none", "--json").out) == []  # fmt: skip
