"""`snap schedule install|list|remove`: run a profile on a timer (systemd) or from cron. Units
are written, never enabled here: the command prints the `systemctl` line that does it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from snapstore.cli.config_file import config_option, config_path, is_root
from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import emit_json, table
from snapstore.errors import InputError
from snapstore.profiles import load_config
from snapstore.profiles.intervals import parse_interval
from snapstore.schedule import CronEntry, Timing, daily, hourly, on_calendar, render_units, weekly
from snapstore.schedule.cron_table import cron_line
from snapstore.schedule.installed import (
    CronFile,
    Crontab,
    Installed,
    UnitFolder,
    UserCrontab,
    install_cron,
    list_cron,
    remove_cron,
)
from snapstore.schedule.systemd_units import unit_name

SYSTEM_UNITS = Path("/etc/systemd/system")
SYSTEM_CRON = Path("/etc/cron.d/snapstore")
ANALYZE_TIMEOUT = 30  # seconds for `systemd-analyze calendar`


def _system(user: bool) -> bool:
    """System-wide units and crontab: for root, unless --user asks for root's own."""
    return is_root() and not user


def _unit_folder(given: Path | None, user: bool) -> UnitFolder:
    if given is not None:
        return UnitFolder(given.absolute())
    if _system(user):
        return UnitFolder(SYSTEM_UNITS)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return UnitFolder(Path(base) / "systemd" / "user")


def _crontab(given: Path | None, user: bool) -> tuple[Crontab, str | None]:
    """The crontab to edit, and the user field its lines need (system crontabs have one)."""
    if given is not None:
        return CronFile(given.absolute()), None
    if _system(user):
        return CronFile(SYSTEM_CRON), "root"
    return UserCrontab(), None


def _snap_executable() -> str:
    """The absolute path of this `snap`, for the unit or cron line to run."""
    argv0 = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if os.path.basename(argv0) == "snap" and os.access(argv0, os.X_OK):
        return argv0
    found = shutil.which("snap")
    if found is None:
        raise InputError("cannot find the snap executable on PATH to schedule")
    return os.path.abspath(found)


def _timing(
    daily_at: str | None, hourly_flag: bool, weekly_at: str | None, calendar: str | None
) -> Timing:
    given = [x for x in (daily_at, weekly_at, calendar) if x is not None] + (
        [True] if hourly_flag else []
    )
    if len(given) != 1:
        raise InputError(
            "give one of --daily HH:MM, --hourly, --weekly [DAY HH:MM], --on-calendar EXPR"
        )
    if daily_at is not None:
        return daily(daily_at)
    if weekly_at is not None:
        return weekly(weekly_at)
    if calendar is not None:
        return _checked_calendar(calendar)
    return hourly()


def _checked_calendar(expression: str) -> Timing:
    """systemd is the judge of its expressions; checked when systemd-analyze is installed."""
    timing = on_calendar(expression)
    analyze = shutil.which("systemd-analyze")
    if analyze is not None:
        done = subprocess.run([analyze, "calendar", timing.on_calendar], capture_output=True,
                              text=True, check=False, timeout=ANALYZE_TIMEOUT)  # fmt: skip
        if done.returncode != 0:
            raise InputError(
                f"--on-calendar {expression!r} is not a valid systemd calendar expression"
            )
    return timing


@click.group("schedule")
def schedule_group() -> None:
    """Run profiles on a schedule: systemd timers (default) or cron."""


@schedule_group.command("install")
@click.argument("profile_name", metavar="PROFILE")
@click.option("--daily", "daily_at", metavar="HH:MM", help="Every day at this time.")
@click.option("--hourly", "hourly_flag", is_flag=True, help="Every hour, on the hour.")
@click.option("--weekly", "weekly_at", metavar="[DAY HH:MM]", is_flag=False, flag_value="Sun 00:00",
              help="Every week (default Sunday 00:00), e.g. --weekly 'Sat 03:30'.")  # fmt: skip
