"""`Candidate`: what retention needs to know about one snapshot, and the order it decides in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Candidate:
    """One snapshot as retention sees it. `time` must be timezone-aware: its own UTC offset
    decides which hour, day, week, month and year the snapshot belongs to."""

    id: str
    time: datetime
    tags: tuple[str, ...] = ()
    hostname: str = ""
    paths: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.time.tzinfo is None or self.time.utcoffset() is None:
            raise ValueError(f"snapshot {self.id}: time {self.time} has no UTC offset")
        # Lists are accepted from callers, tuples are stored so that a Candidate is hashable.
        object.__setattr__(self, "tags", _strings(self.tags, "tags"))
        object.__setattr__(self, "paths", _strings(self.paths, "paths"))

    def has_tags(self, tag_set: Sequence[str]) -> bool:
        """True when the snapshot carries every tag of `tag_set`. As in restic, the empty tag ""
        matches a snapshot without any tags, so ``("",)`` selects the untagged ones."""
        for tag in tag_set:
            if tag == "" and not self.tags:
                return True
            if tag not in self.tags:
                return False
        return True


def newest_first(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Newest first by instant; equal times by ascending id, so that the decision does not
    depend on the order the caller listed the snapshots in (restic keeps the input order)."""
    ordered = sorted(candidates, key=lambda candidate: candidate.id)
    ordered.sort(key=lambda candidate: candidate.time, reverse=True)  # stable: ids stay ascending
    seen: set[str] = set()
    for candidate in ordered:
        if candidate.id in seen:
            raise ValueError(f"snapshot {candidate.id} is listed twice")
        seen.add(candidate.id)
    return ordered


def _strings(values: Iterable[str], field: str) -> tuple[str, ...]:
    if isinstance(values, str):
        raise TypeError(f"Candidate.{field} is a sequence of strings, not a string")
    return tuple(values)
