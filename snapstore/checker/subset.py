"""Which packs `--read-data-subset` reads: a random percentage (seeded, so a run can be
repeated with its seed) or slice n of t.

A slice is a fixed range of the pack id space (ids read as numbers from their first 8 bytes), so
a pack's slice depends on its id alone: packs added or removed between runs do not move the
others, and running 1/t .. t/t (say one a day) reads every pack exactly once. Within a sorted
list of pack ids each slice is one contiguous run.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass

from snapstore.errors import InputError

_PREFIX_BITS = 64
"""Slices are decided by the first 8 bytes of an id: far more resolution than any t needs."""
_SLICE = re.compile(r"(\d+)/(\d+)")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)%")


@dataclass(frozen=True)
class ReadSubset:
    """Either `percent` (0 < p <= 100) or slice `number` of `slices` (1-based)."""

    percent: float | None = None
    number: int = 0
    slices: int = 0

    def __str__(self) -> str:
        return f"{self.percent:g}%" if self.percent is not None else f"{self.number}/{self.slices}"


def parse_subset(text: str) -> ReadSubset:
    """`N%` (N may have decimals) or `n/t`; InputError for anything else."""
    if match := _PERCENT.fullmatch(text.strip()):
        percent = float(match.group(1))
        if not 0 < percent <= 100:
            raise InputError(f"read-data subset {text}: the percentage must be in (0, 100]")
        return ReadSubset(percent=percent)
    if match := _SLICE.fullmatch(text.strip()):
        number, slices = int(match.group(1)), int(match.group(2))
        if not 1 <= number <= slices:
            raise InputError(f"read-data subset {text}: n/t needs 1 <= n <= t")
        return ReadSubset(number=number, slices=slices)
    raise InputError(f"read-data subset {text!r}: expected N% or n/t (for example 10% or 2/7)")


def in_slice(pack_id: bytes, number: int, slices: int) -> bool:
    position = int.from_bytes(pack_id[:8], "big")
    return (position * slices) >> _PREFIX_BITS == number - 1


def select_packs(pack_ids: Iterable[bytes], subset: ReadSubset | None, seed: int) -> list[bytes]:
    """The packs to read, sorted; all of them when `subset` is None."""
    ordered = sorted(pack_ids)
    if subset is None:
        return ordered
    if subset.percent is not None:
        # Rounded up, so that a small percentage of a small repository still reads a pack.
        count = min(len(ordered), math.ceil(len(ordered) * subset.percent / 100))
        return sorted(random.Random(seed).sample(ordered, count))
    return [p for p in ordered if in_slice(p, subset.number, subset.slices)]
