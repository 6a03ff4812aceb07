"""A quick walk that totals the bytes a backup will process, so progress can show an ETA. It runs
beside the backup (in a thread); its answer is an estimate and nothing depends on it."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable

from snapstore.archiver.excludes import ExcludeRules


def scan_total(
    paths: Iterable[str], rules: ExcludeRules, report: Callable[[int], None], every: int = 2000
) -> int:
    """Sum regular files' sizes below `paths`, calling `report(total)` every `every` files."""
    total = files = 0
    stack = [os.path.abspath(p) for p in paths]
    while stack:
        path = stack.pop()
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            total += st.st_size
            files += 1
            if files % every == 0:
                report(total)
        elif stat.S_ISDIR(st.st_mode) and not rules.is_tagged_cache(path):
            try:
                names = os.listdir(path)
            except OSError:
                continue
            stack += [p for p in (os.path.join(path, n) for n in names) if not rules.excludes(p)]
    report(total)
    return total
