"""Freezes the index file plaintext (docs/design.md §5 index) byte for byte.

Encryption is randomized and zstd output may change between library versions, so the golden file
holds the plaintext before compression, one record per line (preamble, each superseded id, pack
count, then per pack its head and entries). Regenerate only on purpose, since it changes the
repository format:
    python -m tests.index.test_golden > tests/index/golden/index_v1.hex
"""

from __future__ import annotations

from pathlib import Path

from snapstore.index import IndexEntry
from snapstore.index.index_file import (
    COUNT,
    ENTRY,
    FILE_ID,
    PACK_HEAD,
    PREAMBLE,
    decode_plaintext,
    encode_plaintext,
)

GOLDEN = Path(__file__).parent / "golden" / "index_v1.hex"

PACK_A = bytes(range(0xA0, 0xC0))
PACK_B = bytes(range(0x10, 0x30))
SUPERSEDES = [bytes([0xEE]) * 32, bytes([0x11]) * 32]
# Given out of order on purpose: the plaintext sorts packs by id and entries by offset.
ENTRIES = [
    IndexEntry(bytes(range(32)), 0, PACK_A, 0x01000000, 0x20, 0x10, 1),
    IndexEntry(bytes(range(32, 64)), 1, PACK_B, 500, 80, 0x01020304, 0),
    IndexEntry(bytes(range(64, 96)), 0, PACK_A, 0, 41, 0, 0),
    IndexEntry(bytes(range(96, 128)), 1, PACK_B, 0, 500, 9000, 1),
]


def as_lines(plaintext: bytes) -> str:
    """Split a plaintext into its records, following the §5 layout."""
    records = []
    position = 0

    def take(size: int) -> bytes:
        nonlocal position
        records.append(plaintext[position : position + size])
        position += size
        return records[-1]

    replaced = PREAMBLE.unpack(take(PREAMBLE.size))[2]
    for _ in range(replaced):
        take(FILE_ID.size)
    for _ in range(COUNT.unpack(take(COUNT.size))[0]):
        for _ in range(PACK_HEAD.unpack(take(PACK_HEAD.size))[1]):
            take(ENTRY.size)
    assert position == len(plaintext)
    return "".join(record.hex() + "\n" for record in records)


def test_index_plaintext_is_frozen() -> None:
    assert as_lines(encode_plaintext(ENTRIES, SUPERSEDES)) == GOLDEN.read_text()


def test_golden_file_decodes_to_the_inputs() -> None:
    index = decode_plaintext(bytes.fromhex(GOLDEN.read_text()), "golden")
    assert index.supersedes == tuple(sorted(SUPERSEDES))
    assert list(index.entries) == sorted(ENTRIES, key=lambda e: (e.pack_id, e.offset))


if __name__ == "__main__":
    import sys

    sys.stdout.write(as_lines(encode_plaintext(ENTRIES, SUPERSEDES)))
