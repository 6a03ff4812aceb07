"""Freezes the pack header plaintext (docs/design.md §4 pack) byte for byte.

Encryption is randomized, so the golden file holds the plaintext the writer hands to the sealer,
one record per line (preamble, then one line per blob). Regenerate only on purpose, since it
changes the repository format:
    python -m tests.pack.test_golden > tests/pack/golden/header_v1.hex
"""

from __future__ import annotations

from pathlib import Path

from snapstore.index.entry import BlobType
from snapstore.pack import HEADER_ASSOCIATED, PackWriter
from snapstore.pack.header import HEADER_ENTRY, PREAMBLE, decode_header

GOLDEN = Path(__file__).parent / "golden" / "header_v1.hex"

# (type, id, envelope, raw length, compression): covers both types, both compressions, a u32
# raw length needing all four bytes, and ids whose bytes are all distinct.
BLOBS = [
    (BlobType.DATA, bytes(range(32)), b"\xaa" * 41, 0, 0),
    (BlobType.TREE, bytes(range(32, 64)), b"\xbb" * 300, 1000, 1),
    (BlobType.DATA, bytes(range(255, 223, -1)), b"\xcc" * 70_000, 0x01020304, 1),
]


class RecordingSealer:
    """Seals nothing: returns the plaintext as the envelope and remembers what it was given."""

    def __init__(self) -> None:
        self.sealed: list[tuple[bytes, bytes]] = []

    def seal(self, plaintext: bytes | memoryview, associated: bytes) -> bytes:
        self.sealed.append((bytes(plaintext), associated))
        return bytes(plaintext)

    def open(self, envelope: bytes | memoryview, associated: bytes, what: str) -> bytes:
        return bytes(envelope)


def header_plaintext() -> bytes:
    writer = PackWriter()
    for blob in BLOBS:
        writer.add(*blob)
    sealer = RecordingSealer()
    pack = writer.finish(sealer)
    [(plaintext, associated)] = sealer.sealed
    assert associated == HEADER_ASSOCIATED
    assert pack.data.endswith(plaintext + len(plaintext).to_bytes(4, "little"))
    return plaintext


def as_lines(plaintext: bytes) -> str:
    body = plaintext[PREAMBLE.size :]
    records = [plaintext[: PREAMBLE.size]]
    records += [body[i : i + HEADER_ENTRY.size] for i in range(0, len(body), HEADER_ENTRY.size)]
    return "".join(record.hex() + "\n" for record in records)


def test_header_plaintext_is_frozen() -> None:
    assert as_lines(header_plaintext()) == GOLDEN.read_text()


def test_golden_file_decodes_to_the_inputs() -> None:
    entries = decode_header(bytes.fromhex(GOLDEN.read_text()), "golden")
    assert [(e.blob_type, e.blob_id, e.length, e.raw_length, e.compression) for e in entries] == [
        (t, i, len(envelope), raw, c) for t, i, envelope, raw, c in BLOBS
    ]


if __name__ == "__main__":
    import sys

    sys.stdout.write(as_lines(header_plaintext()))
