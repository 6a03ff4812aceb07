"""Fixtures of the pack tests: a sealer under a random key, and a pack built from given blobs."""

from __future__ import annotations

import os

import pytest

from snapstore.crypto import Sealer
from snapstore.pack import FinishedPack, PackWriter


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(os.urandom(32))


def blob_id(n: int) -> bytes:
    """A distinct, readable 32-byte id for blob number `n`."""
    return n.to_bytes(4, "big") * 8


def build_pack(sealer: Sealer, sizes: list[int]) -> FinishedPack:
    """A pack of blobs of the given envelope sizes, alternating types and compressions."""
    writer = PackWriter()
    for n, size in enumerate(sizes):
        writer.add(n % 2, blob_id(n), bytes([n % 251]) * size, size * 3, (n // 2) % 2)
    return writer.finish(sealer)
