"""Blob compression with zstd (layer L0).

Vocabulary: a blob's *payload* is what gets encrypted: either the plaintext itself (compression
NONE) or its zstd frame (ZSTD). Incompressible data (media, archives, encrypted files) is detected
on a small sample and then only given zstd's fastest level (several GB/s), kept if it saves 1 %;
data whose full compression does not shrink it is stored as is too. Compressor objects are per
thread because zstd contexts are not thread-safe; zstd releases the GIL, so threads compress in
parallel.
"""

from __future__ import annotations

import threading

import zstandard

NONE = 0
ZSTD = 1
DEFAULT_LEVEL = 3
# A sample this large that zstd level 1 cannot shrink by 3% marks the whole blob incompressible.
SAMPLE_SIZE = 64 * 1024
SAMPLE_MIN_GAIN = 0.03
SMALL_BLOB = 2 * SAMPLE_SIZE
# What a blob whose sample looked incompressible is compressed with, and the gain that keeps it.
FAST_LEVEL = -1
FAST_MIN_GAIN = 0.01

_local = threading.local()


def _compressor(level: int) -> zstandard.ZstdCompressor:
    cache: dict[int, zstandard.ZstdCompressor] = _local.__dict__.setdefault("compressors", {})
    if level not in cache:
        cache[level] = zstandard.ZstdCompressor(level=level)
    return cache[level]


def _decompressor() -> zstandard.ZstdDecompressor:
    if not hasattr(_local, "decompressor"):
        _local.decompressor = zstandard.ZstdDecompressor()
    decompressor: zstandard.ZstdDecompressor = _local.decompressor
    return decompressor


def looks_incompressible(data: bytes | memoryview) -> bool:
    if len(data) < SMALL_BLOB:
        return False
    view = memoryview(data)
    middle = len(view) // 2
    sample = view[middle : middle + SAMPLE_SIZE]
    return len(_compressor(1).compress(sample)) > len(sample) * (1 - SAMPLE_MIN_GAIN)


def compress(data: bytes | memoryview, level: int = DEFAULT_LEVEL) -> tuple[bytes | memoryview, int]:
    """Return (payload, compression). level 0 turns compression off."""
    if level == 0 or len(data) == 0:
        return data, NONE
    if looks_incompressible(data):
        # Archives (wheels, jars, zips) hide a few percent of compressible bytes (names,
        # headers, directories) that no middle sample sees; zstd's fastest level finds most of
        # them at several GB/s (docs/benchmarks.md "Incompressible data").
        packed = _compressor(FAST_LEVEL).compress(data)
        if len(packed) <= len(data) * (1 - FAST_MIN_GAIN):
            return packed, ZSTD
        return data, NONE
    packed = _compressor(level).compress(data)
    if len(packed) >= len(data):
        return data, NONE
    return packed, ZSTD


def decompress(payload: bytes, compression: int, raw_length: int) -> bytes:
    if compression == NONE:
        return payload
    if compression != ZSTD:
        raise ValueError(f"unknown compression {compression}")
    return _decompressor().decompress(payload, max_output_size=raw_length)
