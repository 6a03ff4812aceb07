"""`SnapshotCatalog`: the snapshot records of a repository without its index.

Opening a `Repository` synchronizes the local index cache, which on a large repository or a
slow backend takes time a monitoring probe should not spend. The catalog unlocks the master key
(so a wrong password is still `WrongPasswordError`), checks the config opens, and then reads
only the files under `snapshots/`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import blake3

from snapstore.backend import Backend
from snapstore.crypto import Sealer
from snapstore.errors import IntegrityError, NotFoundError, RepositoryNotFoundError
from snapstore.model import Snapshot
from snapstore.repository import keyring, layout

LOADERS = 8  # snapshot records read at once


class SnapshotCatalog:
    def __init__(self, backend: Backend, sealer: Sealer) -> None:
        self.backend = backend
        self.sealer = sealer

    @classmethod
    def open(cls, backend: Backend, password: bytes) -> SnapshotCatalog:
        try:
            sealed_config = backend.load(layout.CONFIG)
        except NotFoundError:
            raise RepositoryNotFoundError(f"no repository at {backend.location}") from None
        master, _ = keyring.open_master_key(backend, password)
        sealer = Sealer(master.encryption_key)
        sealer.open(sealed_config, layout.CONFIG_ASSOCIATED, "config")
        return cls(backend, sealer)

    def close(self) -> None:
        self.backend.close()

    def list_snapshots(self) -> list[tuple[str, Snapshot]]:
        """All snapshots, oldest first; one removed while listing (a concurrent forget) is
        left out, as `Repository.list_snapshots` does. The records are read by a few threads:
        on S3 each is one request, and a probe must answer in seconds."""
        ids = [info.name.rsplit("/", 1)[1] for info in self.backend.list(layout.SNAPSHOTS)]
        with ThreadPoolExecutor(LOADERS) as pool:
            loaded = list(pool.map(self._load, ids))
        found = [(sid, snap) for sid, snap in zip(ids, loaded, strict=True) if snap is not None]
        return sorted(found, key=lambda pair: (pair[1].time, pair[0]))

    def _load(self, snapshot_id: str) -> Snapshot | None:
        try:
            sealed = self.backend.load(layout.snapshot_name(snapshot_id))
        except NotFoundError:
            return None
        if blake3.blake3(sealed).hexdigest() != snapshot_id:
            raise IntegrityError(f"snapshot {snapshot_id}: content does not match its name")
        what = f"snapshot {snapshot_id}"
        return Snapshot.decode(self.sealer.open(sealed, layout.SNAPSHOT_ASSOCIATED, what))
