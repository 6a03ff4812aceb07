"""Opening and creating repositories; the one object engines talk to (through the narrow
protocols of `protocols.py`)."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import blake3

from snapstore.backend import Backend, waits_round_trips
from snapstore.chunker import Scanner, keyed_gear_table
from snapstore.crypto import KdfParams, MasterKey, Sealer
from snapstore.errors import (
    IntegrityError,
    NotFoundError,
    RepositoryExistsError,
    RepositoryNotFoundError,
)
from snapstore.index import BlobType, IndexCache, IndexEntry, sync_cache
from snapstore.index.tree_cache import TreeCache
from snapstore.model import Snapshot, Tree, tree_references
from snapstore.repository import keyring, layout, trash
from snapstore.repository.blob_store import BlobStore
from snapstore.repository.cached_trees import CachedTrees
from snapstore.repository.config import RepositoryConfig
from snapstore.repository.blob_opening import BlobOpening
from snapstore.repository.data_sealing import DataSealing, SealedBlob
from snapstore.repository.locks import Lock

CONTENT_FINGERPRINT_CONTEXT = "snapstore 2026-11-22 content fingerprint v1"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "snapstore"


class Repository:
    def __init__(
        self, backend: Backend, master: MasterKey, config: RepositoryConfig, key_id: str,
        cache_dir: Path,
    ) -> None:  # fmt: skip
        self.backend = backend
        self.master = master.with_content_keys(config.content_keys())
        self.config = config
        self.key_id = key_id
        self.sealer = Sealer(master.encryption_key)
        self.cache = IndexCache(cache_dir / config.id / "index")
        self.sync_report = sync_cache(self.cache, backend, self.sealer)
        self.blobs = BlobStore(
            backend, self.master, self.sealer, self.cache, config.pack_size, config.compression_level,
            spool=cache_dir / config.id / "spool",
        )  # fmt: skip
        self.trees = CachedTrees(TreeCache(cache_dir / config.id / "trees"), self.blobs, self.sealer)
        self._gear = keyed_gear_table(self.master.chunker_key)
        self.blobs.trashed = trash.marked_packs(backend)

    # -- creating and opening ------------------------------------------------------------------

    @classmethod
    def init(
        cls, backend: Backend, password: bytes, cache_dir: Path | None = None,
        config: RepositoryConfig | None = None, kdf: KdfParams | None = None,
    ) -> Repository:  # fmt: skip
        config = config or RepositoryConfig()
        if _exists(backend, layout.CONFIG):
            raise RepositoryExistsError(f"a repository already exists at {backend.location}")
        master = MasterKey.generate()
        key_id = keyring.add_key(backend, master, password, kdf or KdfParams())
        sealed = Sealer(master.encryption_key).seal(config.encode(), layout.CONFIG_ASSOCIATED)
        if not backend.create_if_absent(layout.CONFIG, sealed):
            backend.remove(layout.key_name(key_id))
            raise RepositoryExistsError(f"a repository already exists at {backend.location}")
        return cls(backend, master, config, key_id, cache_dir or default_cache_dir())

    @classmethod
    def open(cls, backend: Backend, password: bytes, cache_dir: Path | None = None) -> Repository:
        try:
            sealed_config = backend.load(layout.CONFIG)
        except NotFoundError:
            raise RepositoryNotFoundError(f"no repository at {backend.location}") from None
        master, key_id = keyring.open_master_key(backend, password)
        plain = Sealer(master.encryption_key).open(sealed_config, layout.CONFIG_ASSOCIATED, "config")
        config = RepositoryConfig.decode(plain)
        return cls(backend, master, config, key_id, cache_dir or default_cache_dir())

    def close(self) -> None:
        self.blobs.close()
        self.trees.cache.close()
        self.cache.close()
        self.backend.close()

    # -- blobs (BlobSaver, BlobLoader) ---------------------------------------------------------

    def new_scanner(self, stream: bool = False) -> Any:
        """A chunk scanner for files, or with `stream` for streams (config.stream_chunker)."""
        c = self.config.stream_chunker if stream else self.config.chunker
        return Scanner(c.min_size, c.avg_size, c.max_size, normalization=c.normalization, gear=self._gear)

    def blob_id(self, data: bytes | memoryview) -> bytes:
        return self.master.blob_id(data)

    def content_fingerprint(self) -> bytes:
        """Equal for two repositories exactly when they give the same data the same chunks and
        the same blob ids (same id key, chunker key and chunker parameters); reveals no key."""
        params = b""
        for c in (self.config.chunker, self.config.stream_chunker):
            params += f"{c.min_size} {c.avg_size} {c.max_size} {c.normalization} ".encode()
        material = self.master.id_key + self.master.chunker_key + params
        return blake3.blake3(material, derive_key_context=CONTENT_FINGERPRINT_CONTEXT).digest()

    def has_data(self, blob_id: bytes) -> bool:
        return self.blobs.has(blob_id)

    def save_data(self, data: bytes, blob_id: bytes | None = None) -> int:
        return self.blobs.save(BlobType.DATA, data, blob_id or self.blob_id(data))

    def data_sealing(self) -> DataSealing:
        return DataSealing(self.master.id_key, self.master.encryption_key, self.config.compression_level)

    def blob_opening(self) -> BlobOpening:
        return BlobOpening(self.master.id_key, self.master.encryption_key)

    def save_sealed_data(self, sealed: SealedBlob) -> int:
        return self.blobs.save_sealed(sealed)

    def has_tree(self, tree_id: bytes) -> bool:
        return self.blobs.has(tree_id)

    def save_tree(self, tree: Tree) -> tuple[bytes, int]:
        encoded = tree.encode()
        tree_id = self.blob_id(encoded)
        return tree_id, self.blobs.save(BlobType.TREE, encoded, tree_id)

    def flush(self) -> None:
        """Store open packs, then make sure every pack this session reused is still indexed
        (a concurrent prune may have marked it): after this, a snapshot may be saved."""
        self.blobs.flush()
        self.blobs.secure_reused()

    def lock(self, kind: str, exclusive: bool = False) -> Lock:
        return Lock(self.backend, kind, exclusive)

    def load_data(self, blob_id: bytes) -> bytes:
        return self.blobs.load(blob_id, BlobType.DATA)

    def lookup(self, blob_id: bytes) -> IndexEntry | None:
        return self.blobs.lookup(blob_id)

    def lookup_many(self, blob_ids: Collection[bytes]) -> dict[bytes, IndexEntry]:
        return self.blobs.lookup_many(blob_ids)

    def load_from_pack(self, entries: list[IndexEntry]) -> Iterator[tuple[IndexEntry, bytes]]:
        return self.blobs.load_from_pack(entries)

    def load_pack_range(self, pack_id: bytes, offset: int, length: int) -> bytes:
        """Bytes of a pack as stored (sealed blobs), for a restore's helper processes to open."""
        return self.blobs.load_range(pack_id, offset, length)

    @property
    def remote(self) -> bool:
        """Does each request to the repository wait a network round trip (an object store)?"""
        return waits_round_trips(self.backend)

    def load_tree(self, tree_id: bytes) -> Tree:
        # The blob store checked the keyed id of these exact bytes: they are one of our encodings.
        return Tree.decode(self.blobs.load(tree_id, BlobType.TREE), authenticated=True)

    def load_tree_references(self, tree_id: bytes) -> tuple[list[bytes], list[bytes]]:
        """The chunk ids and the subtree ids of a tree, without building its nodes."""
        return tree_references(self.blobs.load(tree_id, BlobType.TREE))

    def load_cached_tree(self, tree_id: bytes) -> Tree:
        """`load_tree` through the local tree cache: for a backup's parent trees, never for
        what checks the repository (a cached tree may be gone from it)."""
        # An entry is used only when its plaintext's keyed id matches: an encoding of ours.
        return Tree.decode(self.trees.load(tree_id), authenticated=True)

    # -- snapshots (SnapshotStore) -------------------------------------------------------------

    def save_snapshot(self, snapshot: Snapshot) -> str:
        sealed = self.sealer.seal(snapshot.encode(), layout.SNAPSHOT_ASSOCIATED)
        snapshot_id = blake3.blake3(sealed).hexdigest()
        self.backend.save(layout.snapshot_name(snapshot_id), sealed)
        return snapshot_id

    def load_snapshot(self, snapshot_id: str) -> Snapshot:
        name = layout.snapshot_name(snapshot_id)
        try:
            sealed = self.backend.load(name)
        except NotFoundError:
            raise IntegrityError(f"snapshot {snapshot_id} is missing") from None
        if blake3.blake3(sealed).hexdigest() != snapshot_id:
            raise IntegrityError(f"snapshot {snapshot_id}: content does not match its name")
        return Snapshot.decode(self.sealer.open(sealed, layout.SNAPSHOT_ASSOCIATED, f"snapshot {snapshot_id}"))

    def snapshot_ids(self) -> list[str]:
        return sorted(info.name.rsplit("/", 1)[1] for info in self.backend.list(layout.SNAPSHOTS))

    def list_snapshots(self) -> list[tuple[str, Snapshot]]:
        """All snapshots, oldest first. One removed between listing and reading (a concurrent
        forget) is left out."""
        found = []
        for sid in self.snapshot_ids():
            try:
                found.append((sid, self.load_snapshot(sid)))
            except IntegrityError:
                if _exists(self.backend, layout.snapshot_name(sid)):
                    raise
        return sorted(found, key=lambda pair: (pair[1].time, pair[0]))


def _exists(backend: Backend, name: str) -> bool:
    try:
        backend.stat(name)
    except NotFoundError:
        return False
    return True
