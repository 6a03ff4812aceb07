"""The metrics of one `snap run`: the profile's label, the run's exit status and duration, the
figures of its backup steps added up, and the repository's snapshot count and size."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

from snapstore.backend.location import open_backend
from snapstore.cli.metrics import (
    RunMetrics,
    counter_figures,
    repository_figures,
    write_or_warn,
)
from snapstore.cli.run_routine import RunReport
from snapstore.errors import SnapError
from snapstore.profiles import Profile


def write_profile_metrics(path: Path, profile: Profile, report: RunReport, seconds: float) -> None:
    """Call with the profile's environment (S3 settings) still in place."""
    run = RunMetrics(profile=profile.name, host=profile.host or socket.gethostname(),
                     ended=time.time(), duration=seconds, exit_status=report.exit_code)  # fmt: skip
    backups = [s.document for s in report.steps if s.name.startswith("backup")
               and isinstance(s.document, dict) and s.document.get("snapshot_id")]  # fmt: skip
    if run.succeeded:
        for name, value in _summed(backups).items():
            setattr(run, name, value)
        try:
            run.snapshots, run.repository_bytes = repository_figures(
                open_backend(profile.repository)
            )
        except (SnapError, OSError):
            pass  # the figures stay those of the last run that could list the repository
    write_or_warn(path, run)


def _summed(documents: list[dict[str, Any]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for document in documents:
        for name, value in counter_figures(document).items():
            total[name] = total.get(name, 0) + value
    return total
