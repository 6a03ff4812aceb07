"""What a backup is asked to do, and what it reports."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from snapstore.model import Snapshot

if TYPE_CHECKING:
    from snapstore.archiver.streams import StreamSource


@dataclass(frozen=True)
class BackupOptions:
    paths: tuple[Path, ...]
    hostname: str
    username: str
    tags: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    exclude_caches: bool = False
    one_file_system: bool = False
    time: datetime | None = None
    dry_run: bool = False
    force: bool = False
    parent: str | None = None  # snapshot id; None: the latest of the same host and paths
    # Standard input, command output, database dumps: each stored as one file (streams.py).
    streams: tuple[StreamSource, ...] = ()

    def recorded_paths(self) -> tuple[str, ...]:
        """The snapshot's `paths`: the paths backed up, then each stream's snapshot path."""
        return (*(os.path.abspath(p) for p in self.paths), *(s.snapshot_path for s in self.streams))


@dataclass
class Counters:
    """Running totals; also what progress display reads."""

    files_new: int = 0
    files_changed: int = 0
    files_unmodified: int = 0
    dirs_new: int = 0
    dirs_changed: int = 0
    dirs_unmodified: int = 0
    data_blobs: int = 0
    tree_blobs: int = 0
    data_added: int = 0
    data_added_packed: int = 0
    total_files_processed: int = 0
    total_bytes_processed: int = 0
    bytes_read: int = 0
    errors: int = 0


@dataclass
class BackupResult:
    snapshot_id: str | None  # None on a dry run
    snapshot: Snapshot
    counters: Counters
    warnings: list[str] = field(default_factory=list)
    parent_id: str | None = None
