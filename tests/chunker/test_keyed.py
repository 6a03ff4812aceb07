"""Keyed gear tables: derived from the repository's chunker key, frozen by a golden file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from snapstore.chunker import keyed_gear_table, standard_gear_table
from tests.chunker import keyed_grid

GOLDEN = json.loads((Path(__file__).parent / "golden" / "keyed_cuts.json").read_text())


def test_golden_data_is_unchanged() -> None:
    import hashlib

    assert hashlib.sha256(keyed_grid.data()).hexdigest() == GOLDEN["data_sha256"]


@pytest.mark.parametrize("name", sorted(keyed_grid.KEYS))
def test_keyed_table_is_frozen(name: str) -> None:
    table = keyed_gear_table(keyed_grid.KEYS[name])
    assert keyed_grid.table_digest(table) == GOLDEN["keys"][name]["gear_sha256"]
    assert [f"0x{g:016x}" for g in table[:4]] == GOLDEN["keys"][name]["gear_first"]


@pytest.mark.parametrize("params", keyed_grid.PARAMS, ids=str)
@pytest.mark.parametrize("name", sorted(keyed_grid.KEYS))
def test_keyed_cut_points_are_frozen(scanner_cls: Any, name: str, params: tuple) -> None:
    got = keyed_grid.entry(scanner_cls, keyed_grid.KEYS[name], params, keyed_grid.data())
    want = [e for e in GOLDEN["keys"][name]["cuts"] if tuple(e["params"]) == params]
    assert [got] == want


@pytest.mark.parametrize("name", sorted(keyed_grid.KEYS))
def test_keyed_cut_points_are_frozen_at_repository_sizes(name: str) -> None:
    from snapstore.chunker._fastcdc import Scanner

    for params in keyed_grid.PARAMS_LARGE:
        got = keyed_grid.entry(Scanner, keyed_grid.KEYS[name], params, keyed_grid.data())
        assert got in GOLDEN["keys"][name]["cuts"]


def test_keys_give_distinct_tables() -> None:
    tables = {keyed_gear_table(key) for key in keyed_grid.KEYS.values()}
    assert len(tables) == len(keyed_grid.KEYS)
    assert standard_gear_table() not in tables
    assert all(len(t) == 256 and all(0 <= g < 2**64 for g in t) for t in tables)


def test_one_key_bit_changes_the_cuts() -> None:
    from snapstore.chunker._fastcdc import Scanner

    key = bytearray(keyed_grid.KEYS["random"])
    base = keyed_grid.entry(Scanner, bytes(key), keyed_grid.PARAMS[0], keyed_grid.data())
    key[0] ^= 1
    flipped = keyed_grid.entry(Scanner, bytes(key), keyed_grid.PARAMS[0], keyed_grid.data())
    assert base["cuts"] != flipped["cuts"]


@pytest.mark.parametrize("key,error", [(bytes(31), ValueError), (bytes(33), ValueError),
                                       ("k" * 32, TypeError)])
def test_bad_chunker_key(key: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="chunker key"):
        keyed_gear_table(key)
