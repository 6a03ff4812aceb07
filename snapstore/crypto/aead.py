"""Authenticated encryption of stored objects (docs/design.md §3.2).

Envelope: version (1 byte, 0x01) || salt (24 random bytes) || AES-256-GCM ciphertext || tag (16).
The message key is BLAKE3-keyed(encryption key, salt) and the nonce is 12 zero bytes: every key
encrypts exactly one message, so nonce reuse cannot happen however many hosts write at once and
however many messages there are (a salt collision needs about 2^96 messages).
"""

from __future__ import annotations

import os

import blake3
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from snapstore.errors import IntegrityError

ENVELOPE_VERSION = 1
SALT_SIZE = 24
TAG_SIZE = 16
ENVELOPE_OVERHEAD = 1 + SALT_SIZE + TAG_SIZE
_NONCE = bytes(12)


class Sealer:
    """Seals and opens envelopes under one encryption key."""

    def __init__(self, encryption_key: bytes) -> None:
        if len(encryption_key) != 32:
            raise ValueError("encryption key must be 32 bytes")
        self._key = encryption_key

    def _message_cipher(self, salt: bytes) -> AESGCM:
        return AESGCM(blake3.blake3(salt, key=self._key).digest())

    def seal(self, plaintext: bytes | memoryview, associated: bytes) -> bytearray:
        salt = os.urandom(SALT_SIZE)
        # One allocation for the whole envelope: blobs are up to MiBs, and a concatenation
        # would copy each once more.
        envelope = bytearray(ENVELOPE_OVERHEAD + len(plaintext))
        envelope[0] = ENVELOPE_VERSION
        envelope[1 : 1 + SALT_SIZE] = salt
        cipher = self._message_cipher(salt)
        cipher.encrypt_into(_NONCE, plaintext, associated, memoryview(envelope)[1 + SALT_SIZE :])
        return envelope

    def open(self, envelope: bytes | memoryview, associated: bytes, what: str) -> bytes:
        """Decrypt and authenticate; `what` names the object in the error if that fails."""
        view = memoryview(envelope)
        if len(view) < ENVELOPE_OVERHEAD:
            raise IntegrityError(f"{what}: too short to be an encrypted object ({len(view)} bytes)")
        if view[0] != ENVELOPE_VERSION:
            raise IntegrityError(f"{what}: unknown envelope version {view[0]}")
        salt = bytes(view[1 : 1 + SALT_SIZE])
        try:
            return self._message_cipher(salt).decrypt(_NONCE, view[1 + SALT_SIZE :], associated)
        except InvalidTag:
            raise IntegrityError(f"{what}: authentication failed (corrupted or tampered)") from None
