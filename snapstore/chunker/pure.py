"""Pure-Python twin of the compiled FastCDC 2020 scanner (`native/fastcdc.c`).

Same constructor, methods, attributes and errors as `snapstore.chunker._fastcdc.Scanner`. It is
the oracle the tests hold the C code to, and the implementation selected by
`SNAPSTORE_PURE_PYTHON=1`; it runs at a few MB/s, so it is never a silent fallback.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from snapstore.chunker.limits import (
    AVG_SIZE_RANGE,
    GEAR_ENTRIES,
    MASKS,
    MAX_SIZE_RANGE,
    MIN_SIZE_RANGE,
    NORMALIZATION_RANGE,
    U64,
)


def _check_int(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer")
    return value


def _check_range(name: str, value: int, bounds: tuple[int, int]) -> None:
    lower, upper = bounds
    if not lower <= value <= upper:
        raise ValueError(f"{name} must be within {lower}..{upper} (got {value})")


def _load_gear(gear: object) -> tuple[int, ...]:
    if isinstance(gear, (str, bytes)) or not isinstance(gear, Sequence):
        raise TypeError("gear must be a sequence of 256 integers")
    if len(gear) != GEAR_ENTRIES:
        raise ValueError(f"gear table must have 256 entries (got {len(gear)})")
    for entry in gear:
        if not isinstance(entry, int):
            raise TypeError("gear table entries must be integers")
        if not 0 <= entry <= U64:
            raise ValueError("gear table entries must be in range 0..2**64-1")
    return tuple(gear)


class Scanner:
    """Streaming FastCDC 2020 cut-point scanner (pure Python)."""

    def __init__(
        self, min_size: int, avg_size: int, max_size: int, *, normalization: int, gear: Sequence[int]
    ) -> None:
        for name, value in (("min_size", min_size), ("avg_size", avg_size), ("max_size", max_size)):
            _check_int(name, value)
        _check_int("normalization", normalization)
        _check_range("min_size", min_size, MIN_SIZE_RANGE)
        _check_range("avg_size", avg_size, AVG_SIZE_RANGE)
        _check_range("max_size", max_size, MAX_SIZE_RANGE)
        _check_range("normalization", normalization, NORMALIZATION_RANGE)
        if not min_size <= avg_size <= max_size:
            raise ValueError(
                "sizes must satisfy min_size <= avg_size <= max_size "
                f"(got {min_size}, {avg_size}, {max_size})"
            )
        self._gear = _load_gear(gear)
        self._gear_ls = tuple((g << 1) & U64 for g in self._gear)
        bits = round(math.log2(avg_size))
        self._mask_s = MASKS[bits + normalization]
        self._mask_l = MASKS[bits - normalization]
        self.min_size = min_size
        self.avg_size = avg_size
        self.max_size = max_size
        self.normalization = normalization
        # Chunk positions, as in the C code: first hashed byte, start of the loose mask, end of
        # the last pair; all even because the hash advances two bytes per step.
        self._skip_end = min_size // 2 * 2
        self._small_end = avg_size // 2 * 2
        self._pair_end = max_size // 2 * 2
        self._reset()

    def _reset(self) -> None:
        self._cursor = 0
        self._chunk_start = 0
        self._hash = 0
        self._pending: int | None = None

    @property
    def offset(self) -> int:
        return self._cursor

    @property
    def masks(self) -> tuple[int, int]:
        return (self._mask_s, self._mask_l)

    @property
    def gear(self) -> tuple[int, ...]:
        return self._gear

    def feed(self, data: object) -> list[int]:
        """Scan the next bytes of the stream; return the stream offsets of the chunk ends found."""
        try:
            view = memoryview(data)  # type: ignore[arg-type]
        except TypeError:
            view = None
        if view is None or not view.c_contiguous:
            raise TypeError(
                "feed() needs a C-contiguous buffer such as bytes, bytearray, memoryview or "
                f"mmap, not {type(data).__name__}"
            )
        raw = view.cast("B") if view.format != "B" or view.ndim != 1 else view
        cuts: list[int] = []
        index = 0
        if self._pending is not None and len(raw) > 0:
            self._cursor += 1
            self._examine(self._pending, raw[0], cuts)
            self._pending = None
            index = 1
        while index < len(raw):
            index = self._step(raw, index, cuts)
        return cuts

    def finish(self) -> list[int]:
        """End the stream: return the end of the last chunk, and reset for a new stream."""
        end = self._cursor
        tail = [end] if end > self._chunk_start else []
        self._reset()
        return tail

    def _cut(self, offset: int, cuts: list[int]) -> None:
        cuts.append(offset)
        self._chunk_start = offset
        self._hash = 0

    def _cut_if_full(self, cuts: list[int]) -> None:
        if self._cursor - self._chunk_start == self.max_size:
            self._cut(self._cursor, cuts)

    def _examine(self, b0: int, b1: int, cuts: list[int]) -> None:
        """Hash the pair that ends at the cursor; cut before whichever byte matches its mask."""
        pos = self._cursor - 2 - self._chunk_start
        small = pos < self._small_end
        mask = self._mask_s if small else self._mask_l
        h = ((self._hash << 2) + self._gear_ls[b0]) & U64
        if h & (mask << 1) == 0:
            self._cut(self._chunk_start + pos, cuts)
            return
        h = (h + self._gear[b1]) & U64
        self._hash = h
        if h & mask == 0:
            self._cut(self._chunk_start + pos + 1, cuts)
            return
        self._cut_if_full(cuts)

    def _step(self, raw: memoryview, index: int, cuts: list[int]) -> int:
        """Consume bytes from raw[index:] up to the next change of phase; return the new index."""
        pos = self._cursor - self._chunk_start
        avail = len(raw) - index
        if pos < self._skip_end or pos >= self._pair_end:
            target = self._skip_end if pos < self._skip_end else self.max_size
            step = min(target - pos, avail)
            self._cursor += step
            self._cut_if_full(cuts)
            return index + step
        if avail == 1:
            self._pending = raw[index]
            self._cursor += 1
            return index + 1
        region_end = self._small_end if pos < self._small_end else self._pair_end
        stop = index + min(region_end - pos, avail // 2 * 2)
        start_chunk = self._chunk_start
        while index < stop and self._chunk_start == start_chunk:
            # Both bytes count as consumed even when the cut falls before the first: a new chunk
            # starts with at least 64 unhashed bytes, so only their number matters.
            self._cursor += 2
            self._examine(raw[index], raw[index + 1], cuts)
            index += 2
        return index
