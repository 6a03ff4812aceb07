"""Storage backends (layer L1): where a repository's bytes live.

Vocabulary: a *backend* is a dumb key/value store (local disk or NAS mount, S3, memory). It holds
*objects*: opaque, immutable byte strings, saved whole and read whole or by range. Each object
has a *name*, a relative slash-separated string such as `config`, `keys/<hex>` or
`data/ab/<hex>`; a name prefix followed by '/' acts as a *folder* for `list`. `ObjectInfo` is what
`stat` and `list` report: the name and the size in bytes. Which names exist and how they are
sharded is decided by the repository layer, never here.

`Backend` is the protocol; the conformance suite in tests/backend runs against every
implementation. Optional backends with heavy dependencies (S3: boto3, in the `s3` package) are
not imported here. *Wrappers* add a behaviour to any backend: `retrying` (transient failures
tried again with backoff), `counting` (one request counted per call), `faulty` (injected faults,
for tests). Every backend `location.open_backend` returns counts its *requests* by kind (PUT,
GET, HEAD, LIST, DELETE) and bytes moved (`request_counter`).
"""

from __future__ import annotations

from snapstore.backend.base import (
    Backend, FileSaver, ObjectData, ObjectInfo, validate_name, waits_round_trips,
)  # fmt: skip
from snapstore.backend.local import LocalBackend
from snapstore.backend.memory import MemoryBackend

__all__ = [
    "Backend",
    "FileSaver",
    "LocalBackend",
    "MemoryBackend",
    "ObjectData",
    "ObjectInfo",
    "validate_name",
    "waits_round_trips",
]
