"""`snap check --max-age`: a monitoring probe on the age of the newest snapshots.

It prints one line (`SNAP OK - ...`) and exits with the Nagios plugin codes: 0 OK, 1 WARNING
(a group's newest snapshot is older than --max-age), 2 CRITICAL (older than --critical-age,
by default twice --max-age, or no snapshot at all for a selected host), 3 UNKNOWN (the
repository could not be read, or the options are wrong). It opens only the snapshot records,
never the index or the data, so it is cheap enough to run every few minutes.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any, NoReturn

import click

from snapstore.backend.location import open_backend
from snapstore.checker.freshness import (
    STATE_NAMES,
    UNKNOWN,
    FreshnessLimits,
    FreshnessReport,
    assess_freshness,
    format_age,
    parse_age,
)
from snapstore.cli.options import GlobalOptions
from snapstore.cli.output import emit_json, rfc3339
from snapstore.cli.password import read_password
from snapstore.errors import SnapError
from snapstore.repository.snapshot_catalog import SnapshotCatalog
from snapstore.repository.snapshot_filter import SnapshotFilter


def run_freshness_check(
    options: GlobalOptions, max_age: str, critical_age: str | None, where: SnapshotFilter
) -> NoReturn:  # fmt: skip
    try:
        report = _assess(options, max_age, critical_age, where)
    except (SnapError, OSError) as error:
        _unknown(options, str(error))
    if options.as_json:
        emit_json(_document(report))
    else:
        click.echo(report.line())
    sys.exit(report.state)


def _assess(
    options: GlobalOptions, max_age: str, critical_age: str | None, where: SnapshotFilter
) -> FreshnessReport:  # fmt: skip
    warning = parse_age(max_age, "--max-age")
    critical = parse_age(critical_age, "--critical-age") if critical_age else warning * 2
    limits = FreshnessLimits(warning, critical)
    catalog = SnapshotCatalog.open(open_backend(options.repo), read_password(options))
    try:
        snapshots = catalog.list_snapshots()
    finally:
        catalog.close()
    return assess_freshness(snapshots, where, limits, datetime.now(UTC))


def _unknown(options: GlobalOptions, message: str) -> NoReturn:
    line = f"SNAP UNKNOWN - {message}"
    if options.as_json:
        emit_json({"state": STATE_NAMES[UNKNOWN], "exit_code": UNKNOWN, "message": line})
    else:
        click.echo(line)
    sys.exit(UNKNOWN)


def _document(report: FreshnessReport) -> dict[str, Any]:
    return {
        "state": STATE_NAMES[report.state],
        "exit_code": report.state,
        "message": report.line(),
        "warning_age_seconds": int(report.limits.warning.total_seconds()),
        "critical_age_seconds": int(report.limits.critical.total_seconds()),
        "groups": [
            {"hostname": g.hostname, "paths": list(g.paths), "snapshot_id": g.snapshot_id,
             "time": rfc3339(g.time), "age_seconds": int(g.age.total_seconds()),
             "age": format_age(g.age), "state": STATE_NAMES[g.state]}
            for g in report.groups
        ],
        "missing_hosts": report.missing_hosts,
    }  # fmt: skip
