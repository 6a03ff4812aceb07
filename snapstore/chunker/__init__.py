"""Content-defined chunking (FastCDC 2020).

Vocabulary: a *scanner* consumes one byte stream, fed in buffers of any size, and returns *cut
points*: the stream offsets where chunks end. `min_size`, `avg_size` and `max_size` bound chunk
lengths; the *normalization* level (0..3) tightens the spread around the average. The *gear
table* drives the rolling hash: the standard (optionally seeded) table for compatibility, a keyed
table (`keyed_gear_table`) in repositories.

`Scanner` is the compiled scanner from `native/fastcdc.c`. This is the only module that imports
it: on CPython a missing build is an ImportError, never a silent slow path. The pure-Python twin
(`snapstore.chunker.pure`) is used only when SNAPSTORE_PURE_PYTHON=1 (or on interpreters that
cannot load C extensions); `IMPLEMENTATION` names the one in use.
"""

from __future__ import annotations

import os
import platform
from typing import Any

from snapstore.chunker.gear import keyed_gear_table, seeded_gear_table, standard_gear_table

PURE_PYTHON_VARIABLE = "SNAPSTORE_PURE_PYTHON"


def _load_scanner() -> tuple[Any, str]:
    if os.environ.get(PURE_PYTHON_VARIABLE) == "1" or platform.python_implementation() != "CPython":
        from snapstore.chunker.pure import Scanner as PureScanner

        return PureScanner, "python"
    try:
        from snapstore.chunker._fastcdc import Scanner as NativeScanner
    except ImportError as exc:
        raise ImportError(
            f"snapstore's compiled chunker (snapstore.chunker._fastcdc) cannot be loaded: {exc}. "
            "Reinstall the package with a C compiler available (pip install -e .), or set "
            f"{PURE_PYTHON_VARIABLE}=1 to choose the slow pure-Python chunker deliberately."
        ) from exc
    return NativeScanner, "native"


Scanner, IMPLEMENTATION = _load_scanner()


def cut_points(
    data: Any, min_size: int, avg_size: int, max_size: int, normalization: int = 1, seed: int = 0
) -> list[int]:
    """Chunk end offsets of `data` with the standard gear table, fastcdc-rs's seed convention."""
    scanner = Scanner(
        min_size, avg_size, max_size, normalization=normalization, gear=seeded_gear_table(seed)
    )
    cuts: list[int] = scanner.feed(data)
    return cuts + scanner.finish()


__all__ = [
    "IMPLEMENTATION",
    "Scanner",
    "cut_points",
    "keyed_gear_table",
    "seeded_gear_table",
    "standard_gear_table",
]
