"""What a drill is asked to do, and what it found."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MAX_LISTED_PROBLEMS = 50  # a drill of a badly damaged snapshot names the first ones only

RECOVERY_PHASES = ("restore", "verify", "databases")


@dataclass(frozen=True)
class DrillOptions:
    scratch_parent: Path | None = None  # None: the system's temporary folder
    keep: bool = False  # leave the scratch folder for a person to look at
    pg_url: str | None = None  # a PostgreSQL server for scratch databases
    readers: int = 4  # packs read at once by the restorer


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    ok: bool = True
    detail: str = ""


@dataclass
class DatabaseCheck:
    kind: str  # "sqlite" or "postgresql"
    path: str  # inside the snapshot
    ok: bool
    skipped: bool = False
    detail: str = ""
    seconds: float = 0.0


@dataclass
class DrillReport:
    snapshot_id: str
    scratch: str = ""
    kept: bool = False
    phases: list[Phase] = field(default_factory=list)
    files: int = 0
    dirs: int = 0
    other: int = 0
    bytes_restored: int = 0
    files_verified: int = 0
    entries_checked: int = 0
    databases: list[DatabaseCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    problems_total: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problems_total == 0 and all(p.ok for p in self.phases)

    @property
    def recovery_seconds(self) -> float:
        return sum(p.seconds for p in self.phases if p.name in RECOVERY_PHASES)

    @property
    def total_seconds(self) -> float:
        return sum(p.seconds for p in self.phases)

    def problem(self, message: str) -> None:
        self.problems_total += 1
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append(message)
