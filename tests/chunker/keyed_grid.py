"""The grid frozen by golden/keyed_cuts.json: keyed gear tables and the cut points they give.
Regenerate only on purpose (it changes every repository's chunk boundaries):
    python -m tests.chunker.keyed_grid > tests/chunker/golden/keyed_cuts.json
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import blake3

from snapstore.chunker import keyed_gear_table
from tests.oracles import pseudo_random

KEYS = {
    "zeros": bytes(32),
    "counting": bytes(range(32)),
    "random": blake3.blake3(b"snapstore golden key").digest(),
}
PARAMS = [(2048, 8192, 32768, 1), (16384, 65536, 262144, 2), (65536, 262144, 1 << 20, 0)]
PARAMS_LARGE = [(262144, 1 << 20, 4 << 20, 1)]


def data() -> bytes:
    return pseudo_random(2 << 20, "keyed golden") + bytes(300_000) + pseudo_random(99_999, "end")


def table_digest(table: tuple[int, ...]) -> str:
    return hashlib.sha256(b"".join(g.to_bytes(8, "little") for g in table)).hexdigest()


def entry(scanner_cls: Any, key: bytes, params: tuple[int, int, int, int], blob: bytes) -> dict:
    min_size, avg, max_size, level = params
    scanner = scanner_cls(min_size, avg, max_size, normalization=level, gear=keyed_gear_table(key))
    cuts = scanner.feed(blob) + scanner.finish()
    return {"params": list(params), "cuts": cuts}


def generate() -> dict[str, Any]:
    from snapstore.chunker._fastcdc import Scanner

    blob = data()
    return {
        "data_sha256": hashlib.sha256(blob).hexdigest(),
        "keys": {
            name: {
                "gear_sha256": table_digest(keyed_gear_table(key)),
                "gear_first": [f"0x{g:016x}" for g in keyed_gear_table(key)[:4]],
                "cuts": [entry(Scanner, key, p, blob) for p in PARAMS + PARAMS_LARGE],
            }
            for name, key in KEYS.items()
        },
    }


if __name__ == "__main__":
    print(json.dumps(generate(), indent=1))
