"""Garbage collection (layer L4).

Vocabulary: *used* blobs are those the snapshots refer to (found by *marking*, walking their
trees); *garbage* is everything else in packs. A pack with no used blob is *marked*: put in the
*trash* (a marker object) and taken out of the index; a pack with some garbage is *repacked*
(used blobs copied to new packs) and then marked too. Marked packs are deleted by a later prune,
after a *grace period* and once no operation that started before the mark is still running. See
`safety.py` and docs/design.md §6.3.
"""

from snapstore.gc.prune import PruneError, PruneOptions, PruneReport, prune

__all__ = ["PruneError", "PruneOptions", "PruneReport", "prune"]
