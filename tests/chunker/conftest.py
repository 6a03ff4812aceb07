from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from snapstore.chunker import pure
from snapstore.chunker._fastcdc import Scanner as NativeScanner
from tests.oracles import oracles_dir

IMPLEMENTATIONS = {"native": NativeScanner, "pure": pure.Scanner}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def scanner_cls(request: pytest.FixtureRequest) -> Any:
    """Every chunker test runs against the compiled scanner and its pure-Python twin."""
    return IMPLEMENTATIONS[request.param]


@pytest.fixture(scope="session")
def fastcdc_oracle() -> Path:
    return oracles_dir() / "fastcdc"


@pytest.fixture(scope="session")
def gear_oracle(fastcdc_oracle: Path) -> dict[str, Any]:
    tables: dict[str, Any] = json.loads((fastcdc_oracle / "gear_tables.json").read_text())
    return tables


def scan_all(scanner: Any, data: Any) -> list[int]:
    cuts: list[int] = scanner.feed(data)
    return cuts + scanner.finish()
