"""`snap snapshots` and its filters, and choosing a snapshot for `restore` by `latest`, host, or
id prefix."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from snapstore.model import Snapshot
from snapstore.repository import Repository
from tests.e2e.conftest import Snap, init_local_repository


@pytest.fixture(scope="module")
def four(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Four snapshots of two folders from two hosts, tagged differently, at known times (shared
    by the tests of this module, which only read the repository)."""
    tmp_path = tmp_path_factory.mktemp("four")
    snap = Snap(tmp_path / "snap")
    init_local_repository(snap.repo, snap.cache)
    p1, p2 = tmp_path / "p1", tmp_path / "p2"
    p1.mkdir()
    p2.mkdir()
    (p1 / "which").write_text("p1\n")
    (p2 / "which").write_text("p2\n")
    made = {
        "s1": snap.backup("--host", "alpha", "--tag", "x", "--time", "2021-01-01T10:00:00Z", p1),
        "s2": snap.backup("--host", "beta", "--tag", "x,y", "--time", "2021-01-02T10:00:00Z", p1),
        "s3": snap.backup("--host", "alpha", "--tag", "y", "--time", "2021-01-03T10:00:00+02:00", p2),
        "s4": snap.backup("--host", "alpha", "--time", "2021-01-04T10:00:00.123456Z", p1),
    }  # fmt: skip
    return {"ids": {k: v["snapshot_id"] for k, v in made.items()}, "p1": p1, "p2": p2, "snap": snap}


def listed(snap: Snap, *filters: str) -> list[str]:
    return [s["id"] for s in snap.json("snapshots", *filters)]


def test_json_fields(four: dict[str, Any]) -> None:
    ids, snap = four["ids"], four["snap"]
    documents = snap.json("snapshots")
    assert [d["id"] for d in documents] == [ids["s1"], ids["s2"], ids["s3"], ids["s4"]]
    s2 = documents[1]
    assert s2["short_id"] == ids["s2"][:8]
    assert len(s2["id"]) == 64 and int(s2["id"], 16) >= 0
    assert datetime.fromisoformat(s2["time"]) == datetime(2021, 1, 2, 10, tzinfo=UTC)
    assert datetime.fromisoformat(documents[2]["time"]) == datetime(2021, 1, 3, 8, tzinfo=UTC)
    assert datetime.fromisoformat(documents[3]["time"]).microsecond == 123456
    assert s2["hostname"] == "beta"
    assert s2["paths"] == [str(four["p1"])]
    assert s2["tags"] == ["x", "y"]
    assert documents[3]["tags"] == []


def test_filters(four: dict[str, Any]) -> None:
    ids, snap = four["ids"], four["snap"]
    assert listed(snap, "--host", "alpha") == [ids["s1"], ids["s3"], ids["s4"]]
    assert listed(snap, "--host", "beta") == [ids["s2"]]
    assert listed(snap, "--host", "alpha", "--host", "beta") == list(ids.values())
    assert listed(snap, "--tag", "x") == [ids["s1"], ids["s2"]]
    assert listed(snap, "--tag", "x,y") == [ids["s2"]]
    assert listed(snap, "--tag", "x", "--tag", "y") == [ids["s1"], ids["s2"], ids["s3"]]
    assert listed(snap, "--path", str(four["p2"])) == [ids["s3"]]
    assert listed(snap, "--host", "alpha", "--path", str(four["p1"])) == [ids["s1"], ids["s4"]]
    assert listed(snap, "--host", "nobody") == []
    # --latest N: the newest N of each host and set of paths.
    assert listed(snap, "--latest", "1") == [ids["s2"], ids["s3"], ids["s4"]]
    assert listed(snap, "--latest", "2") == list(ids.values())
    text = snap.ok("snapshots", "--tag", "y").out
    assert ids["s2"][:8] in text and ids["s3"][:8] in text and ids["s1"][:8] not in text
    assert text.rstrip().endswith("2 snapshots")


def test_restore_latest_of_a_host_and_by_prefix(four: dict[str, Any], tmp_path: Path) -> None:
    ids, snap = four["ids"], four["snap"]
    restored = snap.json("restore", "latest", "--host", "beta", "--target", tmp_path / "beta")
    assert restored["snapshot_id"] == ids["s2"]
    assert restored["files"] == 1
    assert (tmp_path / "beta" / four["p1"].relative_to("/") / "which").read_text() == "p1\n"
    assert not (tmp_path / "beta" / four["p2"].relative_to("/")).exists()

    latest = snap.json("restore", "latest", "--target", tmp_path / "latest")
    assert latest["snapshot_id"] == ids["s4"]
    tagged = snap.json("restore", "latest", "--tag", "y", "--target", tmp_path / "tagged")
    assert tagged["snapshot_id"] == ids["s3"]
    assert (tmp_path / "tagged" / four["p2"].relative_to("/") / "which").read_text() == "p2\n"

    prefix = unique_prefix(ids["s3"], list(ids.values()))
    by_prefix = snap.json("restore", prefix, "--target", tmp_path / "prefix")
    assert by_prefix["snapshot_id"] == ids["s3"]
    full = snap.json("restore", ids["s1"].upper(), "--target", tmp_path / "full")
    assert full["snapshot_id"] == ids["s1"]

    error = snap.fails("restore", "latest", "--host", "gamma", "--target", tmp_path / "x", code=1)
    assert "no snapshot matches" in error
    assert not (tmp_path / "x").exists()


def unique_prefix(wanted: str, all_ids: list[str]) -> str:
    for length in range(1, 65):
        if sum(i.startswith(wanted[:length]) for i in all_ids) == 1:
            return wanted[:length]
    raise AssertionError("ids are not distinct")


def test_ambiguous_and_unknown_prefix(snap: Snap, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    first = snap.backup(src)["snapshot_id"]
    # More snapshot records of the same tree, in-process, until two ids share a first digit.
    repo = snap.open()
    try:
        snapshot = repo.load_snapshot(first)
        ids = [first]
        while len({i[0] for i in ids}) == len(ids):
            ids.append(save_copy(repo, snapshot, len(ids)))
    finally:
        repo.close()
    shared = next(i[0] for i in ids if sum(j.startswith(i[0]) for j in ids) > 1)
    error = snap.fails("restore", shared, "--target", tmp_path / "a", code=1)
    assert error == f"snap: error: snapshot id prefix {shared} is ambiguous (2 snapshots)"
    unknown = next(f"{n:02x}" for n in range(256) if not any(i.startswith(f"{n:02x}") for i in ids))
    error = snap.fails("restore", unknown, "--target", tmp_path / "b", code=1)
    assert error == f"snap: error: no snapshot with id {unknown}"
    error = snap.fails("ls", unknown, code=1)
    assert error == f"snap: error: no snapshot with id {unknown}"
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def save_copy(repo: Repository, snapshot: Snapshot, n: int) -> str:
    return repo.save_snapshot(replace(snapshot, tags=(f"copy-{n}",)))
