"""Schedules of `snap run PROFILE` (layer L4): systemd units or cron entries, written, listed
and removed; nothing here enables or starts them.

Vocabulary: a *timing* is when a profile runs, as the user gave it (`--daily 02:00`,
`--hourly`, `--weekly Sun 03:00`, `--on-calendar EXPR`) and in the two forms it is written in:
a systemd *OnCalendar* expression and a *cron* expression. A *schedule* is one installed
timing of one profile: a `snapstore-PROFILE.service` and `.timer` pair in a *unit folder*, or a
*block* (a marker comment and the line under it) in a crontab.
"""

from snapstore.schedule.calendar import Timing, daily, hourly, on_calendar, weekly
from snapstore.schedule.cron_table import CronEntry
from snapstore.schedule.systemd_units import UnitFiles, render_units, unit_name

__all__ = [
    "CronEntry",
    "Timing",
    "UnitFiles",
    "daily",
    "hourly",
    "on_calendar",
    "render_units",
    "unit_name",
    "weekly",
]
