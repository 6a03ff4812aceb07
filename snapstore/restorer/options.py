"""What a restore is asked to do, and what it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class RestoreOptions:
    target: Path
    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    verify: bool = False


@dataclass
class RestoreResult:
    files: int = 0
    dirs: int = 0
    other: int = 0
    bytes_written: int = 0
    holes_bytes: int = 0
    verified_files: int = 0
    warnings: list[str] = field(default_factory=list)
