"""The restore engine (layer L4).

Vocabulary: the *restorer* recreates a snapshot's entries under a *target* folder; a *path
filter* (--include/--exclude) selects entries by their path inside the snapshot; *holes* are
all-zero chunks that are skipped rather than written, so sparse files stay sparse; *verify*
rereads what was written and compares chunk ids with the snapshot.
"""

from snapstore.restorer.options import RestoreOptions, RestoreResult
from snapstore.restorer.pack_run import RestoreError
from snapstore.restorer.restorer import Restorer, RestoreSource

__all__ = ["RestoreError", "RestoreOptions", "RestoreResult", "RestoreSource", "Restorer"]
