"""The master key and the subkeys derived from it (docs/design.md §3.1)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, replace

import blake3

MASTER_KEY_SIZE = 32
# BLAKE3 key-derivation contexts: globally unique, hard-coded, never reused for another purpose.
ID_KEY_CONTEXT = "snapstore 2026-11-21 blob id key v1"
CHUNKER_KEY_CONTEXT = "snapstore 2026-11-21 chunker key v1"
ENCRYPTION_KEY_CONTEXT = "snapstore 2026-11-21 encryption key v1"


def derive_subkey(secret: bytes, context: str) -> bytes:
    return blake3.blake3(secret, derive_key_context=context).digest()


def keyed_blob_id(id_key: bytes, plaintext: bytes | memoryview) -> bytes:
    """Keyed BLAKE3-256 of a blob's plaintext: the storage never learns content hashes."""
    return blake3.blake3(plaintext, key=id_key, max_threads=1).digest()


@dataclass(frozen=True)
class ContentKeys:
    """The id key and chunker key of another repository, adopted by one created with
    `snap init --from-repo` (docs/design.md §3.4): both then name and cut data alike, while
    each keeps its own encryption key."""

    id_key: bytes
    chunker_key: bytes

    def __post_init__(self) -> None:
        if len(self.id_key) != MASTER_KEY_SIZE or len(self.chunker_key) != MASTER_KEY_SIZE:
            raise ValueError(f"content keys must be {MASTER_KEY_SIZE} bytes each")

    def __repr__(self) -> str:
        return "ContentKeys(<secret>)"


@dataclass(frozen=True)
class MasterKey:
    """A repository's random 32-byte secret. `repr` never shows it."""

    secret: bytes
    shared: ContentKeys | None = None  # used instead of the derived id and chunker keys

    def __post_init__(self) -> None:
        if len(self.secret) != MASTER_KEY_SIZE:
            raise ValueError(f"master key must be {MASTER_KEY_SIZE} bytes")

    def __repr__(self) -> str:
        return "MasterKey(<secret>)"

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(os.urandom(MASTER_KEY_SIZE))

    def with_content_keys(self, shared: ContentKeys | None) -> MasterKey:
        return replace(self, shared=shared)

    @property
    def content_keys(self) -> ContentKeys:
        return ContentKeys(self.id_key, self.chunker_key)

    @functools.cached_property
    def id_key(self) -> bytes:
        return self.shared.id_key if self.shared else derive_subkey(self.secret, ID_KEY_CONTEXT)

    @functools.cached_property
    def chunker_key(self) -> bytes:
        if self.shared:
            return self.shared.chunker_key
        return derive_subkey(self.secret, CHUNKER_KEY_CONTEXT)

    @functools.cached_property
    def encryption_key(self) -> bytes:
        return derive_subkey(self.secret, ENCRYPTION_KEY_CONTEXT)

    def blob_id(self, plaintext: bytes | memoryview) -> bytes:
        return keyed_blob_id(self.id_key, plaintext)
