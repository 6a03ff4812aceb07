"""The routine of `snap run PROFILE`, step by step: before hooks, backup, forget, prune and
check when due, copy, after hooks. Each step is the `snap` command of the same name run in this
process, so it behaves and fails exactly as on the command line.

Safety rule: forget and prune run only after every backup step succeeded; old snapshots are
never removed after a backup that failed or left files out.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from snapstore.cli.environment import environment
from snapstore.cli.exit_codes import FATAL, OK
from snapstore.cli.password import password_given, read_password_from
from snapstore.cli.run_steps import (
    FAILED,
    IGNORED,
    NOT_AVAILABLE,
    NOT_DUE,
    OK_STATUS,
    SKIPPED,
    WOULD_RUN,
    StepResult,
    command_help,
    run_command,
)
from snapstore.errors import SnapError
from snapstore.profiles import Hook, Profile, RunState
from snapstore.profiles.hooks import run_hook
from snapstore.profiles.intervals import format_interval
from snapstore.profiles.masking import mask_url

_FROM_VARIABLES = ("SNAP_FROM_PASSWORD", "SNAP_FROM_PASSWORD_FILE", "SNAP_FROM_PASSWORD_COMMAND",
                   "SNAP_FROM_REPOSITORY", "SNAP_FROM_CACHE_DIR")  # fmt: skip
# Never handed to hooks: they get the outcome, not the keys.
_SECRET_VARIABLES = ("SNAP_PASSWORD", "SNAP_PASSWORD_COMMAND", "SNAP_FROM_PASSWORD",
                     "SNAP_FROM_PASSWORD_COMMAND")  # fmt: skip


@dataclass
class RunReport:
    profile: str
    started: datetime
    steps: list[StepResult] = field(default_factory=list)
    dry_run: bool = False

    @property
    def failed_steps(self) -> list[str]:
        return [s.name for s in self.steps if s.failed]

    @property
    def exit_code(self) -> int:
        """The first failed step's code (12 for a wrong password, 3 for a partial backup...)."""
        for step in self.steps:
            if step.failed:
                return step.exit_code or FATAL
        return OK

    @property
    def snapshot_ids(self) -> list[str]:
        return [s.document["snapshot_id"] for s in self.steps
                if s.name.startswith("backup") and isinstance(s.document, dict)
                and s.document.get("snapshot_id")]  # fmt: skip


