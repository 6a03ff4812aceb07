"""Choosing snapshots to copy and the earlier copy a snapshot is compared with."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from snapstore.copier.selection import Catalog, choose, original_id, reference
from snapstore.model import Snapshot
from snapstore.repository.snapshot_filter import SnapshotFilter

START = datetime(2026, 1, 1, tzinfo=UTC)


def snap(day: int, host: str = "h", paths: tuple[str, ...] = ("/d",), parent: str | None = None,
         original: str | None = None) -> Snapshot:  # fmt: skip
    return Snapshot(time=START + timedelta(days=day), hostname=host, username="u", uid=0, gid=0,
                    paths=paths, tree=bytes(32), program_version="t", parent=parent,
                    original=original)  # fmt: skip


def sid(n: int) -> str:
    return f"{n:02x}" * 32


def test_original_id_follows_chains_of_copies() -> None:
    assert original_id((sid(1), snap(0))) == sid(1)
    assert original_id((sid(2), snap(0, original=sid(1)))) == sid(1)


def test_choose_keeps_time_order_and_applies_the_filter_to_named_snapshots() -> None:
    pairs = [(sid(1), snap(0, "a")), (sid(2), snap(1, "b")), (sid(3), snap(2, "a"))]
    assert choose(pairs, (), SnapshotFilter()) == pairs
    assert choose(pairs, (sid(3)[:10], sid(1)), SnapshotFilter()) == [pairs[0], pairs[2]]
    assert choose(pairs, (sid(2),), SnapshotFilter(hosts=("a",))) == []
    assert choose(pairs, ("latest",), SnapshotFilter(hosts=("b",))) == [pairs[1]]


def test_reference_prefers_the_parents_copy_then_the_newest_of_the_same_host_and_paths() -> None:
    old, newer, other_host = (sid(1), snap(0)), (sid(2), snap(1)), (sid(3), snap(2, "x"))
    child = (sid(4), snap(3, parent=sid(1)))
    orphan = (sid(5), snap(4))
    source = {p[0]: p for p in (old, newer, other_host, child, orphan)}
    copies = {p[0]: (sid(100 + n), dataclasses.replace(p[1], original=p[0]))
              for n, p in enumerate((old, newer, other_host))}  # fmt: skip
    catalog = Catalog(dict(copies))
    assert reference(child, source, catalog) == (old, copies[old[0]])
    assert reference(orphan, source, catalog) == (newer, copies[newer[0]])
    assert reference((sid(6), snap(5, paths=("/other",))), source, catalog) is None
    assert reference(old, source, Catalog({})) is None
