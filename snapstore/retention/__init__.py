"""The retention engine (layer L4): which snapshots a ``forget`` keeps, with restic's semantics.

Vocabulary: a *candidate* is what retention knows of one snapshot (id, time with its own UTC
offset, tags, hostname, paths); a *group* is the candidates that share the grouped fields (by
default host and paths) and a *policy* is applied to each group on its own. A *bucket* is the
calendar hour, day, ISO week, month or year of a snapshot time; a *count rule* (``last``,
``hourly`` ... ``yearly``) keeps the newest snapshot of each of its next n buckets, a *window
rule* (``within``, ``within_hourly`` ...) keeps snapshots (one per bucket) newer than a
*duration* counted back from the newest snapshot, and a *tag rule* keeps snapshots by tags. The
*decision* lists the kept snapshots with their *reasons* and the removed ones, newest first.

Pure functions only: no I/O, no clock (the caller passes times), no printing.
"""

from snapstore.retention.candidate import Candidate, newest_first
from snapstore.retention.duration import Duration, parse_duration
from snapstore.retention.engine import Decision, Kept, apply_policy
from snapstore.retention.grouping import (
    DEFAULT_GROUP_BY,
    GroupKey,
    group_snapshots,
    normalize_group_by,
)
from snapstore.retention.policy import UNLIMITED, Policy

__all__ = [
    "DEFAULT_GROUP_BY",
    "UNLIMITED",
    "Candidate",
    "Decision",
    "Duration",
    "GroupKey",
    "Kept",
    "Policy",
    "apply_policy",
    "group_snapshots",
    "newest_first",
    "normalize_group_by",
    "parse_duration",
]
