"""`snap check --max-age`: the monitoring probe. Old snapshots are made with `backup --time`;
each state has its exit code and one line on standard output naming the late group."""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import S3TestServer
from tests.e2e.conftest import Snap, init_local_repository


def _ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Snap:
    """web1 backed up 3 h ago (after an older one), db1 30 h ago, old1 60 h ago. Shared by
    the module's tests, which only read it."""
    root = tmp_path_factory.mktemp("max-age")
    snap = Snap(root / "snap")
    init_local_repository(snap.repo, snap.cache)
    src = root / "src"
    src.mkdir()
    (src / "f").write_text("x")
    snap.backup(src, "--host", "web1", "--time", _ago(40))
    snap.backup(src, "--host", "web1", "--time", _ago(3))
    snap.backup(src, "--host", "db1", "--time", _ago(30))
    snap.backup(src, "--host", "old1", "--time", _ago(60))
    return snap


def _probe(snap: Snap, *args: str) -> tuple[int, list[str]]:
    done = snap.run("check", *args)
    assert done.err == "", done.err
    return done.returncode, done.out.splitlines()


def test_fresh_host_is_ok_in_one_line(hosts: Snap) -> None:
    code, lines = _probe(hosts, "--max-age", "25h", "--host", "web1")
    assert code == 0
    assert len(lines) == 1
    assert lines[0].startswith("SNAP OK - newest snapshot 3h0m ago (web1:")
    assert "| age=108" in lines[0]  # 3 h = 10800 s, Nagios performance data


def test_older_than_max_age_is_a_warning(hosts: Snap) -> None:
    code, lines = _probe(hosts, "--max-age", "25h", "--host", "web1", "--host", "db1")
    assert code == 1
    assert len(lines) == 1
    assert lines[0].startswith("SNAP WARNING - db1:")
    assert "newest snapshot 1d6h ago, older than 1d1h (1 of 2 groups)" in lines[0]


def test_older_than_twice_max_age_is_critical(hosts: Snap) -> None:
    code, lines = _probe(hosts, "--max-age", "25h")
    assert code == 2
    assert lines[0].startswith("SNAP CRITICAL - old1:")
    assert "older than 2d2h" in lines[0] and "db1:" in lines[0] and "(2 of 3 groups)" in lines[0]


def test_critical_age_option(hosts: Snap) -> None:
    code, lines = _probe(hosts, "--max-age", "25h", "--critical-age", "29h", "--host", "db1")
    assert code == 2 and lines[0].startswith("SNAP CRITICAL - db1:")
    code, _ = _probe(hosts, "--max-age", "3d", "--critical-age", "4d")
    assert code == 0


def test_host_without_snapshot_is_critical(hosts: Snap) -> None:
    code, lines = _probe(hosts, "--max-age", "25h", "--host", "web1", "--host", "nas")
    assert code == 2
    assert lines == [lines[0]] and "no snapshot of host nas" in lines[0]


def test_empty_repository_is_critical(snap: Snap) -> None:
    code, lines = _probe(snap, "--max-age", "1h")
    assert code == 2 and lines == ["SNAP CRITICAL - no snapshot matches"]


def test_unreadable_repository_is_unknown(snap: Snap, tmp_path: Path) -> None:
    code, lines = _probe(snap, "--max-age", "1h", "-r", str(tmp_path / "nowhere"))
    assert code == 3 and lines[0].startswith("SNAP UNKNOWN - no repository at")
    bad = tmp_path / "bad-password"
    bad.write_text("wrong\n")
    code, lines = _probe(snap, "--max-age", "1h", "--password-file", str(bad))
    assert code == 3 and lines[0].startswith("SNAP UNKNOWN - ")


def test_bad_age_is_unknown(snap: Snap) -> None:
    code, lines = _probe(snap, "--max-age", "25x")
    assert code == 3 and "is not an age such as 25h" in lines[0]


def test_json_lists_every_group(hosts: Snap) -> None:
    done = hosts.run("check", "--max-age", "25h", "--json")
    assert done.returncode == 2
    document = json.loads(done.stdout)
    assert document["state"] == "CRITICAL"
    states = {g["hostname"]: g["state"] for g in document["groups"]}
    assert states == {"web1": "OK", "db1": "WARNING", "old1": "CRITICAL"}


def test_probe_does_not_read_the_index(hosts: Snap, tmp_path: Path) -> None:
    """Index files damaged: the probe still answers (it lists snapshots only), fast, where a
    command that opens the index fails."""
    shutil.copytree(hosts.root, tmp_path / "copy")
    hosts = Snap(tmp_path / "copy")
    for index_file in (hosts.repo / "index").iterdir():
        index_file.write_bytes(b"garbage")
    assert hosts.run("snapshots", "--cache-dir", str(hosts.root / "fresh-cache")).returncode != 0
    started = time.monotonic()
    code, _ = _probe(hosts, "--max-age", "25h", "--host", "web1")
    assert code == 0
    assert time.monotonic() - started < 5


def test_filters_need_max_age(hosts: Snap) -> None:
    hosts.fails("check", "--host", "web1", code=1)


def test_probe_on_s3(snap_env: Snap, tmp_path: Path, s3_server: S3TestServer) -> None:
    """The snapshot records are read (in parallel) from a real S3 server."""
    location = s3_server.location(s3_server.unique_bucket_name("age"))
    env = {**s3_server.env, "SNAP_REPOSITORY": location}
    snap_env.ok("init", env=env)
    (tmp_path / "src").mkdir()
    for hours in (50, 20, 1.5):
        snap_env.ok("backup", tmp_path / "src", "-q", "--time", _ago(hours), env=env)
    done = snap_env.run("check", "--max-age", "2h", env=env)
    assert done.returncode == 0, done.out + done.err
    assert done.out.startswith("SNAP OK - newest snapshot 1h30m ago")
