"""Gear tables: the 256 64-bit values that drive the rolling hash.

- The *standard* table is FastCDC's public one (entry i: the first 8 bytes, big-endian, of MD5 of
  the byte i repeated 64 times). With a *seed* it is XORed into every entry, as fastcdc-rs and
  pyfastcdc do; used for compatibility and tests.
- A repository uses a *keyed* table derived from a secret chunker key, so that someone without the
  key cannot predict chunk boundaries (and so cannot learn file sizes or contents from them).
  Changing `KEYED_GEAR_CONTEXT` or the derivation changes every chunk boundary of every
  repository: `tests/chunker/golden/keyed_cuts.json` freezes it.
"""

from __future__ import annotations

import functools
import hashlib

import blake3

from snapstore.chunker.limits import GEAR_ENTRIES, U64

KEYED_GEAR_CONTEXT = "snapstore 2026-11-21 FastCDC gear table v1"
CHUNKER_KEY_SIZE = 32


@functools.cache
def standard_gear_table() -> tuple[int, ...]:
    return tuple(
        int.from_bytes(hashlib.md5(bytes([i]) * 64).digest()[:8], "big") for i in range(GEAR_ENTRIES)
    )


@functools.lru_cache(maxsize=16)
def seeded_gear_table(seed: int) -> tuple[int, ...]:
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError("seed must be an integer")
    if not 0 <= seed <= U64:
        raise ValueError("seed must be in range 0..2**64-1")
    return tuple(entry ^ seed for entry in standard_gear_table())


def keyed_gear_table(chunker_key: bytes) -> tuple[int, ...]:
    """Derive a repository's gear table from its 32-byte secret chunker key (BLAKE3 in key
    derivation mode, extended output of 2048 bytes read as 256 little-endian u64)."""
    if not isinstance(chunker_key, (bytes, bytearray, memoryview)):
        raise TypeError("chunker key must be bytes")
    if len(chunker_key) != CHUNKER_KEY_SIZE:
        raise ValueError(f"chunker key must be {CHUNKER_KEY_SIZE} bytes (got {len(chunker_key)})")
    stream = blake3.blake3(bytes(chunker_key), derive_key_context=KEYED_GEAR_CONTEXT).digest(
        length=8 * GEAR_ENTRIES
    )
    return tuple(int.from_bytes(stream[i : i + 8], "little") for i in range(0, len(stream), 8))
