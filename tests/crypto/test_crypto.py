"""Subkeys, envelopes and key files."""

from __future__ import annotations

import json

import pytest

from snapstore.crypto import ENVELOPE_OVERHEAD, KdfParams, MasterKey, Sealer
from snapstore.crypto.keyfile import unwrap_master_key, wrap_master_key
from snapstore.crypto.subkeys import derive_subkey
from snapstore.errors import IntegrityError, WrongPasswordError

FAST_KDF = KdfParams(memory_kib=64, iterations=1, lanes=1)


def test_subkeys_are_distinct_and_stable() -> None:
    master = MasterKey(bytes(range(32)))
    keys = {master.id_key, master.chunker_key, master.encryption_key, master.secret}
    assert len(keys) == 4
    assert master.id_key == derive_subkey(bytes(range(32)), "snapstore 2026-11-21 blob id key v1")
    # Frozen: changing a derivation changes every id of every repository.
    assert master.blob_id(b"hello").hex() == MasterKey(bytes(range(32))).blob_id(b"hello").hex()
    assert master.blob_id(b"hello") != MasterKey(bytes(32)).blob_id(b"hello")
    assert len(master.blob_id(b"")) == 32
    assert master.secret.hex() not in repr(master)


def test_blob_id_golden() -> None:
    master = MasterKey(bytes(range(32)))
    assert master.blob_id(b"snapstore").hex() == GOLDEN_BLOB_ID


GOLDEN_BLOB_ID = "269b9427d836fb1c0f1f4972fd958dc886fedc648ffbd490788e65470b2853ed"


def test_seal_open_round_trip() -> None:
    sealer = Sealer(MasterKey.generate().encryption_key)
    for message in (b"", b"x", bytes(1 << 20)):
        envelope = sealer.seal(message, b"aad")
        assert len(envelope) == len(message) + ENVELOPE_OVERHEAD
        assert sealer.open(envelope, b"aad", "object") == message


def test_same_plaintext_seals_differently() -> None:
    sealer = Sealer(bytes(32))
    assert sealer.seal(b"same", b"a") != sealer.seal(b"same", b"a")


@pytest.mark.parametrize("position", [0, 1, 10, 30, -1])
def test_any_flipped_bit_is_detected(position: int) -> None:
    sealer = Sealer(bytes(32))
    envelope = bytearray(sealer.seal(b"payload of some length", b"a"))
    envelope[position] ^= 0x04
    with pytest.raises(IntegrityError, match="pack 12"):
        sealer.open(bytes(envelope), b"a", "pack 12")


def test_wrong_associated_data_or_key_is_detected() -> None:
    sealer = Sealer(bytes(32))
    envelope = sealer.seal(b"payload", b"blob A")
    with pytest.raises(IntegrityError):
        sealer.open(envelope, b"blob B", "x")
    with pytest.raises(IntegrityError):
        Sealer(bytes(31) + b"\x01").open(envelope, b"blob A", "x")
    with pytest.raises(IntegrityError, match="too short"):
        sealer.open(b"\x01abc", b"", "x")


def test_key_file_round_trip_and_wrong_password() -> None:
    master = MasterKey.generate()
    data = wrap_master_key(master, b"pw", FAST_KDF, {"hostname": "h", "username": "u"})
    document = json.loads(data)
    assert document["kdf"]["algorithm"] == "argon2id" and document["hostname"] == "h"
    assert master.secret.hex() not in data.decode()
    assert unwrap_master_key(data, b"pw", "keys/1").secret == master.secret
    with pytest.raises(WrongPasswordError):
        unwrap_master_key(data, b"wrong", "keys/1")


def test_damaged_key_file_is_an_integrity_error() -> None:
    with pytest.raises(IntegrityError, match="keys/9"):
        unwrap_master_key(b"{not json", b"pw", "keys/9")
    with pytest.raises(IntegrityError, match="keys/9"):
        unwrap_master_key(b'{"version": 7, "kdf": {"algorithm": "argon2id"}}', b"pw", "keys/9")


def test_default_kdf_parameters_are_strong() -> None:
    """At least the memory traffic per guess of RFC 9106's 64 MiB x 3 (design.md §3.3)."""
    params = KdfParams()
    assert params.memory_kib * params.iterations >= 65536 * 3
    assert params.memory_kib >= 16384 and params.iterations >= 3
