"""Agreement with pyfastcdc, an independent FastCDC 2020 implementation, on random and real data.

The compiled scanner is checked on more than 100 MiB per parameter set; the pure-Python twin (a few
MB/s) on a prefix of the same data."""

from __future__ import annotations

import functools
from typing import Any

import pyfastcdc
import pytest

from snapstore.chunker import cut_points, seeded_gear_table
from tests.chunker.conftest import scan_all
from tests.oracles import pseudo_random, real_corpus

MiB = 1 << 20
# (min, avg, max, normalization, seed): small, odd, typical and repository-sized parameters.
GRID = [
    (64, 256, 1024, 1, 0),
    (65, 300, 1031, 3, 0),
    (2048, 8192, 65535, 0, 12345),
    (4096, 16384, 65536, 2, 0),
    (16384, 65536, 262144, 1, 666),
    (262144, 1 << 20, 4 << 20, 1, 0),
    (524288, 2 << 20, 8 << 20, 2, 0),
    (1 << 20, 4 << 20, 16 << 20, 3, 2**63 - 25),  # pyfastcdc takes 63-bit seeds,
]


@functools.cache
def corpus() -> bytes:
    return pseudo_random(72 * MiB, "pyfastcdc agreement") + real_corpus(40 * MiB)


def pyfastcdc_ends(data: bytes, params: tuple[int, int, int, int, int]) -> list[int]:
    min_size, avg, max_size, level, seed = params
    chunker = pyfastcdc.FastCDC(
        avg, min_size=min_size, max_size=max_size, normalized_chunking=level, seed=seed
    )
    return [c.offset + c.length for c in chunker.cut_buf(data)]


def test_corpus_is_large_enough() -> None:
    assert len(corpus()) >= 100 * MiB


@pytest.mark.parametrize("params", GRID, ids=str)
def test_native_agrees_with_pyfastcdc(params: tuple[int, int, int, int, int]) -> None:
    data = corpus()
    min_size, avg, max_size, level, seed = params
    assert cut_points(data, min_size, avg, max_size, level, seed) == pyfastcdc_ends(data, params)


@pytest.mark.parametrize("params", GRID[:5], ids=str)
def test_twin_agrees_with_pyfastcdc(scanner_cls: Any, params: tuple[int, int, int, int, int]) -> None:
    data = corpus()
    sample = data[: 1 * MiB] + data[-MiB // 2 :]
    min_size, avg, max_size, level, seed = params
    scanner = scanner_cls(
        min_size, avg, max_size, normalization=level, gear=seeded_gear_table(seed)
    )
    assert scan_all(scanner, sample) == pyfastcdc_ends(sample, params)
