"""Configuration problems: each names the file, the line and the key it is about."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from snapstore.errors import InputError
from snapstore.profiles.key_lines import Path as KeyPath


@dataclass(frozen=True)
class Problem:
    path: KeyPath  # where in the document, e.g. ("profiles", "web", "retention", "keep-daly")
    message: str


@dataclass(frozen=True)
class LocatedProblem:
    file: Path
    line: int | None
    key: str  # dotted, e.g. profiles.web.retention.keep-daly
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


def dotted(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class ConfigError(InputError):
    """The configuration file cannot be used; `problems` lists every one found."""

    def __init__(self, message: str, problems: tuple[LocatedProblem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems

    @classmethod
    def of(cls, problems: list[LocatedProblem]) -> ConfigError:
        more = len(problems) - 1
        tail = f" (and {more} more problem{'s' if more > 1 else ''}: see snap config validate)"
        return cls(str(problems[0]) + (tail if more else ""), tuple(problems))
