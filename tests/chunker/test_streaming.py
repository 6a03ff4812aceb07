"""Streaming: cut points do not depend on how the input is split, any buffer type is accepted
without copying, and the twin agrees with the compiled scanner on arbitrary input."""

from __future__ import annotations

import array
import mmap
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from snapstore.chunker import pure, standard_gear_table
from snapstore.chunker._fastcdc import Scanner as NativeScanner
from tests.chunker.conftest import scan_all
from tests.oracles import pseudo_random

SMALL = (64, 256, 1024)
DATA = pseudo_random(300_000, "streaming") + bytes(5000) + pseudo_random(20_001, "tail")


def make(scanner_cls: Any, sizes: tuple[int, int, int] = SMALL, level: int = 1) -> Any:
    return scanner_cls(*sizes, normalization=level, gear=standard_gear_table())


def feed_in_pieces(scanner: Any, data: bytes, splits: list[int]) -> list[int]:
    cuts: list[int] = []
    bounds = sorted({0, len(data), *(s % (len(data) + 1) for s in splits)})
    for start, end in zip(bounds, bounds[1:]):
        cuts += scanner.feed(data[start:end])
    return cuts + scanner.finish()


@settings(max_examples=40, deadline=None)
@given(splits=st.lists(st.integers(min_value=0, max_value=len(DATA)), max_size=60))
def test_split_points_do_not_change_cuts(splits: list[int]) -> None:
    for scanner_cls in (NativeScanner, pure.Scanner):
        whole = scan_all(make(scanner_cls), DATA)
        assert feed_in_pieces(make(scanner_cls), DATA, splits) == whole


def test_byte_by_byte_feeding(scanner_cls: Any) -> None:
    data = DATA[:40_000]
    scanner = make(scanner_cls)
    cuts: list[int] = []
    for i in range(len(data)):
        cuts += scanner.feed(data[i : i + 1])
    assert cuts + scanner.finish() == scan_all(make(scanner_cls), data)


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=6000) | st.builds(bytes, st.integers(0, 5000)),
    level=st.integers(0, 3),
    min_size=st.integers(64, 300),
    extra=st.integers(0, 700),
    splits=st.lists(st.integers(min_value=0, max_value=6000), max_size=8),
)
def test_twin_matches_native(
    data: bytes, level: int, min_size: int, extra: int, splits: list[int]
) -> None:
    sizes = (min_size, 256 + extra, 1024 + 2 * extra + (extra % 2))
    sizes = (min(sizes[0], sizes[1]), sizes[1], sizes[2])
    native = feed_in_pieces(make(NativeScanner, sizes, level), data, splits)
    assert native == scan_all(make(pure.Scanner, sizes, level), data)
    assert all(b - a <= sizes[2] for a, b in zip([0, *native], native))
    assert native == [] if not data else native[-1] == len(data)


def test_all_zeros_cut_at_max(scanner_cls: Any) -> None:
    assert scan_all(make(scanner_cls), bytes(10_240)) == list(range(1024, 10_241, 1024))


def test_empty_input_has_no_chunks(scanner_cls: Any) -> None:
    scanner = make(scanner_cls)
    assert scanner.feed(b"") == []
    assert scanner.finish() == []


def test_input_shorter_than_minimum_is_one_chunk(scanner_cls: Any) -> None:
    assert scan_all(make(scanner_cls), b"x" * 10) == [10]


def test_finish_resets_for_a_new_stream(scanner_cls: Any) -> None:
    scanner = make(scanner_cls)
    first = scan_all(scanner, DATA)
    assert scanner.offset == 0
    assert scan_all(scanner, DATA) == first


def test_offset_counts_consumed_bytes(scanner_cls: Any) -> None:
    scanner = make(scanner_cls)
    scanner.feed(DATA[:1001])
    scanner.feed(DATA[1001:5000])
    assert scanner.offset == 5000


def test_accepts_every_buffer_type(scanner_cls: Any, tmp_path: Path) -> None:
    data = DATA[:65_536]
    expected = scan_all(make(scanner_cls), data)
    path = tmp_path / "data"
    path.write_bytes(data)
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        assert scan_all(make(scanner_cls), mapped) == expected
    words = array.array("Q")
    words.frombytes(data)
    for buffer in (bytearray(data), memoryview(data), memoryview(bytearray(data)), words):
        assert scan_all(make(scanner_cls), buffer) == expected
    assert scan_all(make(scanner_cls), memoryview(data).cast("B", (256, 256))) == expected


def test_parameters_are_exposed(scanner_cls: Any) -> None:
    scanner = scanner_cls(100, 1000, 5000, normalization=2, gear=standard_gear_table())
    assert (scanner.min_size, scanner.avg_size, scanner.max_size) == (100, 1000, 5000)
    assert scanner.normalization == 2
    assert tuple(scanner.gear) == standard_gear_table()
