"""The audit log: one JSON line per audited command, appended, with secrets masked; an
unwritable log is a warning, never a failed backup."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Snap


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_backup_is_recorded(snap: Snap, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    snap.backup(tmp_path / "src", "--tag", "daily")
    snap.ok("snapshots")  # a listing is not audited, nor is help
    snap.ok("backup", "--help")
    [record] = _records(snap.audit_log)
    assert record["command"] == "backup"
    assert record["arguments"] == ["backup", str(tmp_path / "src"), "--tag", "daily", "--json"]
    assert record["result"] == "ok" and record["exit_code"] == 0
    assert record["repository"] == str(snap.repo)
    assert record["pid"] > 0 and record["host"] == os.uname().nodename
    assert record["user"] and record["duration_seconds"] >= 0
    assert record["time"].endswith("+00:00")
    assert oct(snap.audit_log.stat().st_mode & 0o777) == "0o600"


def test_failure_is_recorded_and_records_append(snap: Snap, tmp_path: Path) -> None:
    snap.fails("backup", tmp_path / "missing", code=1)
    snap.fails("restore", "latest", "--target", tmp_path / "out", code=1)
    first, second = _records(snap.audit_log)
    assert first["result"] == "error" and first["exit_code"] == 1
    assert first["error"] == f"{tmp_path / 'missing'} does not exist"
    assert second["command"] == "restore" and second["error"] == "no snapshot matches (latest)"


def test_secrets_are_masked(snap: Snap, tmp_path: Path) -> None:
    done = snap.run(
        "backup", "--no-such-option", "--password=hunter2", "--db-password", "swordfish",
        "--password-file", "/etc/pw", "postgresql://backup:s3cret@db.example/app",
        "host=db password=tops3cret dbname=app", "s3://bucket/x?secret_access_key=abc&region=x",
        "-r", "s3://AKIA:awssecret@127.0.0.1:8333/bucket",
    )  # fmt: skip
    assert done.returncode == 2  # a usage error is audited too
    text = snap.audit_log.read_text()
    for secret in ("hunter2", "swordfish", "s3cret", "tops3cret", "abc", "awssecret"):
        assert secret not in text
    [record] = _records(snap.audit_log)
    assert record["arguments"][:7] == [
        "backup", "--no-such-option", "--password=***", "--db-password", "***",
        "--password-file", "/etc/pw",
    ]  # fmt: skip
    assert "postgresql://backup:***@db.example/app" in record["arguments"]
    assert "host=db password=*** dbname=app" in record["arguments"]
    assert record["repository"] == "s3://AKIA:***@127.0.0.1:8333/bucket"
    assert record["exit_code"] == 2


def test_unwritable_log_only_warns(snap: Snap, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    done = snap.run(
        "backup", tmp_path / "src", "-q", env={"SNAP_AUDIT_LOG": str(blocker / "a.jsonl")}
    )
    assert done.returncode == 0
    [line] = done.err.splitlines()
    assert line.startswith(f"warning: audit log {blocker / 'a.jsonl'}: ")


def test_option_and_off(snap: Snap, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    chosen = tmp_path / "state" / "audit.jsonl"
    snap.ok("--audit-log", chosen, "backup", tmp_path / "src", "-q")
    snap.ok("backup", tmp_path / "src", "-q", env={"SNAP_AUDIT_LOG": "off"})
    assert [r["command"] for r in _records(chosen)] == ["backup"]
    assert not snap.audit_log.exists()


def test_default_place_is_xdg_state_home(snap: Snap, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    env = {k: v for k, v in snap.env.items() if k != "SNAP_AUDIT_LOG"}
    env["XDG_STATE_HOME"] = str(tmp_path / "xdg")
    done = subprocess.run(["snap", "backup", str(tmp_path / "src"), "-q"], env=env,
                          capture_output=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _records(tmp_path / "xdg" / "snapstore" / "audit.jsonl")[0]["command"] == "backup"
