"""The repository config: format version, repository id, chunker and storage parameters
(docs/design.md §2). Stored sealed under the name `config`; fixed at `snap init`."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from snapstore.crypto import ContentKeys
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


def stream_chunker() -> ChunkerParams:
    """Streams (--stdin, --stdin-from-command, --db) are mostly database dumps, whose changes
    are rows scattered over the whole dump: chunks of 1 MiB almost all change between two
    dumps, chunks of 32 KiB mostly do not (docs/benchmarks.md "Database dumps")."""
    return ChunkerParams(min_size=8 * 1024, avg_size=32 * 1024, max_size=128 * 1024)


@dataclass(frozen=True)
class RepositoryConfig:
    id: str = field(default_factory=lambda: os.urandom(32).hex())
    version: int = FORMAT_VERSION
    chunker: ChunkerParams = field(default_factory=ChunkerParams)
    stream_chunker: ChunkerParams = field(default_factory=stream_chunker)
    compression_level: int = 3
    pack_size: int = 16 * MiB  # as restic; a larger pack raises peak memory (docs/benchmarks.md)
    # Hex id key and chunker key adopted from another repository (`snap init --from-repo`,
    # docs/design.md §3.4); absent (None) when they derive from this repository's master key.
    shared_id_key: str | None = field(default=None, repr=False)
    shared_chunker_key: str | None = field(default=None, repr=False)

    def encode(self) -> bytes:
        document = {k: v for k, v in asdict(self).items() if v is not None}
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()

    def adopting(self, source: RepositoryConfig, keys: ContentKeys) -> RepositoryConfig:
        """This config with another repository's chunker parameters (both sets) and content
        keys: the two then cut and name any data alike."""
        return replace(
            self, chunker=source.chunker, stream_chunker=source.stream_chunker,
            shared_id_key=keys.id_key.hex(), shared_chunker_key=keys.chunker_key.hex(),
        )  # fmt: skip

    def content_keys(self) -> ContentKeys | None:
        if self.shared_id_key is None or self.shared_chunker_key is None:
            return None
        return ContentKeys(bytes.fromhex(self.shared_id_key), bytes.fromhex(self.shared_chunker_key))

    def public(self) -> dict[str, Any]:
        """The config as shown to users (`snap cat config`): adopted keys are redacted."""
        document: dict[str, Any] = json.loads(self.encode())
        for name in ("shared_id_key", "shared_chunker_key"):
            if name in document:
                document[name] = "<secret>"
        return document

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
                stream_chunker=ChunkerParams(**document.get("stream_chunker", asdict(stream_chunker()))),
                compression_level=int(document["compression_level"]),
                pack_size=int(document["pack_size"]),
                shared_id_key=_optional_key(document.get("shared_id_key")),
                shared_chunker_key=_optional_key(document.get("shared_chunker_key")),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise IntegrityError(f"repository config is damaged: {exc}") from None


def _optional_key(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 64 or bytes.fromhex(value).hex() != value:
        raise ValueError("a shared key must be 64 lowercase hex digits")
    return value
