"""Copying snapshots between repositories (layer L4), the engine of `snap copy`.

Vocabulary: the *source* is read, the *target* receives. A copied snapshot records its
*original* (the id of the first snapshot of a chain of copies), so a snapshot whose original is
already in the target is *skipped*. When both repositories share their *content keys* and
chunker parameters (`snap init --from-repo`), blobs are copied *by id*; otherwise file contents
are *re-chunked*: streamed through the target's chunker and named with the target's id key, and
trees are rewritten bottom-up with the new ids. A *reference* is an earlier copy of a related
snapshot: unchanged files take their new chunk ids from it instead of being read again.
"""

from snapstore.copier.copier import Copier, CopySource, CopyTarget
from snapstore.copier.options import CopyCounters, CopyOptions, CopyResult

__all__ = ["Copier", "CopyCounters", "CopyOptions", "CopyResult", "CopySource", "CopyTarget"]
