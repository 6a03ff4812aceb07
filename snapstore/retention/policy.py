"""`Policy`: which snapshots of one group to keep (restic's ``--keep-*`` options)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from snapstore.retention.duration import Duration

UNLIMITED = -1  # a count that never runs out (restic's "--keep-daily -1")
COUNT_RULES = ("last", "hourly", "daily", "weekly", "monthly", "yearly")
WINDOW_RULES = ("hourly", "daily", "weekly", "monthly", "yearly")  # within_<name>


@dataclass(frozen=True)
class Policy:
    """Counts: 0 = rule off, n > 0 = keep n buckets, -1 = every bucket. Durations: None (or a
    zero duration, as in restic) = rule off. `tags`: keep every snapshot that carries all tags
    of at least one tuple; the empty tag "" in a tuple matches a snapshot without tags."""

    last: int = 0
    hourly: int = 0
    daily: int = 0
    weekly: int = 0
    monthly: int = 0
    yearly: int = 0
    within: Duration | None = None
    within_hourly: Duration | None = None
    within_daily: Duration | None = None
    within_weekly: Duration | None = None
    within_monthly: Duration | None = None
    within_yearly: Duration | None = None
    tags: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        for name in COUNT_RULES:
            count = getattr(self, name)
            if not isinstance(count, int) or isinstance(count, bool) or count < UNLIMITED:
                raise ValueError(f"keep {name}: expected a count >= 0 or -1 (all), not {count!r}")
        for name in ("within", *(f"within_{rule}" for rule in WINDOW_RULES)):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Duration):
                raise ValueError(f"keep {name}: expected a Duration or None, not {value!r}")
        # Accept lists from callers (JSON, click) but store tuples, so a Policy stays hashable.
        object.__setattr__(self, "tags", _tag_sets(self.tags))

    def counts(self) -> dict[str, int]:
        """The count rules that are on, in restic's order: name -> count."""
        return {name: getattr(self, name) for name in COUNT_RULES if getattr(self, name) != 0}

    def windows(self) -> dict[str, Duration]:
        """The within-bucket rules that are on, in restic's order: bucket name -> duration."""
        found = {name: getattr(self, f"within_{name}") for name in WINDOW_RULES}
        return {name: value for name, value in found.items() if _is_on(value)}

    def within_rule(self) -> Duration | None:
        """The `within` duration if that rule is on, else None."""
        return self.within if _is_on(self.within) else None

    def is_empty(self) -> bool:
        """True when no rule is on: applying it would keep nothing, so callers should refuse."""
        return not (self.counts() or self.windows() or self.within_rule() or self.tags)


def _is_on(value: Duration | None) -> bool:
    return value is not None and not value.is_zero()


def _tag_sets(tags: Iterable[Iterable[str]]) -> tuple[tuple[str, ...], ...]:
    if isinstance(tags, str):
        raise TypeError("Policy.tags is a sequence of tag sets, not a string")
    sets = []
    for tag_set in tags:
        if isinstance(tag_set, str):
            raise TypeError(f"Policy.tags: expected a tag sequence, not the string {tag_set!r}")
        sets.append(tuple(tag_set))
    return tuple(sets)
