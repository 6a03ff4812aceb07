"""Freshness of backups, for monitoring: is the newest snapshot of each group young enough?

Groups are those `snap forget` uses by default: one per host and set of paths. A group whose
newest snapshot is older than the warning age is a *warning*, older than the critical age a
*critical* finding; a host named in the filter that has no snapshot at all is critical. The
states and their numbers are the Nagios plugin convention that most monitoring systems read
(0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN). Only snapshot records are read, never data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from snapstore.errors import InputError
from snapstore.model import Snapshot
from snapstore.repository.snapshot_filter import SnapshotFilter

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATE_NAMES = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}

_AGE_PART = re.compile(r"([0-9]+)([wdhms])")
# Unlike `forget --keep-within`, `m` is minutes here: ages of a few hours are the common case.
_AGE_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_age(text: str, option: str = "--max-age") -> timedelta:
    """`25h`, `1d12h`, `90m`, `2w`: weeks, days, hours, minutes, seconds; more than zero."""
    parts = _AGE_PART.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise InputError(f"{option} {text!r} is not an age such as 25h, 1d12h or 90m "
                         "(w weeks, d days, h hours, m minutes, s seconds)")  # fmt: skip
    seconds = sum(int(number) * _AGE_UNITS[unit] for number, unit in parts)
    if seconds == 0:
        raise InputError(f"{option} must be more than zero")
    return timedelta(seconds=seconds)


def format_age(age: timedelta) -> str:
    """The largest unit and the next one, e.g. `3h0m`, `1d6h`, `45s`; a future time is `0s`."""
    seconds = max(0, int(age.total_seconds()))
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    first = next((i for i, (_, size) in enumerate(units) if seconds >= size), len(units) - 1)
    parts = []
    for unit, size in units[first : first + 2]:
        parts.append(f"{seconds // size}{unit}")
        seconds %= size
    return "".join(parts)


@dataclass(frozen=True)
class FreshnessLimits:
    warning: timedelta
    critical: timedelta

    def __post_init__(self) -> None:
        if self.critical < self.warning:
            raise InputError("the critical age must not be less than the warning age")

    def state_of(self, age: timedelta) -> int:
        if age > self.critical:
            return CRITICAL
        return WARNING if age > self.warning else OK


@dataclass(frozen=True)
class GroupFreshness:
    hostname: str
    paths: tuple[str, ...]  # sorted
    snapshot_id: str
    time: datetime
    age: timedelta
    state: int

    @property
    def label(self) -> str:
        return f"{self.hostname}:{','.join(self.paths)}"


@dataclass
class FreshnessReport:
    limits: FreshnessLimits
    groups: list[GroupFreshness] = field(default_factory=list)
    missing_hosts: list[str] = field(default_factory=list)  # named in --host, no snapshot

    @property
    def state(self) -> int:
        if self.missing_hosts or not self.groups:
            return CRITICAL
        return max(group.state for group in self.groups)

    def line(self) -> str:
        """One line for a monitoring system: state, reason, then Nagios performance data."""
        return f"SNAP {STATE_NAMES[self.state]} - {self._reason()}{self._perfdata()}"

    def _reason(self) -> str:
        if not self.groups and not self.missing_hosts:
            return "no snapshot matches"
        late = sorted((g for g in self.groups if g.state != OK), key=lambda g: -g.age)
        stale = [f"{g.label} newest snapshot {format_age(g.age)} ago, older than "
                 f"{format_age(self._limit_of(g))}" for g in late]  # fmt: skip
        problems = [f"no snapshot of host {host}" for host in self.missing_hosts] + stale
        total = len(self.groups) + len(self.missing_hosts)
        if problems:
            return "; ".join(problems) + f" ({len(problems)} of {total} groups)"
        oldest = max(self.groups, key=lambda g: g.age)
        others = f", {total - 1} other groups newer" if total > 1 else ""
        return f"newest snapshot {format_age(oldest.age)} ago ({oldest.label}){others}"

    def _limit_of(self, group: GroupFreshness) -> timedelta:
        return self.limits.critical if group.state == CRITICAL else self.limits.warning

    def _perfdata(self) -> str:
        if not self.groups:
            return ""
        age = max(int(g.age.total_seconds()) for g in self.groups)
        warning = int(self.limits.warning.total_seconds())
        critical = int(self.limits.critical.total_seconds())
        return f" | age={max(age, 0)}s;{warning};{critical} groups={len(self.groups)}"


def assess_freshness(
    snapshots: Iterable[tuple[str, Snapshot]], where: SnapshotFilter, limits: FreshnessLimits,
    now: datetime,
) -> FreshnessReport:  # fmt: skip
    """`snapshots` in any order; `now` timezone-aware (injected, so tests never wait)."""
    newest: dict[tuple[str, tuple[str, ...]], tuple[str, Snapshot]] = {}
    for sid, snap in where.select(snapshots):
        key = (snap.hostname, tuple(sorted(snap.paths)))
        if key not in newest or (snap.time, sid) > (newest[key][1].time, newest[key][0]):
            newest[key] = (sid, snap)
    report = FreshnessReport(limits)
    for (host, paths), (sid, snap) in sorted(newest.items()):
        age = now - snap.time
        report.groups.append(GroupFreshness(host, paths, sid, snap.time, age, limits.state_of(age)))
    seen = {host for host, _ in newest}
    report.missing_hosts = [host for host in dict.fromkeys(where.hosts) if host not in seen]
    return report
