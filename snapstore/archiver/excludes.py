"""Which paths a backup leaves out: glob patterns (restic's rules), cache folders marked by a
CACHEDIR.TAG, and other file systems with --one-file-system."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from dataclasses import dataclass

CACHEDIR_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"


@dataclass(frozen=True)
class ExcludeRules:
    patterns: tuple[str, ...] = ()
    exclude_caches: bool = False

    @classmethod
    def from_sources(cls, patterns: Iterable[str], files: Iterable[str], caches: bool) -> ExcludeRules:
        collected = list(patterns)
        for path in files:
            with open(path, encoding="utf-8") as f:
                collected += [line.strip() for line in f if line.strip() and not line.startswith("#")]
        return cls(tuple(collected), caches)

    def excludes(self, path: str) -> bool:
        """A pattern without '/' matches any path component; with '/', the path from the root
        (a leading '/' optional) or any trailing part of it."""
        name = os.path.basename(path)
        for pattern in self.patterns:
            if "/" not in pattern.rstrip("/"):
                if fnmatch.fnmatchcase(name, pattern.rstrip("/")):
                    return True
            elif _matches_path(path, pattern.rstrip("/")):
                return True
        return False

    def is_tagged_cache(self, directory: str) -> bool:
        if not self.exclude_caches:
            return False
        try:
            with open(os.path.join(directory, "CACHEDIR.TAG"), "rb") as f:
                return f.read(len(CACHEDIR_SIGNATURE)) == CACHEDIR_SIGNATURE
        except OSError:
            return False


def _matches_path(path: str, pattern: str) -> bool:
    if pattern.startswith("/"):
        return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, pattern + "/*")
    parts = path.strip("/").split("/")
    depth = pattern.count("/") + 1
    return any(
        fnmatch.fnmatchcase("/".join(parts[i : i + depth]), pattern) for i in range(len(parts))
    )
