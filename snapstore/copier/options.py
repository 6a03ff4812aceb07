"""What a copy is asked to do, and what it reports."""

from __future__ import annotations

from dataclasses import dataclass, field

from snapstore.repository.snapshot_filter import SnapshotFilter

BY_ID = "by-id"  # same content keys and chunker parameters: blobs copied as they are
RECHUNK = "rechunk"  # contents streamed through the target's chunker, trees rewritten


@dataclass(frozen=True)
class CopyOptions:
    snapshots: tuple[str, ...] = ()  # ids, id prefixes or `latest`; empty: every snapshot
    where: SnapshotFilter = field(default_factory=SnapshotFilter)
    dry_run: bool = False  # only decide which snapshots would be copied


@dataclass
class CopyCounters:
    """Running totals; also what progress display reads."""

    snapshots_copied: int = 0
    snapshots_skipped: int = 0
    files: int = 0
    bytes_processed: int = 0  # sizes of the files of the copied snapshots
    files_reused: int = 0  # chunk ids taken from an earlier copy, nothing read
    blobs_read: int = 0  # data blobs read from the source (each verified against its id)
    bytes_read: int = 0
    data_blobs_added: int = 0
    tree_blobs_added: int = 0
    bytes_added: int = 0  # plaintext of the new data blobs
    bytes_stored: int = 0  # what new data and tree blobs take in the target's packs


@dataclass(frozen=True)
class CopiedSnapshot:
    source_id: str
    target_id: str | None  # None on a dry run


@dataclass
class CopyResult:
    mode: str  # BY_ID or RECHUNK
    dry_run: bool
    counters: CopyCounters
    copied: list[CopiedSnapshot] = field(default_factory=list)
    skipped: list[CopiedSnapshot] = field(default_factory=list)  # target_id: the existing copy
