from __future__ import annotations

import os
import threading

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from snapstore.compression import NONE, ZSTD, compress, decompress, looks_incompressible


@settings(max_examples=50, deadline=None)
@given(data=st.binary(max_size=5000) | st.builds(lambda n: b"abc" * n, st.integers(0, 50000)))
def test_round_trip(data: bytes) -> None:
    payload, kind = compress(data)
    assert decompress(bytes(payload), kind, len(data)) == data


def test_text_is_compressed_random_is_not() -> None:
    text = b"".join(b"line %d of a log file\n" % i for i in range(50000))
    payload, kind = compress(text)
    assert kind == ZSTD and len(payload) < len(text) / 3
    noise = os.urandom(1 << 20)
    assert looks_incompressible(noise)
    payload, kind = compress(noise)
    assert kind == NONE and payload is noise


def test_archive_like_blob_keeps_the_few_compressible_bytes_a_sample_misses() -> None:
    """Random data with a readable stretch away from the middle (a zip's names and directory):
    the middle sample looks incompressible, the fast whole-blob pass still finds the stretch."""
    noise = bytearray(os.urandom(1 << 20))
    noise[: 64 << 10] = b"META-INF/MANIFEST.MF site-packages/pkg/module.py\n" * 1337
    blob = bytes(noise)
    assert looks_incompressible(blob)
    payload, kind = compress(blob)
    assert kind == ZSTD and len(payload) < len(blob) - (60 << 10)
    assert decompress(bytes(payload), kind, len(blob)) == blob


def test_small_incompressible_blob_is_stored_raw() -> None:
    noise = os.urandom(1000)
    assert compress(noise)[1] == NONE


def test_level_zero_disables_compression() -> None:
    assert compress(b"a" * 10000, level=0)[1] == NONE


def test_corrupt_frame_or_unknown_kind_raises() -> None:
    payload, kind = compress(b"a" * 10000)
    with pytest.raises(zstandard.ZstdError):
        decompress(bytes(payload)[:-3], kind, 10000)
    with pytest.raises(ValueError):
        decompress(b"x", 9, 1)


def test_threads_compress_independently() -> None:
    results: list[bool] = []

    def work(seed: int) -> None:
        data = b"".join(b"%d-%d\n" % (seed, i) for i in range(100000))
        payload, kind = compress(data)
        results.append(decompress(bytes(payload), kind, len(data)) == data)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 4
