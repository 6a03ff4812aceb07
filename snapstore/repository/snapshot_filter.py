"""Choosing snapshots: by id or unique id prefix, `latest`, and filters on host, tags and
paths, as restic does."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from snapstore.errors import InputError
from snapstore.model import Snapshot


@dataclass(frozen=True)
class SnapshotFilter:
    hosts: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # each entry "a,b" means: has tag a and tag b
    paths: tuple[str, ...] = ()

    def matches(self, snapshot: Snapshot) -> bool:
        if self.hosts and snapshot.hostname not in self.hosts:
            return False
        if self.tags and not any(
            set(group.split(",")) <= set(snapshot.tags) for group in self.tags
        ):
            return False
        return not self.paths or set(self.paths) <= set(snapshot.paths)

    def select(self, snapshots: Iterable[tuple[str, Snapshot]]) -> list[tuple[str, Snapshot]]:
        return [pair for pair in snapshots if self.matches(pair[1])]


def find_snapshot(
    snapshots: list[tuple[str, Snapshot]], ref: str, where: SnapshotFilter = SnapshotFilter()
) -> tuple[str, Snapshot]:
    """`snapshots` oldest first; `ref` is `latest` or an id or unique id prefix."""
    if ref == "latest":
        chosen = where.select(snapshots)
        if not chosen:
            raise InputError("no snapshot matches (latest)")
        return chosen[-1]
    matching = [pair for pair in snapshots if pair[0].startswith(ref.lower())]
    if not matching:
        raise InputError(f"no snapshot with id {ref}")
    if len(matching) > 1:
        raise InputError(f"snapshot id prefix {ref} is ambiguous ({len(matching)} snapshots)")
    return matching[0]


def latest_with_same_paths(
    snapshots: list[tuple[str, Snapshot]], hostname: str, paths: Iterable[str]
) -> tuple[str, Snapshot] | None:
    """The parent of a backup: the newest snapshot of the same host and set of paths."""
    wanted = set(paths)
    same = [p for p in snapshots if p[1].hostname == hostname and set(p[1].paths) == wanted]
    return same[-1] if same else None
