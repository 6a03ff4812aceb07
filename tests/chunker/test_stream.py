from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snapstore.chunker import Scanner, cut_points, seeded_gear_table
from snapstore.chunker.stream import iter_chunks
from tests.oracles import pseudo_random

DATA = pseudo_random(200_000, "stream") + bytes(9000)


@settings(max_examples=40, deadline=None)
@given(block=st.integers(1, 70_000), size=st.integers(0, len(DATA)))
def test_chunks_concatenate_to_the_stream_at_the_cut_points(block: int, size: int) -> None:
    data = DATA[:size]
    scanner = Scanner(64, 4096, 8192, normalization=1, gear=seeded_gear_table(0))
    chunks = list(iter_chunks(io.BytesIO(data).readinto, scanner, block))
    assert b"".join(chunks) == data
    ends, total = [], 0
    for chunk in chunks:
        total += len(chunk)
        ends.append(total)
    assert ends == (cut_points(data, 64, 4096, 8192) if data else [])


def test_chunk_longer_than_block() -> None:
    scanner = Scanner(64, 4096, 65536, normalization=1, gear=seeded_gear_table(0))
    chunks = list(iter_chunks(io.BytesIO(bytes(200_000)).readinto, scanner, 1000))
    assert [len(c) for c in chunks] == [65536, 65536, 65536, 200_000 - 3 * 65536]


def test_read_errors_propagate() -> None:
    def failing(_: memoryview) -> int:
        raise OSError(5, "Input/output error")

    scanner = Scanner(64, 4096, 8192, normalization=1, gear=seeded_gear_table(0))
    with pytest.raises(OSError):
        list(iter_chunks(failing, scanner))


class _WholeStream:
    """A scanner that cuts only at the end, whatever its max_size says: iter_chunks must still
    read, keep and yield every byte (its buffer grows instead of running out of room)."""

    max_size = 100

    def __init__(self) -> None:
        self.length = 0

    def feed(self, data: memoryview) -> list[int]:
        self.length += len(data)
        return []

    def finish(self) -> list[int]:
        return [self.length] if self.length else []


def test_scanner_holding_back_more_than_a_maximum_chunk_loses_nothing() -> None:
    data = pseudo_random(5000, "held back")
    assert list(iter_chunks(io.BytesIO(data).readinto, _WholeStream(), 7)) == [data]
