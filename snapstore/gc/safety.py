"""The safety margins of garbage collection (docs/design.md §6.3), as named constants.

A pack found unneeded is first *marked* (trash marker, removed from the index) and deleted only
by a later prune, when both hold:
- at least `GRACE_PERIOD` has passed since the mark (by the pruning host's clock), and
- no live lock (a backup, or any other operation) was created before the mark plus
  `CLOCK_SKEW`: such an operation may have read the old index and may still refer to the pack.
A backup that refers to a pack that has left the index re-indexes it before saving its snapshot
(the pack is still there: it cannot be deleted while the backup's lock lives), and the next prune
takes the pack out of the trash because a snapshot uses it.
"""

from __future__ import annotations

from datetime import timedelta

from snapstore.repository.locks import CLOCK_SKEW, STALE_AFTER

GRACE_PERIOD = timedelta(hours=1)
DEFAULT_MAX_UNUSED = 0.05

__all__ = ["CLOCK_SKEW", "DEFAULT_MAX_UNUSED", "GRACE_PERIOD", "STALE_AFTER"]
