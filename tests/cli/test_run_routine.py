"""The routine's decisions with the commands replaced (unit tests of the error paths that a real
repository cannot easily produce): a partial backup stops forget and prune, the exit code is the
first failed step's, a step missing from this version is reported, never skipped in silence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from snapstore.cli import run_routine
from snapstore.cli.run_routine import Routine
from snapstore.cli.run_steps import StepResult, run_command
from snapstore.profiles import load_state
from snapstore.profiles.model import CheckSettings, CopySettings, Profile, PruneSettings, Retention

PROFILE = Profile(
    name="p", repository="/r", paths=("/data",), retention=Retention((("keep-last", "3"),)),
    prune=PruneSettings(), check=CheckSettings(), tags=("p",), host="h",
)  # fmt: skip


def routine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, codes: dict[str, tuple[str, int]],
            profile: Profile = PROFILE) -> tuple[Routine, list[tuple[str, list[str]]]]:  # fmt: skip
    calls: list[tuple[str, list[str]]] = []

    def fake(step: str, name: str, args: list[str]) -> StepResult:
        calls.append((name, args))
        status, code = codes.get(step, ("ok", 0))
        return StepResult(step, status, 0.1, code, None if code == 0 else f"{name} failed")

    monkeypatch.setattr(run_routine, "run_command", fake)
    clock = lambda: datetime(2026, 11, 22, tzinfo=UTC)
    return Routine(profile, load_state(tmp_path, "p"), ["--repo", "/r"], password=b"pw",
                   clock=clock), calls  # fmt: skip


def test_a_partial_backup_keeps_every_old_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job, calls = routine(tmp_path, monkeypatch, {"backup": ("partial", 3)})
    report = job.run()
    assert [(s.name, s.status) for s in report.steps] == [
        ("backup", "partial"), ("forget", "skipped"), ("prune", "skipped"), ("check", "ok")
    ]  # fmt: skip
    assert report.exit_code == 3 and [name for name, _ in calls] == ["backup", "check"]


def test_the_commands_get_the_profiles_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job, calls = routine(tmp_path, monkeypatch, {"check": ("failed", 1)})
    report = job.run()
    assert report.exit_code == 1 and report.failed_steps == ["check"]
    assert calls[0] == ("backup", ["/data", "--tag=p", "--host=h", "--repo", "/r"])
    assert calls[1] == ("forget", ["--keep-last=3", "--host=h", "--tag=p", "--repo", "/r"])
    # A failed check stays due; a successful prune is remembered.
    assert job.state.steps["check"].last_success is None
    assert job.state.steps["prune"].last_success is not None


def test_a_command_this_version_lacks_is_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = Profile(name="p", repository="/r", paths=("/data",), copy=CopySettings("/offsite"))
    job, _ = routine(tmp_path, monkeypatch, {}, profile)
    monkeypatch.setattr(run_routine, "command_help", lambda name: "")
    report = job.run()
    assert [(s.name, s.status) for s in report.steps] == [
        ("backup", "ok"),
        ("copy", "not-available"),
    ]
    assert report.exit_code == 1 and "not available" in (report.steps[1].message or "")


def test_an_in_process_command_reports_its_one_line_error_and_exit_code() -> None:
    result = run_command("forget", "forget", ["--keep-last", "x", "--repo", "/nonexistent"])
    assert result.status == "failed" and result.exit_code == 1
    assert result.message == "--keep-last 'x': give a number or 'unlimited'"
    missing = run_command("teleport", "teleport", [])
    assert missing.status == "not-available" and missing.exit_code == 1