@click.option("--on-calendar", "calendar", metavar="EXPR", help="A systemd calendar expression.")
@click.option(
    "--randomized-delay", metavar="INTERVAL", help="Spread starts by up to this (e.g. 15min)."
)
@click.option("--cron", "use_cron", is_flag=True, help="A cron entry instead of a systemd timer.")
@click.option("--unit-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the units (default /etc/systemd/system for root, else ~/.config/systemd/user).")  # fmt: skip
@click.option("--cron-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Crontab file to edit (default /etc/cron.d/snapstore for root, else your crontab).")  # fmt: skip
@click.option("--user", "user", is_flag=True, help="Your own units and crontab, also as root.")
@config_option
@command_options
def install_command(options: GlobalOptions, profile_name: str, daily_at: str | None, hourly_flag: bool,
                    weekly_at: str | None, calendar: str | None, randomized_delay: str | None,
                    use_cron: bool, unit_dir: Path | None, cron_file: Path | None, user: bool,
                    config_path: Any) -> None:  # fmt: skip
    """Schedule `snap run PROFILE` (the profile must exist in the configuration)."""
    timing = _timing(daily_at, hourly_flag, weekly_at, calendar)
    path = _config(config_path)
    load_config(path).profile(
        profile_name
    )  # a broken file or unknown profile fails now, not at 2 am
    command = [_snap_executable(), "run", "--config", str(path), profile_name]
    if use_cron:
        if timing.cron is None:
            raise InputError(
                "cron takes --daily, --hourly or --weekly (--on-calendar is for systemd)"
            )
        if randomized_delay:
            raise InputError("--randomized-delay is for systemd timers")
        crontab, user_field = _crontab(cron_file, user)
        # -q: cron mails what a job prints, so a run that went well prints nothing.
        entry = CronEntry(profile_name, cron_line(timing.cron, [*command, "-q"], user_field))
        install_cron(crontab, entry, timing.description)
        _report_install(options, profile_name, "cron", timing, [crontab.where], None)
        return
    if randomized_delay:
        try:
            parse_interval(randomized_delay)
        except ValueError as error:
            raise InputError(f"--randomized-delay {error}") from None
    units = render_units(profile_name, command, str(path), timing, _systemd_span(randomized_delay))
    written = _unit_folder(unit_dir, user).install(units)
    scope = "" if _system(user) else " --user"
    hint = f"systemctl{scope} daemon-reload && systemctl{scope} enable --now {unit_name(profile_name)}.timer"
    _report_install(options, profile_name, "systemd", timing, [str(p) for p in written], hint)


def _systemd_span(interval: str | None) -> str | None:
    # systemd reads "15min", "2h", "1d"; "w" is read as weeks by both.
    return interval.replace(" ", "") if interval else None


def _config(given: Any) -> Path:
    return config_path(given)


def _report_install(options: GlobalOptions, profile: str, kind: str, timing: Timing,
                    files: list[str], hint: str | None) -> None:  # fmt: skip
    if options.as_json:
        emit_json({"profile": profile, "kind": kind, "timing": timing.description,
                   "on_calendar": timing.on_calendar if kind == "systemd" else None,
                   "cron": timing.cron if kind == "cron" else None, "files": files, "enable": hint})  # fmt: skip
        return
    if options.quiet:
        return
    click.echo(f"scheduled profile {profile} {timing.description} ({kind}): {', '.join(files)}")
    if hint:
        click.echo(f"to enable it: {hint}")


@schedule_group.command("list")
@click.option(
    "--unit-dir", type=click.Path(file_okay=False, path_type=Path), help="Folder of the units."
)
@click.option("--cron-file", type=click.Path(dir_okay=False, path_type=Path), help="Crontab file.")
@click.option("--user", "user", is_flag=True, help="Your own units and crontab, also as root.")
@command_options
def list_command(
    options: GlobalOptions, unit_dir: Path | None, cron_file: Path | None, user: bool
) -> None:
    """List the installed schedules (systemd units and cron entries)."""
    found = _unit_folder(unit_dir, user).schedules() + _cron_schedules(cron_file, user)
    if options.as_json:
        emit_json([vars(item) for item in found])
        return
    if not found:
        if not options.quiet:
            click.echo("no schedules installed")
        return
    rows = [[s.profile, s.kind, s.timing, s.where] for s in found]
    click.echo(table(["Profile", "Kind", "When", "Where"], rows))


def _cron_schedules(cron_file: Path | None, user: bool) -> list[Installed]:
    crontab, _ = _crontab(cron_file, user)
    if isinstance(crontab, UserCrontab) and shutil.which("crontab") is None:
        return []  # no cron here: nothing can be scheduled with it
    return list_cron(crontab)


@schedule_group.command("remove")
@click.argument("profile_name", metavar="PROFILE")
@click.option(
    "--unit-dir", type=click.Path(file_okay=False, path_type=Path), help="Folder of the units."
)
@click.option("--cron-file", type=click.Path(dir_okay=False, path_type=Path), help="Crontab file.")
@click.option("--user", "user", is_flag=True, help="Your own units and crontab, also as root.")
@command_options
def remove_command(options: GlobalOptions, profile_name: str, unit_dir: Path | None,
                   cron_file: Path | None, user: bool) -> None:  # fmt: skip
    """Remove PROFILE's schedule (its units and its cron entry)."""
    folder = _unit_folder(unit_dir, user)
    timer_there = (folder.path / f"{unit_name(profile_name)}.timer").exists()
    removed = [str(p) for p in folder.remove(profile_name)]
    crontab, _ = _crontab(cron_file, user)
    cron_there = not (isinstance(crontab, UserCrontab) and shutil.which("crontab") is None)
    if cron_there and remove_cron(crontab, profile_name):
        removed.append(crontab.where)
    if not removed:
        raise InputError(f"no schedule of profile {profile_name} is installed")
    scope = "" if _system(user) else " --user"
    hint = f"systemctl{scope} disable --now {unit_name(profile_name)}.timer; systemctl{scope} daemon-reload"
    if options.as_json:
        emit_json({"profile": profile_name, "removed": removed})
    elif not options.quiet:
        click.echo(f"removed the schedule of profile {profile_name}: {', '.join(removed)}")
        if timer_there:
            click.echo(f"if the timer was enabled: {hint}")
