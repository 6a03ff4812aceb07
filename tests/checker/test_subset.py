"""`--read-data-subset`: parsing, slices that partition the packs, seeded percentages."""

from __future__ import annotations

import os
import random

import pytest

from snapstore.checker import ReadSubset, parse_subset, select_packs
from snapstore.errors import InputError


@pytest.mark.parametrize(
    "text,expected",
    [
        ("10%", ReadSubset(percent=10)),
        ("2.5%", ReadSubset(percent=2.5)),
        ("100%", ReadSubset(percent=100)),
        ("1/7", ReadSubset(number=1, slices=7)),
        ("7/7", ReadSubset(number=7, slices=7)),
    ],
)
def test_parse(text: str, expected: ReadSubset) -> None:
    assert parse_subset(text) == expected
    assert str(parse_subset(text)) == text


@pytest.mark.parametrize("text", ["0%", "101%", "0/3", "4/3", "1/0", "half", "1/2/3", "-5%", ""])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(InputError):
        parse_subset(text)


def ids(count: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(32) for _ in range(count)]


@pytest.mark.parametrize("slices", [1, 2, 3, 7, 31])
def test_slices_partition_the_packs_into_contiguous_runs(slices: int) -> None:
    packs = sorted(ids(500))
    chosen = [
        select_packs(packs, ReadSubset(number=n, slices=slices), 0) for n in range(1, slices + 1)
    ]
    assert sorted(p for part in chosen for p in part) == packs  # each pack exactly once
    assert [p for part in chosen for p in part] == packs  # slice n precedes slice n+1
    assert all(len(part) > 500 / slices / 4 for part in chosen)  # roughly even


def test_a_pack_keeps_its_slice_when_others_come_and_go() -> None:
    packs = ids(200)
    before = select_packs(packs, ReadSubset(number=2, slices=5), 0)
    after = select_packs(packs[:150] + ids(100, seed=2), ReadSubset(number=2, slices=5), 0)
    assert set(before) & set(packs[:150]) <= set(after)


def test_percentage_rounds_up_and_follows_the_seed() -> None:
    packs = ids(10)
    assert len(select_packs(packs, ReadSubset(percent=1), 5)) == 1
    assert len(select_packs(packs, ReadSubset(percent=35), 5)) == 4
    assert select_packs(packs, ReadSubset(percent=100), 5) == sorted(packs)
    same = select_packs(packs, ReadSubset(percent=50), 5)
    assert same == select_packs(list(reversed(packs)), ReadSubset(percent=50), 5)
    seeds = {tuple(select_packs(packs, ReadSubset(percent=50), seed)) for seed in range(20)}
    assert len(seeds) > 10


def test_no_subset_is_everything_sorted() -> None:
    packs = [os.urandom(32) for _ in range(5)]
    assert select_packs(packs, None, 0) == sorted(packs)
    assert select_packs([], ReadSubset(percent=50), 0) == []
