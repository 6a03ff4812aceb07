"""Fixtures of the index tests: a sealer under a random key, and synthetic index entries."""

from __future__ import annotations

import os

import pytest

from snapstore.crypto import Sealer
from snapstore.index import IndexEntry


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(os.urandom(32))


def make_id(tag: str, n: int) -> bytes:
    """A distinct 32-byte id, readable in failure output: tag, then n."""
    return tag.encode().ljust(28, b"-") + n.to_bytes(4, "big")


def make_entries(pack: int, count: int, first_blob: int = 0, size: int = 100) -> list[IndexEntry]:
    """`count` consecutive blobs of `size` bytes in pack number `pack`."""
    return [
        IndexEntry(
            blob_id=make_id("blob", first_blob + n),
            blob_type=n % 2,
            pack_id=make_id("pack", pack),
            offset=n * size,
            length=size,
            raw_length=size * 2 + n,
            compression=(n // 2) % 2,
        )
        for n in range(count)
    ]
