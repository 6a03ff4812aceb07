"""Key files: the master key wrapped by a password (docs/design.md §3.3).

A key file is UTF-8 JSON, readable without the password: the KDF and its parameters, who
created it and when, and `wrapped`, the master key sealed with the password-derived key.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from snapstore.crypto.aead import Sealer
from snapstore.crypto.subkeys import MasterKey
from snapstore.errors import IntegrityError, WrongPasswordError

KEY_FILE_VERSION = 1
WRAP_ASSOCIATED = b"snapstore key file v1"


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters. The defaults (16 MiB, 12 passes: the same memory traffic per guess
    as 64 MiB x 3, about 0.09 s here) keep every command's peak memory below restic's, whose
    scrypt alone takes 32 MiB; docs/design.md §3.3 weighs the trade. Each key file records its
    own parameters, so older keys keep theirs."""

    memory_kib: int = 16384
    iterations: int = 12
    lanes: int = 1
    salt: bytes = b""

    def with_new_salt(self) -> KdfParams:
        return KdfParams(self.memory_kib, self.iterations, self.lanes, os.urandom(16))

    def derive(self, password: bytes) -> bytes:
        kdf = Argon2id(
            salt=self.salt,
            length=32,
            iterations=self.iterations,
            lanes=self.lanes,
            memory_cost=self.memory_kib,
        )
        return kdf.derive(password)


def wrap_master_key(
    master: MasterKey, password: bytes, params: KdfParams, metadata: dict[str, Any]
) -> bytes:
    params = params.with_new_salt()
    sealer = Sealer(params.derive(password))
    kdf = {"algorithm": "argon2id", **asdict(params)}
    kdf["salt"] = base64.b64encode(params.salt).decode()
    document = {
        "version": KEY_FILE_VERSION,
        **metadata,
        "kdf": kdf,
        "wrapped": base64.b64encode(sealer.seal(master.secret, WRAP_ASSOCIATED)).decode(),
    }
    return json.dumps(document, indent=2, sort_keys=True).encode()


def read_key_file(data: bytes, name: str) -> dict[str, Any]:
    try:
        document = json.loads(data)
        if document["version"] != KEY_FILE_VERSION or document["kdf"]["algorithm"] != "argon2id":
            raise IntegrityError(f"key file {name}: unsupported version or KDF")
        return dict(document)
    except (ValueError, KeyError, TypeError) as exc:
        raise IntegrityError(f"key file {name} is damaged: {exc}") from None


def unwrap_master_key(data: bytes, password: bytes, name: str) -> MasterKey:
    """Raises WrongPasswordError if the password does not open this key file."""
    document = read_key_file(data, name)
    kdf = document["kdf"]
    params = KdfParams(
        kdf["memory_kib"], kdf["iterations"], kdf["lanes"], base64.b64decode(kdf["salt"])
    )
    sealer = Sealer(params.derive(password))
    try:
        secret = sealer.open(base64.b64decode(document["wrapped"]), WRAP_ASSOCIATED, name)
    except IntegrityError:
        raise WrongPasswordError("wrong password or no key found") from None
    return MasterKey(secret)
