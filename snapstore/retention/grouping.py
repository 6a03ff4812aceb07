"""`group_snapshots`: split snapshots into the groups a policy is applied to one by one.

Grouping is why `--keep-last 3` keeps three snapshots per machine and folder set rather than
three in the whole repository (restic's ``--group-by``, default ``host,paths``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from snapstore.retention.candidate import Candidate, newest_first

GROUP_FIELDS = ("host", "paths", "tags")
DEFAULT_GROUP_BY = frozenset({"host", "paths"})
# restic accepts the singular and plural of each word; so do we, so that scripts carry over.
_ALIASES = {"host": "host", "hosts": "host", "path": "paths", "paths": "paths"}
_ALIASES |= {"tag": "tags", "tags": "tags"}


@dataclass(frozen=True)
class GroupKey:
    """What the snapshots of one group share. A field is None when it is not grouped by;
    paths and tags are sorted, so the order a backup listed them in does not split groups."""

    hostname: str | None = None
    paths: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The grouped fields only, JSON-ready: {"hostname": ..., "paths": [...], "tags": [...]}."""
        rendered: dict[str, Any] = {}
        if self.hostname is not None:
            rendered["hostname"] = self.hostname
        if self.paths is not None:
            rendered["paths"] = list(self.paths)
        if self.tags is not None:
            rendered["tags"] = list(self.tags)
        return rendered

    def __str__(self) -> str:
        # restic's wording for a group heading, e.g. "host nas, paths [/etc, /home]".
        parts = []
        if self.hostname is not None:
            parts.append(f"host {self.hostname}")
        if self.paths is not None:
            parts.append("paths [" + ", ".join(self.paths) + "]")
        if self.tags is not None:
            parts.append("tags [" + ", ".join(self.tags) + "]")
        return ", ".join(parts) or "all snapshots"

    def _sort_key(self) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        return (self.hostname or "", self.paths or (), self.tags or ())


def normalize_group_by(group_by: Iterable[str]) -> frozenset[str]:
    """`group_by` in canonical words ("host", "paths", "tags"); ValueError for unknown words."""
    if isinstance(group_by, str):
        raise TypeError("group_by is a set of words such as {'host', 'paths'}, not a string")
    canonical = set()
    for word in group_by:
        if word not in _ALIASES:
            expected = ", ".join(GROUP_FIELDS)
            raise ValueError(f"unknown grouping {word!r}; expected any of {expected}")
        canonical.add(_ALIASES[word])
    return frozenset(canonical)


def group_snapshots(
    candidates: Iterable[Candidate], group_by: Iterable[str] = DEFAULT_GROUP_BY
) -> dict[GroupKey, list[Candidate]]:
    """Groups in a stable order (sorted by key), each newest first; an empty `group_by` puts
    every snapshot into one group whose key has no fields."""
    fields = normalize_group_by(group_by)
    groups: dict[GroupKey, list[Candidate]] = {}
    for candidate in newest_first(candidates):
        key = GroupKey(
            hostname=candidate.hostname if "host" in fields else None,
            paths=tuple(sorted(candidate.paths)) if "paths" in fields else None,
            tags=tuple(sorted(set(candidate.tags))) if "tags" in fields else None,
        )
        groups.setdefault(key, []).append(candidate)
    return {key: groups[key] for key in sorted(groups, key=GroupKey._sort_key)}
