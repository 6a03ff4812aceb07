"""Restore drills (layer L4): prove that a snapshot can be brought back, and how long it takes.

Vocabulary: a *drill* restores one snapshot into a *scratch folder*, then *verifies* every
restored file (its content cut again and re-hashed with the repository's keyed hash must give
the snapshot's chunk ids; its kind, size, mode, times, link target, `user.*` extended
attributes and, as root, owner and every extended attribute must match the snapshot), runs the *database checks* that fit what was restored (SQLite's
`PRAGMA integrity_check` on every file with the SQLite header; a PostgreSQL dump under
`/db/postgresql/` restored into a *scratch database* on a server the user names, then
dropped), and *cleans up*. Each *phase* is timed; restore + verify + database checks is the
*recovery time* users are asked to report. The engine returns a `DrillReport` and never
prints.
"""

from snapstore.drill.drill import run_drill
from snapstore.drill.report import DatabaseCheck, DrillOptions, DrillReport, Phase

__all__ = ["DatabaseCheck", "DrillOptions", "DrillReport", "Phase", "run_drill"]
