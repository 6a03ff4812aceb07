"""`snap run PROFILE`: the whole routine a profile describes, each step reported, the exit code
that of the first step that failed (0 when none did)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from snapstore.cli.config_file import config_option, is_root, open_config
from snapstore.cli.environment import environment
from snapstore.cli.exit_codes import fail
from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import emit_json, human_bytes
from snapstore.cli.password import read_password, read_password_from
from snapstore.cli.run_routine import Routine, RunReport
from snapstore.cli.run_steps import FAILED, StepResult
from snapstore.errors import SnapError
from snapstore.profiles import Profile, RunState, default_state_dir, load_state, run_lock

MASK = "***"
# Shorter strings are not masked in the output: "x" would mangle every word holding an x. The
# commands never print a password anyway; masking is the second line of defence.
MIN_REDACTED = 6


@click.command("run")
@click.argument("profile_name", metavar="PROFILE")
@config_option
@click.option(
    "--metrics-file", type=click.Path(path_type=Path), envvar="SNAP_METRICS_FILE",
    help="Write Prometheus metrics of this run to FILE (node_exporter textfile collector).",
)  # fmt: skip
@click.option("-n", "--dry-run", is_flag=True,
              help="Backup, forget, prune and copy with --dry-run (nothing stored or removed); "
                   "hooks and check are listed, not run.")  # fmt: skip
@command_options
def run_command(
    options: GlobalOptions, profile_name: str, config_path: Any, metrics_file: Path | None,
    dry_run: bool,
) -> None:  # fmt: skip
    """Run PROFILE's routine: backup, forget, prune and check when due, copy, hooks."""
    # The profile names the repository: -r and $SNAP_REPOSITORY do not apply to a run.
    config = open_config(config_path)
    profile = config.profile(profile_name)
    state_dir = config.state_dir or default_state_dir(os.environ, is_root())
    with run_lock(state_dir, profile.name):
        state = load_state(state_dir, profile.name)
        _run_profile(options, profile, state, None if dry_run else metrics_file, dry_run)


def _run_profile(
    options: GlobalOptions, profile: Profile, state: RunState, metrics_file: Path | None,
    dry_run: bool,
) -> None:  # fmt: skip
    cache_dir = profile.cache_dir or options.cache_dir
    repository_args = [
        "--repo",
        profile.repository,
        *(["--cache-dir", cache_dir] if cache_dir else []),
    ]
    secrets = [
        p for url in profile.databases if (p := _url_password(url)) and len(p) >= MIN_REDACTED
    ]
    # A password command may hold the password itself (`echo ...`): never shown either.
    commands = [profile.password.command, profile.copy.password.command if profile.copy else None]
    secrets += [c for c in commands if c and len(c) >= MIN_REDACTED]
    show = _Printer(options, secrets)
    routine = Routine(profile, state, repository_args, on_step=show.step, dry_run=dry_run)
    started = time.monotonic()
    with environment(dict(profile.environment)):
        report = _run(routine, profile, options, secrets)
        if metrics_file is not None:
            from snapstore.cli.run_metrics import write_profile_metrics

            write_profile_metrics(metrics_file, profile, report, time.monotonic() - started)
    if options.as_json:
        emit_json(_redact(_document(report), secrets))
    elif not options.quiet or report.failed_steps:
        click.echo(_verdict(report))
    if report.failed_steps:
        fail(_verdict(report), report.exit_code)


def _run(
    routine: Routine, profile: Profile, options: GlobalOptions, secrets: list[str]
) -> RunReport:
    """The password is read once; one that cannot be read is a failed step, so that the
    after hooks (a health-check ping) still learn of it."""
    try:
        source = profile.password
        routine.password = read_password_from(
            source.file, source.command, source.env
        ) or read_password(options)
    except SnapError as error:
        routine.blocked = StepResult("password", FAILED, exit_code=1, message=str(error))
        return routine.run()
    if len(routine.password) >= MIN_REDACTED:
        secrets.append(routine.password.decode(errors="replace"))
    return routine.run()


