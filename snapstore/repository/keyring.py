"""Key files of a repository: add, list, remove, and find the one a password opens
(docs/design.md §3.3). Several key files may wrap the same master key."""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass
from datetime import datetime, timezone

import blake3

from snapstore.backend import Backend
from snapstore.crypto import KdfParams, MasterKey, unwrap_master_key, wrap_master_key
from snapstore.crypto.keyfile import read_key_file
from snapstore.errors import InputError, SnapError, WrongPasswordError
from snapstore.repository import layout


class LastKeyError(SnapError):
    """Removing the key would leave the repository with no way to open it."""


@dataclass(frozen=True)
class KeyInfo:
    id: str
    hostname: str
    username: str
    created: str


def _key_metadata() -> dict[str, str]:
    return {
        "hostname": socket.gethostname(),
        "username": getpass.getuser(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def add_key(backend: Backend, master: MasterKey, password: bytes, params: KdfParams) -> str:
    data = wrap_master_key(master, password, params, _key_metadata())
    key_id = blake3.blake3(data).hexdigest()
    backend.save(layout.key_name(key_id), data)
    return key_id


def key_ids(backend: Backend) -> list[str]:
    return sorted(info.name.rsplit("/", 1)[1] for info in backend.list(layout.KEYS))


def list_keys(backend: Backend) -> list[KeyInfo]:
    keys = []
    for key_id in key_ids(backend):
        document = read_key_file(backend.load(layout.key_name(key_id)), layout.key_name(key_id))
        keys.append(
            KeyInfo(
                key_id,
                str(document.get("hostname", "")),
                str(document.get("username", "")),
                str(document.get("created", "")),
            )
        )
    return keys


def open_master_key(backend: Backend, password: bytes) -> tuple[MasterKey, str]:
    """Try every key file; return the master key and the id of the key file that opened."""
    for key_id in key_ids(backend):
        name = layout.key_name(key_id)
        try:
            return unwrap_master_key(backend.load(name), password, name), key_id
        except WrongPasswordError:
            continue
    raise WrongPasswordError("wrong password or no key found")


def remove_key(backend: Backend, key_id: str) -> None:
    ids = key_ids(backend)
    if key_id not in ids:
        raise InputError(f"no key with id {key_id}")
    if len(ids) == 1:
        raise LastKeyError("refusing to remove the last key: the repository could not be opened")
    backend.remove(layout.key_name(key_id))
