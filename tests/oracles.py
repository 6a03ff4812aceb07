"""Where the external test oracles live (../shared/oracles from the project root), and
deterministic test data. Oracles are used by path, never copied into the project."""

from __future__ import annotations

import os
from pathlib import Path

import blake3

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def oracles_dir() -> Path:
    """The shared oracle folder: $SNAPSTORE_ORACLES, else ../shared/oracles beside the checkout,
    else the workplace's /work/shared/oracles (a clone in a temporary folder). Missing oracles
    are an error, not a skip: a test that cannot compare must not pass."""
    candidates = [
        os.environ.get("SNAPSTORE_ORACLES"),
        PROJECT_ROOT.parent / "shared" / "oracles",
        "/work/shared/oracles",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "README.md").is_file():
            return Path(candidate)
    raise FileNotFoundError(
        "external oracles not found; set SNAPSTORE_ORACLES to the shared/oracles folder"
    )


def pseudo_random(size: int, label: str = "snapstore test data") -> bytes:
    """`size` bytes that are the same on every machine and Python version (BLAKE3 XOF)."""
    return blake3.blake3(label.encode()).digest(length=size)


def real_corpus(limit: int) -> bytes:
    """Up to `limit` bytes of real, mixed files from this machine's Python installation (source,
    compiled modules, data), in a fixed order; varies between machines, not between runs."""
    import sysconfig

    roots = [Path(sysconfig.get_paths()["stdlib"])]
    parts: list[bytes] = []
    total = 0
    for root in roots:
        for path in sorted(root.rglob("*")):
            if total >= limit:
                break
            if path.is_file() and not path.is_symlink() and "__pycache__" not in path.parts:
                chunk = path.read_bytes()[: limit - total]
                parts.append(chunk)
                total += len(chunk)
    return b"".join(parts)
