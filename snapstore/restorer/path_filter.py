"""--include and --exclude for restore: glob patterns over the path inside the snapshot
(starting with '/'). A pattern matches a path, or any folder above it."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass


def _matches(path: str, pattern: str) -> bool:
    pattern = pattern.rstrip("/") or "/"
    if "/" not in pattern:
        return any(fnmatch.fnmatchcase(part, pattern) for part in path.strip("/").split("/"))
    if not pattern.startswith("/"):
        pattern = "/" + pattern
    parts = path.split("/")
    return any(fnmatch.fnmatchcase("/".join(parts[:i]) or "/", pattern) for i in range(2, len(parts) + 1))


@dataclass(frozen=True)
class PathFilter:
    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        return not self.includes and not self.excludes

    def selects(self, path: str) -> bool:
        """Restore this entry (and, for a folder, everything below it)?"""
        if any(_matches(path, p) for p in self.excludes):
            return False
        return not self.includes or any(_matches(path, p) for p in self.includes)

    def may_contain_selected(self, folder: str) -> bool:
        """Could something below `folder` be selected, so it is worth descending?"""
        if any(_matches(folder, p) for p in self.excludes):
            return False
        if not self.includes:
            return True
        for pattern in self.includes:
            if _matches(folder, pattern):
                return True
            anchored = pattern if pattern.startswith("/") else None
            if anchored is None or anchored.startswith(folder.rstrip("/") + "/"):
                return True
        return False
