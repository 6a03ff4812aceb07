"""Choosing snapshots: `latest`, id prefixes, filters on host, tags and paths, and the parent of
a backup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from snapstore.errors import InputError
from snapstore.model import Snapshot
from snapstore.repository.snapshot_filter import (
    SnapshotFilter,
    find_snapshot,
    latest_with_same_paths,
)
from tests.repository.conftest import make_snapshot

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def sid(prefix: str) -> str:
    return prefix.ljust(64, "0")


@pytest.fixture
def snapshots() -> list[tuple[str, Snapshot]]:
    """Oldest first, as `Repository.list_snapshots` returns them."""
    specs = [
        ("aa11", "alpha", ("/data",), ("daily",)),
        ("aa22", "beta", ("/data",), ("daily", "db")),
        ("bb33", "alpha", ("/data", "/etc"), ()),
        ("cc44", "alpha", ("/data",), ("weekly",)),
        ("dd55", "beta", ("/etc",), ("db",)),
    ]
    return [
        (
            sid(prefix),
            make_snapshot(when=T0 + timedelta(hours=i), hostname=host, paths=paths, tags=tags),
        )
        for i, (prefix, host, paths, tags) in enumerate(specs)
    ]


def ids(pairs: list[tuple[str, Snapshot]]) -> list[str]:
    return [p[0][:4] for p in pairs]


def test_latest(snapshots: list[tuple[str, Snapshot]]) -> None:
    assert find_snapshot(snapshots, "latest")[0] == sid("dd55")
    assert find_snapshot(snapshots, "latest", SnapshotFilter(hosts=("alpha",)))[0] == sid("cc44")
    assert find_snapshot(snapshots, "latest", SnapshotFilter(tags=("daily",)))[0] == sid("aa22")
    assert find_snapshot(snapshots, "latest", SnapshotFilter(paths=("/etc",)))[0] == sid("dd55")
    with pytest.raises(InputError, match="no snapshot matches"):
        find_snapshot(snapshots, "latest", SnapshotFilter(hosts=("gamma",)))
    with pytest.raises(InputError, match="no snapshot matches"):
        find_snapshot([], "latest")


def test_prefixes(snapshots: list[tuple[str, Snapshot]]) -> None:
    assert find_snapshot(snapshots, "bb")[0] == sid("bb33")
    assert find_snapshot(snapshots, "AA2")[0] == sid("aa22")
    assert find_snapshot(snapshots, sid("cc44"))[0] == sid("cc44")
    with pytest.raises(InputError) as caught:
        find_snapshot(snapshots, "aa")
    assert str(caught.value) == "snapshot id prefix aa is ambiguous (2 snapshots)"
    with pytest.raises(InputError) as caught:
        find_snapshot(snapshots, "ee")
    assert str(caught.value) == "no snapshot with id ee"


def test_filter_select(snapshots: list[tuple[str, Snapshot]]) -> None:
    def select(**kwargs: tuple[str, ...]) -> list[str]:
        return ids(SnapshotFilter(**kwargs).select(snapshots))

    assert select() == ["aa11", "aa22", "bb33", "cc44", "dd55"]
    assert select(hosts=("beta",)) == ["aa22", "dd55"]
    assert select(tags=("db",)) == ["aa22", "dd55"]
    assert select(tags=("daily,db",)) == ["aa22"]
    assert select(tags=("weekly", "daily,db")) == ["aa22", "cc44"]
    assert select(paths=("/data",)) == ["aa11", "aa22", "bb33", "cc44"]
    assert select(paths=("/data", "/etc")) == ["bb33"]
    assert select(hosts=("alpha",), tags=("daily",)) == ["aa11"]


def test_parent_is_newest_of_same_host_and_paths(snapshots: list[tuple[str, Snapshot]]) -> None:
    parent = latest_with_same_paths(snapshots, "alpha", ["/data"])
    assert parent is not None and parent[0] == sid("cc44")
    parent = latest_with_same_paths(snapshots, "alpha", ["/etc", "/data"])  # order does not matter
    assert parent is not None and parent[0] == sid("bb33")
    parent = latest_with_same_paths(snapshots, "beta", ["/data"])
    assert parent is not None and parent[0] == sid("aa22")
    assert latest_with_same_paths(snapshots, "beta", ["/data", "/etc"]) is None
    assert latest_with_same_paths(snapshots, "gamma", ["/data"]) is None
    assert latest_with_same_paths(snapshots, "alpha", ["/dat"]) is None
