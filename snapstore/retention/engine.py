"""`apply_policy`: split one group of snapshots into kept (with reasons) and removed.

The semantics are restic's (``ExpirePolicy`` / ``ApplyPolicy``, 0.18), checked against its own
test fixtures in tests/retention, including the reason strings and the remaining counters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from snapstore.retention.buckets import CALENDAR_BUCKETS, BucketKey
from snapstore.retention.candidate import Candidate, newest_first
from snapstore.retention.duration import Duration
from snapstore.retention.policy import Policy


@dataclass(frozen=True)
class Kept:
    candidate: Candidate
    reasons: list[str]  # restic's wording, e.g. "daily snapshot", "within 1y2m3d3h"
    # Counts left after this snapshot, for each count rule that is on (-1 = unlimited);
    # restic reports the same (its JSON leaves the zeros out).
    counters: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    keep: list[Kept]  # newest first
    remove: list[Candidate]  # newest first


@dataclass
class _Rule:
    """One bucket rule: keeps a snapshot whose bucket differs from the last one it kept."""

    reason: str
    remaining: int = -1  # counts left; -1 = unlimited (within-rules are never counted)
    last: BucketKey | None = None

    def offer(self, key: BucketKey, is_oldest: bool) -> str | None:
        if key != self.last:
            reason = self.reason
        elif is_oldest:
            # Counts left at the oldest snapshot: keep it too, so the kept history reaches back
            # as far as the policy allows (restic 0.17+).
            reason = f"oldest {self.reason}"
        else:
            return None
        self.last = key
        if self.remaining > 0:
            self.remaining -= 1
        return reason


def apply_policy(
    candidates: Sequence[Candidate], policy: Policy, *, now: datetime | None = None
) -> Decision:
    """Apply `policy` to one group of snapshots (see `group_snapshots`).

    `within*` windows count back from the newest snapshot, not from the clock. `now` is optional
    and only refines that, as restic does with its clock: snapshots at or after `now` (future-
    dated, e.g. by a wrong clock) are not taken as the newest; if all are, every snapshot is
    inside every window. An empty policy keeps nothing (callers should refuse to run it)."""
    ordered = newest_first(candidates)
    if not ordered or policy.is_empty():
        return Decision(keep=[], remove=ordered)
    newest = _reference_time(ordered, now)
    within_duration = policy.within_rule()
    within = None if within_duration is None else _window(newest, within_duration)
    count_rules = {
        name: _Rule(f"{name} snapshot", remaining=count) for name, count in policy.counts().items()
    }
    window_rules = [
        (CALENDAR_BUCKETS[name], _window(newest, duration), _Rule(f"{name} within {duration}"))
        for name, duration in policy.windows().items()
    ]
    keep: list[Kept] = []
    remove: list[Candidate] = []
    oldest = len(ordered) - 1
    for position, candidate in enumerate(ordered):
        moment, is_oldest = candidate.time, position == oldest
        # Tags and `within` are not counted; every match is a reason.
        reasons = [f"has tags {_tag_list(s)}" for s in policy.tags if candidate.has_tags(s)]
        if within is not None and within.contains(moment):
            reasons.append(f"within {within_duration}")
        for name, rule in count_rules.items():
            if rule.remaining != 0:
                # "last" has one bucket per snapshot: its position in the newest-first order.
                key = (position,) if name == "last" else CALENDAR_BUCKETS[name](moment)
                _append(reasons, rule.offer(key, is_oldest))
        for bucket_of, window, rule in window_rules:
            if window.contains(moment):
                _append(reasons, rule.offer(bucket_of(moment), is_oldest))
        if reasons:
            counters = {name: rule.remaining for name, rule in count_rules.items()}
            keep.append(Kept(candidate, reasons, counters))
        else:
            remove.append(candidate)
    return Decision(keep=keep, remove=remove)


@dataclass(frozen=True)
class _Window:
    """The times a `within*` rule covers: strictly after `cutoff` (restic's Time.After)."""

    cutoff: datetime | None  # None: a cutoff before every time Python can hold

    def contains(self, moment: datetime) -> bool:
        return self.cutoff is None or moment > self.cutoff


def _window(newest: datetime | None, duration: Duration) -> _Window:
    """`duration` back from `newest`; without a newest snapshot, every time is inside."""
    return _Window(None if newest is None else duration.subtract_from(newest))


def _reference_time(ordered: list[Candidate], now: datetime | None) -> datetime | None:
    """The newest snapshot time the windows count back from (None: no usable snapshot)."""
    if now is None:
        return ordered[0].time
    if now.tzinfo is None:
        raise ValueError("apply_policy: `now` must be timezone-aware")
    return next((c.time for c in ordered if c.time < now), None)


def _append(reasons: list[str], reason: str | None) -> None:
    if reason is not None:
        reasons.append(reason)


def _tag_list(tags: tuple[str, ...]) -> str:
    return "[" + ", ".join(tags) + "]"  # restic's TagList.String()
