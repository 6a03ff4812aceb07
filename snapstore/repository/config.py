"""The repository config: format version, repository id, chunker and storage parameters
(docs/design.md §2). Stored sealed under the name `config`; fixed at `snap init`."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from snapstore.errors import IntegrityError

FORMAT_VERSION = 1
MiB = 1 << 20


@dataclass(frozen=True)
class ChunkerParams:
    """Defaults: average 1 MiB (min 256 KiB, max 4 MiB), normalization 1; why, in
    docs/benchmarks.md "Chunk size default". restic uses 512 KiB / 1 MiB / 8 MiB."""

    min_size: int = 256 * 1024
    avg_size: int = 1 * MiB
    max_size: int = 4 * MiB
    normalization: int = 1


@dataclass(frozen=True)
class RepositoryConfig:
    id: str = field(default_factory=lambda: os.urandom(32).hex())
    version: int = FORMAT_VERSION
    chunker: ChunkerParams = field(default_factory=ChunkerParams)
    compression_level: int = 3
    pack_size: int = 32 * MiB

    def encode(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, data: bytes) -> RepositoryConfig:
        try:
            document: dict[str, Any] = json.loads(data)
            if document["version"] != FORMAT_VERSION:
                raise IntegrityError(
                    f"repository format version {document['version']} is not supported by this "
                    f"snapstore (it reads version {FORMAT_VERSION})"
                )
            return cls(
                id=str(document["id"]),
                version=int(document["version"]),
                chunker=ChunkerParams(**document["chunker"]),
                compression_level=int(document["compression_level"]),
                pack_size=int(document["pack_size"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise IntegrityError(f"repository config is damaged: {exc}") from None
