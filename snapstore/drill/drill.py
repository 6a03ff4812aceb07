"""`run_drill`: restore, verify, check databases, clean up; each phase timed.

A failing phase does not hide the others' findings: a restore that stops half way still has
what it wrote verified (so the report says which files are missing or wrong), and the scratch
folder is removed in every case unless the caller asked to keep it.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from snapstore.drill.postgres_check import (
    PostgresCheckError,
    PostgresServer,
    list_custom_dump,
    restore_into_scratch,
)
from snapstore.drill.report import DatabaseCheck, DrillOptions, DrillReport, Phase
from snapstore.drill.sqlite_check import sqlite_integrity
from snapstore.drill.verifier import Verifier, VerifyResult
from snapstore.errors import SnapError
from snapstore.model import Snapshot
from snapstore.restorer import RestoreOptions, Restorer, RestoreSource

Clock = Callable[[], float]


def run_drill(
    repo: Any, snapshot_id: str, snapshot: Snapshot, options: DrillOptions,
    clock: Clock = time.monotonic,
) -> DrillReport:  # fmt: skip
    """`repo` offers what the restorer and the verifier need (a `Repository` does)."""
    report = DrillReport(snapshot_id)
    if options.scratch_parent is not None:
        options.scratch_parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="snap-drill-", dir=options.scratch_parent))
    report.scratch = str(scratch)
    try:
        _timed(
            report, "restore", clock, partial(_restore, repo, snapshot, scratch, options, report)
        )
        found = VerifyResult()

        def verify(phase: Phase) -> None:
            nonlocal found
            found = Verifier(repo, os.fsencode(scratch), report.problem).run(snapshot.tree)
            report.files_verified = found.files_verified
            report.entries_checked = found.entries_checked
            phase.detail = (f"{found.files_verified} files match their chunk ids, "
                            f"{found.entries_checked} entries checked")  # fmt: skip

        _timed(report, "verify", clock, verify)
        if found.sqlite_files or found.postgresql_dumps:
            check = partial(_databases, found, scratch, options, report, clock)
            _timed(report, "databases", clock, check)
    finally:
        if options.keep:
            report.kept = True
        else:
            _timed(report, "cleanup", clock, lambda phase: remove_tree(scratch))
    return report


def _timed(report: DrillReport, name: str, clock: Clock, action: Callable[[Phase], None]) -> None:
    phase = Phase(name)
    report.phases.append(phase)
    started = clock()
    problems_before = report.problems_total
    try:
        action(phase)
    except (SnapError, OSError) as error:
        report.problem(f"{name}: {error}")
        phase.detail = phase.detail or str(error)
    finally:
        phase.seconds = clock() - started
        phase.ok = report.problems_total == problems_before


def _restore(repo: RestoreSource, snapshot: Snapshot, scratch: Path, options: DrillOptions,
             report: DrillReport, phase: Phase) -> None:  # fmt: skip
    restorer = Restorer(repo, snapshot, RestoreOptions(scratch), readers=options.readers)
    result = restorer.run()
    report.files, report.dirs, report.other = result.files, result.dirs, result.other
    report.bytes_restored = result.bytes_written
    report.warnings.extend(result.warnings)
    phase.detail = f"{result.files} files, {result.dirs} folders, {result.other} other"


def _databases(found: VerifyResult, scratch: Path, options: DrillOptions, report: DrillReport,
               clock: Clock, phase: Phase) -> None:  # fmt: skip
    for inside in found.sqlite_files:
        started = clock()
        ok, detail = sqlite_integrity(scratch / inside.lstrip("/"))
        seconds = clock() - started
        report.databases.append(DatabaseCheck("sqlite", inside, ok, False, detail, seconds))
    for inside in found.postgresql_dumps:
        started = clock()
        check = _postgresql(scratch / inside.lstrip("/"), inside, options.pg_url)
        check.seconds = clock() - started
        report.databases.append(check)
    for check in report.databases:
        if not check.ok:
            report.problem(f"{check.kind} {check.path}: {check.detail}")
    passed = sum(1 for c in report.databases if c.ok and not c.skipped)
    phase.detail = f"{passed} of {len(report.databases)} databases checked and sound"


def _postgresql(dump: Path, inside: str, pg_url: str | None) -> DatabaseCheck:
    try:
        if pg_url is not None:
            detail = restore_into_scratch(dump, PostgresServer.from_url(pg_url))
            return DatabaseCheck("postgresql", inside, True, False, detail)
        if dump.suffix == ".dump":
            return DatabaseCheck("postgresql", inside, True, False, list_custom_dump(dump))
    except PostgresCheckError as error:
        return DatabaseCheck("postgresql", inside, False, False, str(error))
    return DatabaseCheck("postgresql", inside, True, True,
                         "not restored: give --pg-url to restore it into a scratch database")  # fmt: skip


def remove_tree(path: Path) -> None:
    """Remove the scratch folder, also where a restored folder is read-only."""

    def make_writable(function: Any, failed: str, _: Any) -> None:
        parent = os.path.dirname(failed)
        os.chmod(parent, stat.S_IRWXU)
        if not os.path.islink(failed) and os.path.isdir(failed):
            os.chmod(failed, stat.S_IRWXU)
        function(failed)

    shutil.rmtree(path, onerror=make_writable)
