"""The FastCDC 2020 vectors of fastcdc-rs, reproduced by both scanners."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from snapstore.chunker import seeded_gear_table, standard_gear_table
from snapstore.chunker.limits import MASKS
from tests.chunker.conftest import scan_all
from tests.oracles import oracles_dir


def v2020_vectors() -> list[dict[str, Any]]:
    document = json.loads((oracles_dir() / "fastcdc" / "vectors.json").read_text())
    vectors = [v for v in document["vectors"] if v["algorithm"] == "v2020"]
    assert len(vectors) >= 10
    return vectors


def load_input(spec: str, folder: Path) -> bytes:
    if spec.startswith("zeros:"):
        return bytes(int(spec.split(":", 1)[1]))
    return (folder / spec).read_bytes()


@pytest.mark.parametrize("vector", v2020_vectors(), ids=lambda v: v["test"])
def test_vector(scanner_cls: Any, vector: dict[str, Any], fastcdc_oracle: Path) -> None:
    data = load_input(vector["input"], fastcdc_oracle)
    scanner = scanner_cls(
        vector["min"],
        vector["avg"],
        vector["max"],
        normalization=vector["normalization"],
        gear=seeded_gear_table(vector["seed"]),
    )
    ends = scan_all(scanner, data)
    starts = [0, *ends[:-1]]
    got = [{"offset": s, "length": e - s} for s, e in zip(starts, ends)]
    want = [{"offset": c["offset"], "length": c["length"]} for c in vector["chunks"]]
    assert got == want
    for chunk, start, end in zip(vector["chunks"], starts, ends):
        if "sha256" in chunk:
            assert hashlib.sha256(data[start:end]).hexdigest() == chunk["sha256"]


def test_input_file_is_the_oracle_image(fastcdc_oracle: Path) -> None:
    document = json.loads((fastcdc_oracle / "vectors.json").read_text())
    image = (fastcdc_oracle / "SekienAkashita.jpg").read_bytes()
    assert hashlib.sha256(image).hexdigest() == document["input_sha256"]


def test_standard_gear_table_matches_oracle(gear_oracle: dict[str, Any]) -> None:
    assert [f"0x{g:016x}" for g in standard_gear_table()] == gear_oracle["v2020_GEAR"]
    shifted = [(g << 1) & (2**64 - 1) for g in standard_gear_table()]
    assert [f"0x{g:016x}" for g in shifted] == gear_oracle["v2020_GEAR_LS"]


def test_mask_table_matches_oracle(gear_oracle: dict[str, Any]) -> None:
    assert [f"0x{m:016x}" for m in MASKS] == gear_oracle["v2020_MASKS"]


@pytest.mark.parametrize("level", [0, 1, 2, 3])
@pytest.mark.parametrize("avg_power", range(8, 23))
def test_scanner_masks_match_oracle(
    scanner_cls: Any, gear_oracle: dict[str, Any], avg_power: int, level: int
) -> None:
    avg = 2**avg_power
    scanner = scanner_cls(64, avg, max(avg, 1024), normalization=level, gear=standard_gear_table())
    strict, loose = scanner.masks
    assert f"0x{strict:016x}" == gear_oracle["v2020_MASKS"][avg_power + level]
    assert f"0x{loose:016x}" == gear_oracle["v2020_MASKS"][avg_power - level]