@dataclass
class Routine:
    profile: Profile
    state: RunState
    repository_args: list[str]  # -r REPO and --cache-dir for every command
    on_step: Callable[[StepResult], None] = lambda step: None
    password: bytes = b""  # the profile's, read once; every step uses it
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    blocked: StepResult | None = None  # a failure found before the steps (no password)
    dry_run: bool = False  # backup, forget, prune and copy with --dry-run; no hook, no check

    def run(self) -> RunReport:
        report = RunReport(self.profile.name, self.clock(), dry_run=self.dry_run)
        aborted = self._hooks("before", self.profile.before, report, outcome=None)
        if aborted or self.blocked is not None:
            if self.blocked is not None and not aborted:
                self._add(report, self.blocked)
            reason = "a before hook failed" if aborted else f"{self.blocked.name} failed"  # type: ignore[union-attr]
            for name in self._step_names():
                self._add(report, StepResult(name, SKIPPED, message=reason))
        else:
            with password_given(self.password):
                self._steps(report)
        self._hooks("after", self.profile.after, report, outcome=not report.failed_steps)
        return report

    # -- steps -------------------------------------------------------------------------------
    def _step_names(self) -> list[str]:
        names = ["backup"] if self.profile.paths else []
        names += [f"backup db[{i}]" for i in range(len(self.profile.databases))]
        optional = {"forget": self.profile.retention, "prune": self.profile.prune,
                    "check": self.profile.check, "copy": self.profile.copy}  # fmt: skip
        return names + [name for name, setting in optional.items() if setting is not None]

    def _steps(self, report: RunReport) -> None:
        backups_ok = True
        if self.profile.paths:
            backups_ok &= self._backup(report, "backup", [*self.profile.paths])
        for index, url in enumerate(self.profile.databases):
            backups_ok &= self._backup(report, f"backup db[{index}]", ["--db", url], url)
        forget_ok = True
        if self.profile.retention is not None:
            if backups_ok:
                forget_ok = self._command(report, "forget", "forget", self._forget_args())
            else:
                forget_ok = False
                self._add(report, StepResult("forget", SKIPPED,
                                             message="a backup failed: no snapshot is forgotten"))  # fmt: skip
        prune = self.profile.prune
        if prune is not None:
            if not (backups_ok and forget_ok):
                self._add(report, StepResult("prune", SKIPPED, message="a backup or forget failed"))
            elif self._due(report, "prune", prune.every):
                args = [*(["--max-unused", prune.max_unused] if prune.max_unused else []),
                        *(["--grace", prune.grace] if prune.grace else [])]  # fmt: skip
                self._command(report, "prune", "prune", args)
        check = self.profile.check
        if check is not None and self._due(report, "check", check.every):
            if self.dry_run:
                self._add(report, StepResult("check", WOULD_RUN, message="not run in a dry run"))
            else:
                args = ["--read-data"] if check.read_data else []
                args += (
                    ["--read-data-subset", check.read_data_subset] if check.read_data_subset else []
                )
                self._command(report, "check", "check", args)
        if self.profile.copy is not None:
            self._copy(report)

    def _backup(
        self, report: RunReport, step: str, what: list[str], url: str | None = None
    ) -> bool:
        if url is not None and "--db" not in command_help("backup"):
            return self._add(report, StepResult(step, NOT_AVAILABLE, exit_code=FATAL, message=(
                f"{mask_url(url)}: snap backup --db is not available in this version")))  # fmt: skip
        p = self.profile
        args = [*what, *(f"--tag={t}" for t in p.tags), *([f"--host={p.host}"] if p.host else [])]
        if url is None:
            args += [f"--exclude={e}" for e in p.excludes]
            args += [f"--exclude-file={f}" for f in p.exclude_files]
            args += ["--exclude-caches"] if p.exclude_caches else []
            args += ["--one-file-system"] if p.one_file_system else []
        return self._command(report, step, "backup", args)

    def _forget_args(self) -> list[str]:
        retention = self.profile.retention
        assert retention is not None
        # Only this profile's snapshots: its host, and its tags when it has some.
        args = [f"--{key}={value}" for key, value in retention.keep]
        args += [f"--group-by={retention.group_by}"] if retention.group_by else []
        args += [f"--host={self.profile.host or socket.gethostname()}"]
        return args + ([f"--tag={','.join(self.profile.tags)}"] if self.profile.tags else [])

    def _copy(self, report: RunReport) -> None:
        """`snap copy --from-repo PROFILE'S -r OFF-SITE`: the off-site repository receives the
        profile's snapshots (its host and tags); its password is its own source's, else the
        profile's."""
        copy = self.profile.copy
        assert copy is not None
        if "--from-repo" not in command_help("copy"):
            self._add(report, StepResult("copy", NOT_AVAILABLE, exit_code=FATAL,
                                         message="snap copy is not available in this version"))  # fmt: skip
            return
        try:
            source = copy.password
            target_password = (
                read_password_from(source.file, source.command, source.env) or self.password
            )
        except SnapError as error:
            self._add(report, StepResult("copy", FAILED, exit_code=FATAL, message=str(error)))
            return
        args = ["--from-repo", self.profile.repository, "--repo", copy.repository,
                f"--host={self.profile.host or socket.gethostname()}",
                *([f"--tag={','.join(self.profile.tags)}"] if self.profile.tags else []),
                *self.repository_args[2:], *(["--dry-run"] if self.dry_run else [])]  # fmt: skip
        # The source is this profile's repository: its password reaches `snap copy` the way
        # a source password does, through SNAP_FROM_PASSWORD, for this step only.
        source_environment: dict[str, str | None] = dict.fromkeys(_FROM_VARIABLES)
        source_environment["SNAP_FROM_PASSWORD"] = self.password.decode(errors="surrogateescape")
        with environment(source_environment), password_given(target_password):
            self._record(report, run_command("copy", "copy", args))

    def _due(self, report: RunReport, step: str, every: timedelta | None) -> bool:
        now = self.clock()
        if self.state.is_due(step, every, now):
            return True
        record = self.state.steps[step]
        assert record.last_success is not None
        since = record.last_success.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        assert every is not None
        message = f"last done {since}, every {format_interval(every)}"
        self._add(report, StepResult(step, NOT_DUE, message=message))
        return False

    def _command(self, report: RunReport, step: str, name: str, args: list[str]) -> bool:
        dry_run = ["--dry-run"] if self.dry_run else []
        return self._record(
            report, run_command(step, name, [*args, *self.repository_args, *dry_run])
        )

    def _record(self, report: RunReport, result: StepResult) -> bool:
        if not self.dry_run:  # a dry run changes nothing, and so does not make a step less due
            self.state.record(result.name, result.status, self.clock())
            self.state.save()
        return self._add(report, result)

    def _add(self, report: RunReport, result: StepResult) -> bool:
        report.steps.append(result)
        self.on_step(result)
        return result.status == OK_STATUS

    # -- hooks -------------------------------------------------------------------------------
    def _hooks(
        self, kind: str, hooks: tuple[Hook, ...], report: RunReport, outcome: bool | None
    ) -> bool:
        """Run the hooks in order; True when one with on-failure "abort" failed."""
        for index, hook in enumerate(hooks):
            name = f"{kind}[{index}]"
            if (
                outcome is not None
                and hook.when != "always"
                and (hook.when == "success") != outcome
            ):
                continue
            if self.dry_run:
                self._add(report, StepResult(name, WOULD_RUN, message=hook.describe()))
                continue
            done = run_hook(hook, self._hook_environment(report, outcome))
            status = OK_STATUS if done.ok else IGNORED if hook.on_failure == "ignore" else FAILED
            self._add(report, StepResult(name, status, done.seconds,
                                         OK if done.ok else FATAL,
                                         f"{hook.describe()}: {done.error}" if done.error else hook.describe(),
                                         output=done.output))  # fmt: skip
            if not done.ok and hook.on_failure == "abort":
                return True
        return False

    def _hook_environment(self, report: RunReport, outcome: bool | None) -> dict[str, str]:
        secret = {
            *_SECRET_VARIABLES,
            *([self.profile.password.env] if self.profile.password.env else []),
        }
        environ = {k: v for k, v in os.environ.items() if k not in secret}
        environ["SNAP_PROFILE"] = self.profile.name
        environ["SNAP_REPOSITORY"] = self.profile.repository
        if outcome is not None:
            environ["SNAP_RESULT"] = "success" if outcome else "failure"
            environ["SNAP_FAILED_STEPS"] = ",".join(report.failed_steps)
            environ["SNAP_EXIT_CODE"] = str(report.exit_code)
            environ["SNAP_SNAPSHOT_ID"] = " ".join(report.snapshot_ids)
        return environ
