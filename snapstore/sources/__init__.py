"""Stream sources (layer L4): what `snap backup --stdin`, `--stdin-from-command` and `--db`
store as files of a snapshot.

Vocabulary: a *stream file* is one file of a snapshot whose content comes from a stream rather
than from a path: standard input, the standard output of a command, or a *dump* of a database.
Each source knows its *snapshot path* (where the file goes), the *tags* it gives the snapshot,
and opens a reader; a producer that fails (non-zero exit, read error) raises `StreamError` with
the tail of its standard error, so that no snapshot is saved. A *database URL* names a database
and its kind (`sqlite:`, `postgresql:`, `mysql:`, `redis:`); `database_source` turns it into a
source. Layout of snapshot paths: docs in README ("Databases and streams").
"""

from snapstore.sources.command import CommandSource
from snapstore.sources.database_url import database_source
from snapstore.sources.stdin import StdinSource
from snapstore.sources.stream_file import StreamFile
from snapstore.sources.url_parts import DumpSettings, redact_url

__all__ = [
    "CommandSource",
    "DumpSettings",
    "StdinSource",
    "StreamFile",
    "database_source",
    "redact_url",
]
