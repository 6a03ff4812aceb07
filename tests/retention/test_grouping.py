"""group_snapshots: groups by host, paths and tags, and the JSON form of a group key."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from snapstore.retention import Candidate, GroupKey, group_snapshots, normalize_group_by


def snap(id: str, host: str, paths: tuple[str, ...], tags: tuple[str, ...] = ()) -> Candidate:
    time = datetime.fromisoformat(f"2016-01-01T00:00:{int(id):02d}+00:00")
    return Candidate(id=id, time=time, tags=tags, hostname=host, paths=paths)


SNAPSHOTS = [
    snap("1", "nas", ("/etc", "/home"), ("daily",)),
    snap("2", "nas", ("/home", "/etc")),  # same path set, listed in another order
    snap("3", "laptop", ("/home",), ("daily",)),
    snap("4", "nas", ("/srv",), ("daily",)),
    snap("5", "laptop", ("/home",)),
]


def ids(groups: dict[GroupKey, list[Candidate]]) -> dict[str, list[str]]:
    return {json.dumps(key.as_dict()): [c.id for c in members] for key, members in groups.items()}


def test_default_groups_by_host_and_paths() -> None:
    assert ids(group_snapshots(SNAPSHOTS)) == {
        '{"hostname": "laptop", "paths": ["/home"]}': ["5", "3"],
        '{"hostname": "nas", "paths": ["/etc", "/home"]}': ["2", "1"],
        '{"hostname": "nas", "paths": ["/srv"]}': ["4"],
    }


def test_group_by_host_only() -> None:
    assert ids(group_snapshots(SNAPSHOTS, {"host"})) == {
        '{"hostname": "laptop"}': ["5", "3"],
        '{"hostname": "nas"}': ["4", "2", "1"],
    }


def test_group_by_tags_and_host() -> None:
    assert ids(group_snapshots(SNAPSHOTS, {"tags", "host"})) == {
        '{"hostname": "laptop", "tags": []}': ["5"],
        '{"hostname": "laptop", "tags": ["daily"]}': ["3"],
        '{"hostname": "nas", "tags": []}': ["2"],
        '{"hostname": "nas", "tags": ["daily"]}': ["4", "1"],
    }


def test_no_grouping_is_one_group() -> None:
    groups = group_snapshots(SNAPSHOTS, set())
    assert list(groups) == [GroupKey()]
    assert GroupKey().as_dict() == {} and str(GroupKey()) == "all snapshots"
    assert [c.id for c in groups[GroupKey()]] == ["5", "4", "3", "2", "1"]


def test_groups_do_not_depend_on_input_order() -> None:
    forward = group_snapshots(SNAPSHOTS, {"host", "paths", "tags"})
    backward = group_snapshots(SNAPSHOTS[::-1], {"host", "paths", "tags"})
    assert list(forward.items()) == list(backward.items())


def test_key_text() -> None:
    key = GroupKey(hostname="nas", paths=("/etc", "/home"), tags=("a",))
    assert str(key) == "host nas, paths [/etc, /home], tags [a]"


def test_restic_spellings_and_unknown_words() -> None:
    assert normalize_group_by(["hosts", "path", "tag"]) == {"host", "paths", "tags"}
    with pytest.raises(ValueError, match="unknown grouping 'user'"):
        group_snapshots(SNAPSHOTS, {"user"})
    with pytest.raises(TypeError, match="not a string"):
        group_snapshots(SNAPSHOTS, "host")
