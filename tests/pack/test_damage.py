"""Damaged packs: every inconsistency the tail can reveal is an IntegrityError naming the pack."""

from __future__ import annotations

import re
import struct
from collections.abc import Callable

import pytest

from snapstore.crypto import Sealer
from snapstore.errors import IntegrityError
from snapstore.pack import HEADER_ASSOCIATED, FinishedPack, read_header, verify_pack_id
from snapstore.pack.header import HEADER_ENTRY, PREAMBLE
from tests.pack.conftest import blob_id, build_pack

Damage = Callable[[bytes], bytes]


def read(data: bytes, sealer: Sealer, name: str) -> None:
    read_header(lambda offset, length: data[offset : offset + length], len(data), sealer, name)


def flip(position: int) -> Damage:
    def damage(data: bytes) -> bytes:
        damaged = bytearray(data)
        damaged[position] ^= 0x04
        return bytes(damaged)

    return damage


DAMAGES: dict[str, Damage] = {
    "empty": lambda data: b"",
    "three bytes": lambda data: data[:3],
    "last byte cut": lambda data: data[:-1],
    "first byte cut": lambda data: data[1:],
    "byte appended": lambda data: data + b"\0",
    "header cut to length only": lambda data: data[-4:],
    "header length beyond size": lambda data: data[:-4] + struct.pack("<I", 10**9),
    "header length zero": lambda data: data[:-4] + struct.pack("<I", 0),
    "header length one less": lambda data: data[:-4] + struct.pack("<I", len_of_header(data) - 1),
    "bit flipped in header": lambda data: flip(-20)(data),
    "bit flipped in header length": lambda data: flip(-4)(data),
    "bit flipped in salt": lambda data: flip(-len_of_header(data) - 4 + 3)(data),
}


def len_of_header(data: bytes) -> int:
    length: int = struct.unpack("<I", data[-4:])[0]
    return length


@pytest.fixture
def pack(sealer: Sealer) -> FinishedPack:
    return build_pack(sealer, [300, 20, 4000])


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_damaged_tail_is_an_integrity_error_naming_the_pack(
    sealer: Sealer, pack: FinishedPack, damage: str
) -> None:
    with pytest.raises(IntegrityError, match=re.escape(f"pack {pack.name}")):
        read(DAMAGES[damage](pack.data), sealer, pack.name)


def test_damage_to_a_blob_is_caught_by_the_pack_id(sealer: Sealer, pack: FinishedPack) -> None:
    damaged = flip(10)(pack.data)
    read(damaged, sealer, pack.name)  # the header does not cover blob bytes...
    with pytest.raises(IntegrityError, match=pack.name):
        verify_pack_id(damaged, pack.pack_id)  # ...the pack id does


def test_header_of_another_key_fails(pack: FinishedPack) -> None:
    with pytest.raises(IntegrityError, match="authentication failed"):
        read(pack.data, Sealer(bytes(32)), pack.name)


def test_header_from_another_pack_does_not_fit(sealer: Sealer, pack: FinishedPack) -> None:
    other = build_pack(sealer, [10])
    header_and_length = other.data[-len_of_header(other.data) - 4 :]
    with pytest.raises(IntegrityError, match="describes 10 bytes of blobs but the pack holds 4320"):
        read(pack.data[:4320] + header_and_length, sealer, pack.name)


def craft(
    sealer: Sealer, blobs: bytes, plaintext: bytes, associated: bytes = HEADER_ASSOCIATED
) -> bytes:
    """A pack whose header authenticates but says what we choose."""
    sealed = sealer.seal(plaintext, associated)
    return blobs + sealed + struct.pack("<I", len(sealed))


def header(
    *entries: tuple[int, int, int, int, bytes],
    magic: bytes = b"SNPK",
    version: int = 1,
    count: int | None = None,
) -> bytes:
    n = len(entries) if count is None else count
    return PREAMBLE.pack(magic, version, n) + b"".join(HEADER_ENTRY.pack(*e) for e in entries)


NAME = "data/ab/" + "ab" * 32
GOOD = (0, 0, 5, 5, blob_id(0))


INCONSISTENT = {
    "wrong magic": (b"12345", header(GOOD, magic=b"SNIX"), "not a pack header"),
    "unknown version": (b"12345", header(GOOD, version=2), "unsupported pack header version 2"),
    "count too high": (b"12345", header(GOOD, count=2), "does not hold 2 entries"),
    "entry cut": (b"12345", header(GOOD)[:-1], "does not hold 1 entries"),
    "trailing byte": (b"12345", header(GOOD) + b"\0", "does not hold 1 entries"),
    "no preamble": (b"12345", b"SNP", "too short"),
    "unknown type": (b"12345", header((2, 0, 5, 5, blob_id(0))), "unknown blob type 2"),
    "unknown compression": (b"12345", header((0, 9, 5, 5, blob_id(0))), "unknown compression 9"),
    "empty blob": (b"12345", header(GOOD, (0, 0, 0, 0, blob_id(1))), "empty blob"),
    "gap": (b"123456", header(GOOD), "describes 5 bytes of blobs but the pack holds 6"),
    "overrun": (b"1234", header(GOOD), "describes 5 bytes of blobs but the pack holds 4"),
    "no blobs, consistent": (b"", header(), None),
}


@pytest.mark.parametrize("blobs,plaintext,message", INCONSISTENT.values(), ids=INCONSISTENT.keys())
def test_authentic_but_inconsistent_headers(
    sealer: Sealer, blobs: bytes, plaintext: bytes, message: str | None
) -> None:
    data = craft(sealer, blobs, plaintext)
    if message is None:
        read(data, sealer, NAME)
        return
    with pytest.raises(
        IntegrityError, match=re.escape(f"pack {NAME}: ") + ".*" + re.escape(message)
    ):
        read(data, sealer, NAME)


def test_header_sealed_for_another_purpose_fails(sealer: Sealer) -> None:
    data = craft(sealer, b"12345", header(GOOD), associated=b"snapstore index v1")
    with pytest.raises(IntegrityError, match="authentication failed"):
        read(data, sealer, NAME)
