"""What a check is asked to do, and what it found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from snapstore.checker.subset import ReadSubset


@dataclass(frozen=True)
class CheckOptions:
    read_data: bool = False
    subset: ReadSubset | None = None  # only with read_data; None reads every pack
    seed: int = 0  # for a percentage subset; the caller picks it (time) and reports it


@dataclass
class Problem:
    """One finding: `kind` is a short category (`pack-missing`, `tree`, ...), `message` one line
    that names the objects involved, `fields` the same objects for machines (pack, blob,
    snapshot, path, index_file, and `snapshots` for a tree several snapshots share)."""

    kind: str
    message: str
    fields: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, **self.fields}


@dataclass
class CheckReport:
    errors: list[Problem] = field(default_factory=list)
    info: list[Problem] = field(default_factory=list)
    index_files: int = 0  # decoded without error
    snapshots: int = 0  # loaded without error
    trees: int = 0  # distinct tree blobs loaded and decoded
    data_blobs: int = 0  # distinct data blobs referenced by files
    packs: int = 0  # indexed packs found on the backend
    packs_read: int = 0  # with read_data
    blobs_read: int = 0  # with read_data: opened and verified
    bytes_read: int = 0  # with read_data: pack bytes downloaded

    def error(self, kind: str, message: str, **fields: Any) -> Problem:
        problem = Problem(kind, message, fields)
        self.errors.append(problem)
        return problem

    def note(self, kind: str, message: str, **fields: Any) -> None:
        self.info.append(Problem(kind, message, fields))

    def counts(self) -> dict[str, int]:
        names = ("index_files", "snapshots", "trees", "data_blobs", "packs", "packs_read",
                 "blobs_read", "bytes_read")  # fmt: skip
        return {name: getattr(self, name) for name in names}
