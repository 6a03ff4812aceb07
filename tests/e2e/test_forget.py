"""`snap forget`, `snap prune` and `snap unlock` through the command line: retention rules on a
history built with `backup --time/--tag/--host`, filters and grouping, the JSON shape, refused and
bad input (one-line errors, nothing removed), and the space actually coming back while the kept
snapshots restore bit for bit."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from snapstore.backend import LocalBackend
from snapstore.repository import RepositoryConfig
from snapstore.repository.locks import BACKUP, Lock
from tests.e2e.conftest import Snap, assert_one_line_error, init_local_repository

SMALL = RepositoryConfig(pack_size=4 << 20)  # what `snap init --pack-size 4` writes

# The history: label -> (time, host, source folder, tags). 2024-01-01 is a Monday; 2025-03-01 a
# Saturday (ISO week 9), 2025-03-02 a Sunday (week 9), 2025-03-03 a Monday (week 10).
HISTORY = {
    "S1": ("2024-01-01T09:00:00Z", "h1", "src", "a"),
    "S2": ("2024-01-01T18:00:00Z", "h1", "src", "b"),
    "S3": ("2024-01-03T09:00:00Z", "h1", "src", "a,b"),
    "S4": ("2024-01-10T09:00:00Z", "h1", "src", ""),
    "S5": ("2024-02-15T09:00:00Z", "h1", "src", "a"),
    "S6": ("2025-03-01T09:00:00Z", "h1", "src", ""),
    "S7": ("2025-03-02T09:00:00Z", "h1", "src", ""),
    "S8": ("2025-03-03T09:00:00Z", "h1", "src", ""),
    "U1": ("2025-01-01T09:00:00Z", "h1", "other", ""),
    "T1": ("2025-03-01T12:00:00Z", "h2", "src", ""),
    "T2": ("2025-03-03T12:00:00Z", "h2", "src", "a"),
}
H1_SRC = ["S8", "S7", "S6", "S5", "S4", "S3", "S2", "S1"]  # newest first


class History:
    def __init__(self, snap: Snap, folders: dict[str, Path], ids: dict[str, str]) -> None:
        self.snap, self.folders, self.ids = snap, folders, ids
        self.labels = {snapshot_id: label for label, snapshot_id in ids.items()}

    def decide(
        self, *args: str
    ) -> list[tuple[dict[str, Any], list[tuple[str, list[str]]], list[str]]]:
        """`forget --dry-run --json ARGS` as (group, [(kept label, reasons)], [removed labels])."""
        document = self.snap.json("forget", "--dry-run", *args)
        assert document["dry_run"] is True
        return [
            (
                group["group"],
                [(self.labels[s["id"]], s["reasons"]) for s in group["keep"]],
                [self.labels[s["id"]] for s in group["remove"]],
            )
            for group in document["groups"]
        ]

    def h1_src(self, *args: str) -> tuple[list[tuple[str, list[str]]], list[str]]:
        """The decision for the group of host h1 and folder src alone."""
        ((group, keep, remove),) = self.decide(
            "--host", "h1", "--path", str(self.folders["src"]), *args
        )
        assert group == {"hostname": "h1", "paths": [str(self.folders["src"])]}
        return keep, remove


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    """One repository with the snapshots of HISTORY; the tests on it only run dry runs."""
    root = tmp_path_factory.mktemp("history")
    snap = Snap(root / "snap")
    init_local_repository(snap.repo, snap.cache, SMALL)
    folders = {}
    for name in ("src", "other"):
        folders[name] = root / name
        folders[name].mkdir()
        (folders[name] / "file").write_bytes(name.encode() * 1000)
    ids = {}
    for label, (time, host, folder, tags) in HISTORY.items():
        tag_args = ["--tag", tags] if tags else []
        ids[label] = snap.backup("--time", time, "--host", host, *tag_args, folders[folder])[
            "snapshot_id"
        ]
    assert len(set(ids.values())) == len(HISTORY)
    return History(snap, folders, ids)


# -- the JSON document -------------------------------------------------------------------------


def test_json_shape_with_exact_ids_times_and_reasons(history: History) -> None:
    document = history.snap.json("forget", "--dry-run", "--keep-last", "1", "--host", "h2")
    # "requests": the storage requests of the command (cli/request_report.py).
    assert set(document) == {"dry_run", "groups", "requests"} and document["dry_run"] is True
    (group,) = document["groups"]
    assert set(group) == {"group", "keep", "remove"}
    assert group["group"] == {"hostname": "h2", "paths": [str(history.folders["src"])]}
    assert [s["id"] for s in group["keep"]] == [history.ids["T2"]]
    assert [s["id"] for s in group["remove"]] == [history.ids["T1"]]
    kept, removed = group["keep"][0], group["remove"][0]
    assert kept["reasons"] == ["last snapshot"]
    assert "reasons" not in removed
    assert kept["time"] == "2025-03-03T12:00:00+00:00"
    assert removed["time"] == "2025-03-01T12:00:00+00:00"
    for record in (kept, removed):  # RFC 3339 with an offset
        assert datetime.fromisoformat(record["time"]).utcoffset() == timedelta(0)
        assert record["short_id"] == record["id"][:8] and len(record["id"]) == 64
        assert record["hostname"] == "h2" and record["paths"] == [str(history.folders["src"])]
    assert kept["tags"] == ["a"] and removed["tags"] == []
    # A dry run keeps every snapshot.
    assert {s["id"] for s in history.snap.json("snapshots")} == set(history.ids.values())


def test_keep_last_and_its_alias_keep_latest(history: History) -> None:
    expected = (
        [(s, ["last snapshot"]) for s in ("S8", "S7", "S6")],
        ["S5", "S4", "S3", "S2", "S1"],
    )
    assert history.h1_src("--keep-last", "3") == expected
    assert history.h1_src("--keep-latest", "3") == expected


def test_keep_daily(history: History) -> None:
    assert history.h1_src("--keep-daily", "4") == (
        [(s, ["daily snapshot"]) for s in ("S8", "S7", "S6", "S5")],
        ["S4", "S3", "S2", "S1"],
    )


def test_keep_weekly(history: History) -> None:
    assert history.h1_src("--keep-weekly", "2") == (
        [("S8", ["weekly snapshot"]), ("S7", ["weekly snapshot"])],
        ["S6", "S5", "S4", "S3", "S2", "S1"],
    )
    # More weeks than the history has: counts are left at the oldest, which is kept too.
    assert history.h1_src("--keep-weekly", "10") == (
        [("S8", ["weekly snapshot"]), ("S7", ["weekly snapshot"]), ("S5", ["weekly snapshot"]),
         ("S4", ["weekly snapshot"]), ("S3", ["weekly snapshot"]), ("S1", ["oldest weekly snapshot"])],
        ["S6", "S2"],
    )  # fmt: skip


def test_keep_monthly(history: History) -> None:
    assert history.h1_src("--keep-monthly", "2") == (
        [("S8", ["monthly snapshot"]), ("S5", ["monthly snapshot"])],
        ["S7", "S6", "S4", "S3", "S2", "S1"],
    )


def test_keep_yearly_and_its_alias_keep_annual(history: History) -> None:
    expected = (
        [
            ("S8", ["yearly snapshot"]),
            ("S5", ["yearly snapshot"]),
            ("S1", ["oldest yearly snapshot"]),
        ],
        ["S7", "S6", "S4", "S3", "S2"],
    )
    assert history.h1_src("--keep-yearly", "5") == expected
    assert history.h1_src("--keep-annual", "5") == expected


def test_unlimited_count(history: History) -> None:
    assert history.h1_src("--keep-monthly", "unlimited") == (
        [("S8", ["monthly snapshot"]), ("S5", ["monthly snapshot"]), ("S4", ["monthly snapshot"]),
         ("S1", ["oldest monthly snapshot"])],
        ["S7", "S6", "S3", "S2"],
    )  # fmt: skip
    keep, remove = history.h1_src("--keep-last", "unlimited")
    assert [label for label, _ in keep] == H1_SRC and remove == []


def test_keep_within_counts_back_from_the_newest_snapshot(history: History) -> None:
    # S8 is 2025-03-03 09:00; S6 at exactly two days before is not *within* (strictly after).
    assert history.h1_src("--keep-within", "2d") == (
        [("S8", ["within 2d"]), ("S7", ["within 2d"])],
        ["S6", "S5", "S4", "S3", "S2", "S1"],
    )


def test_keep_within_daily(history: History) -> None:
    assert history.h1_src("--keep-within-daily", "7d") == (
        [(s, ["daily within 7d"]) for s in ("S8", "S7", "S6")],
        ["S5", "S4", "S3", "S2", "S1"],
    )
    # A window reaching the first day: one snapshot per day, the morning one of Jan 1 as the
    # oldest of its bucket.
    keep, remove = history.h1_src("--keep-within-daily", "2y")
    assert keep == [("S8", ["daily within 2y"]), ("S7", ["daily within 2y"]), ("S6", ["daily within 2y"]),
                    ("S5", ["daily within 2y"]), ("S4", ["daily within 2y"]), ("S3", ["daily within 2y"]),
                    ("S2", ["daily within 2y"]), ("S1", ["oldest daily within 2y"])]  # fmt: skip
    assert remove == []


def test_keep_tag(history: History) -> None:
    # "a,b": snapshots with both tags.
    assert history.h1_src("--keep-tag", "a,b") == (
        [("S3", ["has tags [a, b]"])],
        ["S8", "S7", "S6", "S5", "S4", "S2", "S1"],
    )
    # Repeated: either tag.
    assert history.h1_src("--keep-tag", "a", "--keep-tag", "b") == (
        [("S5", ["has tags [a]"]), ("S3", ["has tags [a]", "has tags [b]"]), ("S2", ["has tags [b]"]),
         ("S1", ["has tags [a]"])],
        ["S8", "S7", "S6", "S4"],
    )  # fmt: skip


def test_rules_combine_and_every_reason_is_listed(history: History) -> None:
    assert history.h1_src("--keep-last", "1", "--keep-monthly", "2", "--keep-tag", "a,b") == (
        [("S8", ["last snapshot", "monthly snapshot"]), ("S5", ["monthly snapshot"]),
         ("S3", ["has tags [a, b]"])],
        ["S7", "S6", "S4", "S2", "S1"],
    )  # fmt: skip


# -- filters and grouping ----------------------------------------------------------------------


def test_default_grouping_is_host_and_paths(history: History) -> None:
    groups = history.decide("--keep-last", "1")
    src, other = str(history.folders["src"]), str(history.folders["other"])
    expected_groups = [
        {"hostname": "h1", "paths": sorted([other])}, {"hostname": "h1", "paths": [src]},
        {"hostname": "h2", "paths": [src]},
    ]  # fmt: skip
    assert sorted((g for g, _, _ in groups), key=lambda g: (g["hostname"], g["paths"])) == sorted(
        expected_groups, key=lambda g: (g["hostname"], g["paths"])
    )
    decided = {(g["hostname"], tuple(g["paths"])): (keep, remove) for g, keep, remove in groups}
    assert decided[("h1", (other,))] == ([("U1", ["last snapshot"])], [])
    assert decided[("h1", (src,))] == ([("S8", ["last snapshot"])], H1_SRC[1:])
    assert decided[("h2", (src,))] == ([("T2", ["last snapshot"])], ["T1"])


def test_filter_host(history: History) -> None:
    assert history.decide("--keep-last", "1", "--host", "h2") == [
        (
            {"hostname": "h2", "paths": [str(history.folders["src"])]},
            [("T2", ["last snapshot"])],
            ["T1"],
        )
    ]


def test_filter_tag(history: History) -> None:
    groups = history.decide("--keep-last", "1", "--tag", "a")
    assert [(g["hostname"], keep, remove) for g, keep, remove in groups] == [
        ("h1", [("S5", ["last snapshot"])], ["S3", "S1"]),
        ("h2", [("T2", ["last snapshot"])], []),
    ]
    groups = history.decide("--keep-last", "1", "--tag", "a,b")  # both tags
    assert [(keep, remove) for _, keep, remove in groups] == [([("S3", ["last snapshot"])], [])]


def test_filter_path(history: History) -> None:
    other = str(history.folders["other"])
    assert history.decide("--keep-last", "1", "--path", other) == [
        ({"hostname": "h1", "paths": [other]}, [("U1", ["last snapshot"])], [])
    ]


def test_group_by_host(history: History) -> None:
    groups = history.decide("--keep-last", "2", "--group-by", "host")
    assert groups == [
        ({"hostname": "h1"}, [("S8", ["last snapshot"]), ("S7", ["last snapshot"])],
         ["S6", "U1", "S5", "S4", "S3", "S2", "S1"]),
        ({"hostname": "h2"}, [("T2", ["last snapshot"]), ("T1", ["last snapshot"])], []),
    ]  # fmt: skip


def test_group_by_host_paths_tags(history: History) -> None:
    src, other = str(history.folders["src"]), str(history.folders["other"])
    groups = history.decide("--keep-last", "1", "--group-by", "host,paths,tags")
    decided = {
        (g["hostname"], tuple(g["paths"]), tuple(g["tags"])): (keep, remove)
        for g, keep, remove in groups
    }
    assert all(set(g) == {"hostname", "paths", "tags"} for g, _, _ in groups)
    assert decided == {
        ("h1", (src,), ()): ([("S8", ["last snapshot"])], ["S7", "S6", "S4"]),
        ("h1", (src,), ("a",)): ([("S5", ["last snapshot"])], ["S1"]),
        ("h1", (src,), ("b",)): ([("S2", ["last snapshot"])], []),
        ("h1", (src,), ("a", "b")): ([("S3", ["last snapshot"])], []),
        ("h1", (other,), ()): ([("U1", ["last snapshot"])], []),
        ("h2", (src,), ()): ([("T1", ["last snapshot"])], []),
        ("h2", (src,), ("a",)): ([("T2", ["last snapshot"])], []),
    }


def test_text_output_of_a_dry_run(history: History) -> None:
    out = history.snap.ok("forget", "--dry-run", "--keep-last", "1", "--host", "h2").out
    assert "keep 1 snapshots:" in out and "would remove 1 snapshots:" in out
    assert history.ids["T2"][:8] in out and history.ids["T1"][:8] in out
    assert "last snapshot" in out
    assert out.rstrip().endswith("1 snapshots would be removed")


def test_bad_group_by_is_a_one_line_error(history: History) -> None:
    error = history.snap.fails("forget", "--keep-last", "1", "--group-by", "planet", code=1)
    assert "planet" in error


# -- removing ----------------------------------------------------------------------------------


def write_tree(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


def folder_content(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    } | {str(p.relative_to(folder)) + "/": b"" for p in folder.rglob("*") if p.is_dir()}


def restored_content(snap: Snap, snapshot_id: str, source: Path, target: Path) -> dict[str, bytes]:
    snap.ok("restore", snapshot_id, "--target", target)
    return folder_content(Path(str(target) + str(source.absolute())))


def repository_state(repo: Path) -> dict[str, tuple[int, str]]:
    """Every file under the repository (temporary ones too), with its size and content hash."""
    state = {}
    for path in sorted(repo.rglob("*")):
        if path.is_file():
            state[str(path.relative_to(repo))] = (
                path.stat().st_size,
                hashlib.sha256(path.read_bytes()).hexdigest(),
            )
        else:
            state[str(path.relative_to(repo)) + "/"] = (0, "")
    return state


def data_bytes(repo: Path) -> int:
    return sum(p.stat().st_size for p in (repo / "data").rglob("*") if p.is_file())


def snapshot_ids(snap: Snap) -> list[str]:
    return [s["id"] for s in snap.json("snapshots")]


@pytest.fixture
def small(snap_env: Snap) -> Snap:
    init_local_repository(snap_env.repo, snap_env.cache, SMALL)
    return snap_env


def three_days(snap: Snap, source: Path) -> list[str]:
    source.mkdir(exist_ok=True)
    ids = []
    for day in (1, 2, 3):
        (source / "day").write_bytes(f"day {day}\n".encode() * 100)
        ids.append(snap.backup("--time", f"2025-05-0{day}T10:00:00Z", source)["snapshot_id"])
    return ids


def test_forget_removes_what_the_policy_does_not_keep(small: Snap, tmp_path: Path) -> None:
    first, second, third = three_days(small, tmp_path / "src")
    document = small.json("forget", "--keep-last", "2")
    assert document["dry_run"] is False
    assert [s["id"] for s in document["groups"][0]["remove"]] == [first]
    assert snapshot_ids(small) == [second, third]
    out = small.ok("forget", "--keep-last", "1").out
    assert "remove 1 snapshots:" in out and out.rstrip().endswith("1 snapshots removed")
    assert snapshot_ids(small) == [third]


def test_dry_run_removes_nothing(small: Snap, tmp_path: Path) -> None:
    ids = three_days(small, tmp_path / "src")
    before = repository_state(small.repo)
    document = small.json("forget", "--keep-last", "1", "--dry-run")
    assert len(document["groups"][0]["remove"]) == 2
    small.ok("forget", "--keep-last", "1", "-n", "--prune", "--grace", "0h")
    assert repository_state(small.repo) == before
    assert snapshot_ids(small) == ids


def test_forget_named_snapshots(small: Snap, tmp_path: Path) -> None:
    first, second, third = three_days(small, tmp_path / "src")
    listed = {s["id"]: s for s in small.json("snapshots")}
    document = small.json("forget", first[:10], third)
    assert document["dry_run"] is False
    (group,) = document["groups"]
    assert group["group"] == {} and group["keep"] == []
    assert sorted(group["remove"], key=lambda s: s["time"]) == [listed[first], listed[third]]
    assert snapshot_ids(small) == [second]


def test_unknown_snapshot_id_is_a_one_line_error(small: Snap, tmp_path: Path) -> None:
    ids = three_days(small, tmp_path / "src")
    error = small.fails("forget", ids[0][:8], "deadbeef", code=1)
    assert "deadbeef" in error
    assert snapshot_ids(small) == ids  # not even the known one was removed


def test_a_policy_without_rules_is_refused(small: Snap, tmp_path: Path) -> None:
    ids = three_days(small, tmp_path / "src")
    error = small.fails("forget", code=1)
    assert "no --keep-* rule" in error
    small.fails("forget", "--host", "h1", "--prune", code=1)
    small.fails("forget", "--keep-daily", "0", "--keep-within", "0d", code=1)  # zero rules are off
    assert snapshot_ids(small) == ids


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Snap, list[str]]:
    """A repository with two snapshots, the first with its own data (shared by the tests of bad
    input: each checks that it removed nothing)."""
    root = tmp_path_factory.mktemp("pair")
    snap = Snap(root / "snap")
    init_local_repository(snap.repo, snap.cache, SMALL)
    source = root / "src"
    source.mkdir()
    ids = []
    for time in ("2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"):
        (source / "f").write_bytes(os.urandom(100_000))
        ids.append(snap.backup("--time", time, source)["snapshot_id"])
    return snap, ids


@pytest.mark.parametrize(
    "args, words",
    [
        (("--keep-daily", "x"), "--keep-daily 'x'"),
        (("--keep-last", "-1"), "negative"),
        (("--keep-within", "5x"), "5x"),
        (("--keep-within-daily", "d"), "d"),
        (("--keep-last", "1", "--prune", "--max-unused", "200%"), "200%"),
        (("--keep-last", "1", "--prune", "--max-unused", "lots"), "lots"),
        (("--keep-last", "1", "--prune", "--grace", "5x"), "5x"),
        (("--keep-last", "1", "--prune", "--grace", "1m"), "--grace"),
    ],
)
def test_bad_values_are_one_line_errors_and_remove_nothing(
    pair: tuple[Snap, list[str]], args: tuple[str, ...], words: str
) -> None:
    snap, ids = pair
    error = snap.fails("forget", *args, code=1)
    assert words in error and "internal error" not in error
    assert snapshot_ids(snap) == ids


@pytest.mark.parametrize(
    "args", [("--max-unused", "200%"), ("--grace", "5x"), ("--max-unused", "-1%")]
)
def test_bad_prune_values_are_one_line_errors(
    pair: tuple[Snap, list[str]], args: tuple[str, ...]
) -> None:
    snap, _ = pair
    before = repository_state(snap.repo)
    assert "internal error" not in snap.fails("prune", *args, code=1)
    assert repository_state(snap.repo) == before


# -- prune -------------------------------------------------------------------------------------


def two_generations(snap: Snap, source: Path) -> tuple[str, str, dict[str, bytes]]:
    """Two backups sharing no data: after the first is forgotten, its packs are garbage."""
    source.mkdir()
    write_tree(source, {"a": os.urandom(1_500_000), "sub/b": os.urandom(700_000)})
    first = snap.backup(source)["snapshot_id"]
    (source / "a").unlink()
    (source / "sub" / "b").unlink()
    write_tree(source, {"c": os.urandom(900_000), "sub/d": os.urandom(300_000), "small": b"tiny\n"})
    second = snap.backup(source)["snapshot_id"]
    return first, second, folder_content(source)


def test_forget_with_prune_reports_marked_packs_in_text(small: Snap, tmp_path: Path) -> None:
    _, second, _ = two_generations(small, tmp_path / "src")
    out = small.ok("forget", "--keep-last", "1", "--prune").out
    assert "remove 1 snapshots:" in out
    line = next(l for l in out.splitlines() if l.startswith("marked for deletion: "))
    assert int(line.split()[3]) >= 2  # the data pack and the tree pack of the first backup
    assert "MiB" in line
    assert snapshot_ids(small) == [second]


def test_forget_with_prune_reports_marked_packs_in_json(small: Snap, tmp_path: Path) -> None:
    first, _, _ = two_generations(small, tmp_path / "src")
    packs_before = small.data_files()
    document = small.json("forget", "--keep-last", "1", "--prune")
    assert set(document) == {"dry_run", "groups", "prune", "requests"}
    assert [s["id"] for s in document["groups"][0]["remove"]] == [first]
    report = document["prune"]
    assert report["dry_run"] is False and report["snapshots"] == 1
    assert report["marked_packs"] >= 2 and report["marked_bytes"] > 2_000_000
    assert report["deleted_packs"] == 0  # the default grace period of an hour
    trash = {p.name for p in (small.repo / "trash").iterdir() if not p.name.startswith(".")}
    assert len(trash) == report["marked_packs"] and trash <= packs_before
    assert small.data_files() == packs_before


def test_prune_dry_run_reports_and_changes_no_file(small: Snap, tmp_path: Path) -> None:
    first, _, _ = two_generations(small, tmp_path / "src")
    small.ok("forget", first)
    before = repository_state(small.repo)
    report = small.json("prune", "--dry-run", "--grace", "0h")
    assert report["dry_run"] is True
    assert report["marked_packs"] >= 2 and report["marked_bytes"] > 2_000_000
    assert report["deleted_packs"] == 0
    assert repository_state(small.repo) == before
    out = small.ok("prune", "-n").out
    assert "would delete now: 0 packs" in out and "would be freed" in out
    assert repository_state(small.repo) == before


def test_prune_twice_with_no_grace_deletes_and_the_rest_restores(
    snap_env: Snap, tmp_path: Path
) -> None:
    snap = snap_env
    snap.ok("init", "--pack-size", "4")
    source = tmp_path / "src"
    first, second, kept = two_generations(snap, source)
    write_tree(source, {"late": os.urandom(200_000)})
    third = snap.backup(source)["snapshot_id"]
    kept_third = folder_content(source)
    size_before, packs_before = data_bytes(snap.repo), snap.data_files()
    snap.ok("forget", first)
    marking = snap.json("prune", "--grace", "0h")
    assert marking["marked_packs"] >= 2 and marking["deleted_packs"] == 0
    assert data_bytes(snap.repo) == size_before  # marked, not yet deleted
    deleting = snap.json("prune", "--grace", "0h")
    assert deleting["deleted_packs"] == marking["marked_packs"]
    assert deleting["deleted_bytes"] == marking["marked_bytes"] > 2_000_000
    assert data_bytes(snap.repo) <= size_before - deleting["deleted_bytes"]
    assert len(snap.data_files()) < len(packs_before)
    assert not [p for p in (snap.repo / "trash").iterdir() if not p.name.startswith(".")]
    assert snap.json("prune", "--grace", "0h")["deleted_packs"] == 0  # nothing left to do
    assert restored_content(snap, second, source, tmp_path / "r2") == kept
    assert restored_content(snap, third, source, tmp_path / "r3") == kept_third


# -- unlock ------------------------------------------------------------------------------------


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def write_lock(repo: Path, hostname: str, pid: int, refreshed: datetime) -> str:
    name = os.urandom(16).hex()
    document = {
        "kind": BACKUP, "exclusive": False, "hostname": hostname, "pid": pid, "username": "someone",
        "created": (refreshed - timedelta(minutes=1)).isoformat(), "refreshed": refreshed.isoformat(),
    }  # fmt: skip
    (repo / "locks").mkdir(exist_ok=True)
    (repo / "locks" / name).write_text(json.dumps(document))
    return name


@pytest.fixture
def live_lock(small: Snap) -> Iterator[Lock]:
    lock = Lock(LocalBackend(small.repo), BACKUP, False).acquire()  # this test process: alive
    yield lock
    lock.release()


def test_unlock_removes_stale_locks_and_keeps_live_ones(small: Snap, live_lock: Lock) -> None:
    now = datetime.now(UTC)
    here = socket.gethostname()
    dead = write_lock(small.repo, here, dead_pid(), now)
    old = write_lock(small.repo, "elsewhere", 1, now - timedelta(hours=2))
    fresh = write_lock(small.repo, "elsewhere", 1, now)  # another host's: its pid says nothing
    live = live_lock.info.name.rsplit("/", 1)[1]
    assert {p.name for p in (small.repo / "locks").iterdir()} == {dead, old, fresh, live}
    out = small.ok("unlock").out
    assert out.rstrip().endswith("2 stale locks removed")
    assert out.count("removed stale backup lock by ") == 2
    assert {p.name for p in (small.repo / "locks").iterdir()} == {fresh, live}
    assert small.json("unlock") == []
    assert {p.name for p in (small.repo / "locks").iterdir()} == {fresh, live}


def test_unlock_json_names_what_it_removed(small: Snap) -> None:
    dead = write_lock(small.repo, socket.gethostname(), dead_pid(), datetime.now(UTC))
    removed = small.json("unlock")
    assert [r["name"] for r in removed] == [f"locks/{dead}"]
    assert "pid" in removed[0]["description"]
    assert not list((small.repo / "locks").iterdir())


def test_error_output_has_no_traceback(small: Snap) -> None:
    result = small.run("forget", "--keep-last", "nope")
    assert result.returncode == 1
    assert_one_line_error(result.err)
