"""The systemd service and timer of a profile's schedule.

The service is a oneshot `snap run` at low CPU and I/O priority; the timer is Persistent, so a
run missed while the machine was off happens at the next boot. Both carry the profile and the
configuration file as X- keys, which systemd ignores and `snap schedule list` reads back.
"""

from __future__ import annotations

from dataclasses import dataclass

from snapstore.schedule.calendar import Timing

PREFIX = "snapstore-"
PROFILE_KEY = "X-Snapstore-Profile"
CONFIG_KEY = "X-Snapstore-Config"
TIMING_KEY = "X-Snapstore-Timing"


@dataclass(frozen=True)
class UnitFiles:
    service_name: str
    service: str
    timer_name: str
    timer: str


def unit_name(profile: str) -> str:
    return f"{PREFIX}{profile}"


def quote(word: str) -> str:
    """One word of an ExecStart= line: `%` and `$` would be expanded by systemd, and spaces,
    quotes and backslashes would split or change the word."""
    word = word.replace("%", "%%").replace("$", "$$")
    if word and not any(c in word for c in " \t\"'\\;"):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_units(profile: str, command: list[str], config: str, timing: Timing,
                 randomized_delay: str | None = None) -> UnitFiles:  # fmt: skip
    """`command`: the absolute path of snap and its arguments."""
    name = unit_name(profile)
    header = [
        f"{PROFILE_KEY}={profile}",
        f"{CONFIG_KEY}={config}",
        f"{TIMING_KEY}={timing.description}",
    ]
    service = [
        "# Written by `snap schedule install`; remove with `snap schedule remove " + profile + "`.",
        "[Unit]",
        f"Description=snapstore backup routine of profile {profile}",
        *header,
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
        "ExecStart=" + " ".join(quote(word) for word in command),
        "Nice=10",
        "IOSchedulingClass=idle",
        "",
    ]
    timer = [
        "# Written by `snap schedule install`; remove with `snap schedule remove " + profile + "`.",
        "[Unit]",
        f"Description=Schedule of the snapstore profile {profile} ({timing.description})",
        *header,
        "",
        "[Timer]",
        f"OnCalendar={timing.on_calendar}",
        "Persistent=true",
        *([f"RandomizedDelaySec={randomized_delay}"] if randomized_delay else []),
        f"Unit={name}.service",
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
    ]
    return UnitFiles(f"{name}.service", "\n".join(service), f"{name}.timer", "\n".join(timer))


def read_keys(text: str) -> dict[str, str]:
    """The X-Snapstore-* keys (and OnCalendar) of a unit written by render_units."""
    found = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key in (PROFILE_KEY, CONFIG_KEY, TIMING_KEY, "OnCalendar"):
            found[key] = value
    return found