def _url_password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def _redact(value: Any, secrets: list[str]) -> Any:
    """Defence in depth: no secret the run knows of is printed, whatever a step wrote."""
    if isinstance(value, str):
        for secret in secrets:
            if secret:
                value = value.replace(secret, MASK)
        return value
    if isinstance(value, list):
        return [_redact(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: _redact(v, secrets) for k, v in value.items()}
    return value


def _document(report: RunReport) -> dict[str, Any]:
    return {"profile": report.profile, "started": report.started.isoformat(), "dry_run": report.dry_run,
            "ok": not report.failed_steps, "exit_code": report.exit_code,
            "failed_steps": report.failed_steps, "snapshot_ids": report.snapshot_ids,
            "steps": [step.to_json() for step in report.steps]}  # fmt: skip


def _verdict(report: RunReport) -> str:
    if report.dry_run and not report.failed_steps:
        return f"run {report.profile}: dry run, nothing was changed"
    if report.failed_steps:
        return f"run {report.profile} failed: {', '.join(report.failed_steps)}"
    return f"run {report.profile}: ok"


class _Printer:
    """Text mode: one status line per step as it ends, then its details indented."""

    def __init__(self, options: GlobalOptions, secrets: list[str]) -> None:
        self.options = options
        self.secrets = secrets

    def step(self, step: StepResult) -> None:
        if self.options.as_json or (self.options.quiet and not step.failed):
            return
        seconds = f"{step.seconds:6.1f} s" if step.seconds else " " * 8
        summary = _summary(step)
        line = f"{step.name:<14} {step.status:<13} {seconds}  {summary}".rstrip()
        lines = [line] + [f"  {d}" for d in _details(step, self.options.verbose > 0)]
        click.echo(_redact("\n".join(lines), self.secrets))


def _summary(step: StepResult) -> str:
    document = step.document if isinstance(step.document, dict) else {}
    if step.message and (
        step.failed or step.status != "ok" or step.name.startswith(("before", "after"))
    ):
        return step.message
    if document.get("dry_run"):
        return _dry_run_summary(step.name, document)
    if step.name.startswith("backup") and document.get("snapshot_id"):
        return (f"snapshot {document['snapshot_id'][:8]} saved: {document.get('files_new', 0)} new, "
                f"{document.get('files_changed', 0)} changed files, "
                f"{human_bytes(document.get('data_added', 0))} added")  # fmt: skip
    if step.name == "forget" and "groups" in document:
        removed = sum(len(g["remove"]) for g in document["groups"])
        kept = sum(len(g["keep"]) for g in document["groups"])
        return f"{removed} snapshots removed, {kept} kept"
    if step.name == "prune" and "deleted_packs" in document:
        return (f"{document['deleted_packs']} packs deleted, {document.get('marked_packs', 0)} "
                "marked for deletion")  # fmt: skip
    if step.name == "check" and "errors" in document:
        subset = f", read {document['subset']}" if document.get("subset") else ""
        return f"no errors{subset}" if document.get("ok") else f"{len(document['errors'])} errors"
    if step.name == "copy" and "copied" in document:
        return (
            f"{len(document['copied'])} snapshots copied, {len(document['skipped'])} already there"
        )
    return step.message or ""


def _dry_run_summary(name: str, document: dict[str, Any]) -> str:
    if name.startswith("backup"):
        return (f"dry run: {document.get('files_new', 0)} new, {document.get('files_changed', 0)} "
                f"changed files, {human_bytes(document.get('data_added', 0))} would be added")  # fmt: skip
    if name == "forget" and "groups" in document:
        return f"dry run: {sum(len(g['remove']) for g in document['groups'])} snapshots would be removed"
    if name == "prune":
        return f"dry run: {document.get('deleted_packs', 0)} packs would be deleted now"
    if name == "copy" and "copied" in document:
        return f"dry run: {len(document['copied'])} snapshots would be copied"
    return "dry run"


def _details(step: StepResult, verbose: bool) -> list[str]:
    details = list(step.warnings)
    document = step.document if isinstance(step.document, dict) else {}
    if step.name == "check":
        details += [
            f"error: {e.get('kind')}: {e.get('message')}" for e in document.get("errors", [])
        ]
    if step.output and (step.failed or step.status != "ok" or verbose):
        details += step.output.rstrip("\n").splitlines()[-20:]
    return details
