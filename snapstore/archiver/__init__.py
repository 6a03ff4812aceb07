"""The backup engine (layer L4).

Vocabulary: the *archiver* walks the *paths* of a backup, compares each entry with the *parent*
snapshot (unchanged files, by size, mtime, ctime and inode, are not read again), stores new data
and trees through a `BlobSaver`, and records a *snapshot*. *Exclude rules* leave paths out.
*Counters* are the running totals that become the snapshot's summary.
"""

from snapstore.archiver.archiver import Archiver, BackupTarget
from snapstore.archiver.excludes import ExcludeRules
from snapstore.archiver.options import BackupOptions, BackupResult, Counters

__all__ = ["Archiver", "BackupOptions", "BackupResult", "BackupTarget", "Counters", "ExcludeRules"]
