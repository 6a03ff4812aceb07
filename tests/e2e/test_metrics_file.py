"""`snap backup --metrics-file`: Prometheus text format (checked with prometheus_client's own
parser), one sample per metric and label pair, replaced atomically, and a failed run that
keeps the last success."""

from __future__ import annotations

import os
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import Snap


def _families(path: Path) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """metric -> labels -> value, parsed by the reference parser (which rejects bad syntax)."""
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(path.read_text()):
        assert family.type == "gauge" and family.documentation, family.name
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


WEB1 = (("host", "web1"), ("profile", ""))


def test_backup_writes_metrics(snap: Snap, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a").write_bytes(b"a" * 5000)
    (src / "b").write_bytes(b"b" * 3000)
    metrics = tmp_path / "textfile" / "snap.prom"
    before = time.time()
    snap.backup(src, "--host", "web1", "--metrics-file", metrics)
    found = _families(metrics)
    assert found["snapstore_last_run_exit_status"] == {WEB1: 0}
    assert before <= found["snapstore_last_success_timestamp_seconds"][WEB1] <= time.time()
    assert (
        found["snapstore_last_run_timestamp_seconds"]
        == found["snapstore_last_success_timestamp_seconds"]
    )
    assert found["snapstore_backup_files"][WEB1] == 2
    assert found["snapstore_backup_bytes_read"][WEB1] == 8000
    assert found["snapstore_backup_bytes_processed"][WEB1] == 8000
    assert found["snapstore_backup_bytes_added"][WEB1] == 8000
    assert found["snapstore_repository_snapshots"][WEB1] == 1
    on_disk = sum(p.stat().st_size for p in snap.repo.rglob("*") if p.is_file())
    assert found["snapstore_repository_size_bytes"][WEB1] == on_disk
    assert 0 < found["snapstore_last_run_duration_seconds"][WEB1] < 60
    assert oct(metrics.stat().st_mode & 0o777) == "0o644"


def test_failed_run_keeps_last_success(snap: Snap, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a").write_text("a")
    metrics = tmp_path / "snap.prom"
    snap.backup(src, "--host", "web1", "--metrics-file", metrics)
    first = _families(metrics)
    inode = metrics.stat().st_ino
    snap.fails("backup", tmp_path / "gone", "--host", "web1", "--metrics-file", metrics, code=1)
    second = _families(metrics)
    assert second["snapstore_last_run_exit_status"] == {WEB1: 1}
    for kept in ("snapstore_last_success_timestamp_seconds", "snapstore_backup_files",
                 "snapstore_repository_snapshots", "snapstore_repository_size_bytes"):  # fmt: skip
        assert second[kept] == first[kept], kept
    assert (
        second["snapstore_last_run_timestamp_seconds"][WEB1]
        > first["snapstore_last_run_timestamp_seconds"][WEB1]
    )
    # Replaced by a rename, never rewritten in place, and no temporary file left behind.
    assert metrics.stat().st_ino != inode
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith((".prom", ".tmp"))) == [
        "snap.prom"
    ]


def test_wrong_password_failure_is_recorded(snap: Snap, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    bad = tmp_path / "bad"
    bad.write_text("nope\n")
    metrics = tmp_path / "snap.prom"
    snap.fails("backup", tmp_path / "src", "--host", "web1", "--metrics-file", metrics,
               "--password-file", bad, code=12)  # fmt: skip
    found = _families(metrics)
    assert found["snapstore_last_run_exit_status"] == {WEB1: 12}
    assert "snapstore_last_success_timestamp_seconds" not in found


def test_other_hosts_samples_are_kept(snap: Snap, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    metrics = tmp_path / "snap.prom"
    snap.backup(tmp_path / "src", "--host", "web1", "--metrics-file", metrics)
    snap.backup(tmp_path / "src", "--host", "db1", "--metrics-file", metrics)
    snapshots = _families(metrics)["snapstore_repository_snapshots"]
    assert snapshots == {WEB1: 1, (("host", "db1"), ("profile", "")): 2}
    text = metrics.read_text()
    assert text.count("# TYPE snapstore_repository_snapshots gauge") == 1


def test_dry_run_and_unwritable_file(snap: Snap, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    metrics = tmp_path / "snap.prom"
    snap.ok("backup", tmp_path / "src", "--dry-run", "--metrics-file", metrics)
    assert not metrics.exists()
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = snap.run("backup", tmp_path / "src", "-q", "--metrics-file", blocker / "x.prom")
    assert done.returncode == 0
    assert done.err.startswith(f"warning: metrics file {blocker / 'x.prom'}")
    assert os.listdir(tmp_path / "src") == []


def _profile_file(snap: Snap, tmp_path: Path, paths: list[Path]) -> Path:
    config = tmp_path / "snap.toml"
    listed = ", ".join(f'"{p}"' for p in paths)
    config.write_text(
        f'[global]\nstate-dir = "{tmp_path / "state"}"\n'
        f'[profiles.files]\nrepository = "{snap.repo}"\npassword-file = "{snap.password_file}"\n'
        f'cache-dir = "{snap.cache}"\nhost = "web1"\npaths = [{listed}]\n'
    )
    return config


def test_snap_run_writes_one_sample_set_per_profile(snap: Snap, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a").write_bytes(b"a" * 1000)
    config = _profile_file(snap, tmp_path, [src])
    metrics = tmp_path / "snap.prom"
    snap.ok("run", "files", "--config", config, env={"SNAP_METRICS_FILE": str(metrics)})
    files = (("host", "web1"), ("profile", "files"))
    found = _families(metrics)
    assert found["snapstore_last_run_exit_status"] == {files: 0}
    assert found["snapstore_backup_files"] == {files: 1}
    assert found["snapstore_backup_bytes_added"] == {files: 1000}
    assert found["snapstore_repository_snapshots"] == {files: 1}
    first_success = found["snapstore_last_success_timestamp_seconds"][files]
    config.write_text(config.read_text().replace(str(src), str(tmp_path / "missing")))
    assert snap.run("run", "files", "--config", config, "--metrics-file", metrics).returncode == 1
    found = _families(metrics)
    assert found["snapstore_last_run_exit_status"] == {files: 1}
    assert found["snapstore_last_success_timestamp_seconds"][files] == first_success
    assert found["snapstore_backup_files"] == {files: 1}
