"""When a restore starts its helper processes: from the first batch for a whole snapshot of many
files (by its summary), after PROCESS_AFTER planned files otherwise, since the summary does not
say how many files an --include or --exclude leaves."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

import pytest

from snapstore.model import Snapshot, Summary
from snapstore.restorer.content_writer import MANY_FILES, PROCESS_AFTER
from snapstore.restorer.path_filter import PathFilter
from snapstore.restorer.restorer import _process_after

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def snapshot_of(files: int | None) -> Snapshot:
    summary = None
    if files is not None:
        counts = {f.name: 0 for f in fields(Summary) if f.name not in ("backup_start", "backup_end")}
        counts["total_files_processed"] = files
        summary = Summary(**counts, backup_start=NOW, backup_end=NOW)
    return Snapshot(
        time=NOW, hostname="h", username="u", uid=0, gid=0, paths=("/src",), tree=bytes(32),
        program_version="test", summary=summary,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("files", "selection", "expected"),
    [
        (MANY_FILES, PathFilter(), 0),
        (MANY_FILES - 1, PathFilter(), PROCESS_AFTER),
        (None, PathFilter(), PROCESS_AFTER),  # a snapshot without a summary
        (10 * MANY_FILES, PathFilter(includes=("/src/one",)), PROCESS_AFTER),
        (10 * MANY_FILES, PathFilter(excludes=("*.log",)), PROCESS_AFTER),
    ],
)
def test_helpers_start_at_once_only_for_a_whole_snapshot_of_many_files(
    files: int | None, selection: PathFilter, expected: int
) -> None:
    assert _process_after(snapshot_of(files), selection) == expected
