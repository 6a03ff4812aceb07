"""The narrow interfaces engines (layer L4) type against; `Repository` implements all of them,
and tests can substitute small fakes."""

from __future__ import annotations

from typing import Any, Protocol

from snapstore.model import Snapshot, Tree
from snapstore.repository.data_sealing import DataSealing, SealedBlob


class BlobSaver(Protocol):
    def new_scanner(self, stream: bool = False) -> Any: ...

    def blob_id(self, data: bytes | memoryview) -> bytes: ...

    def has_data(self, blob_id: bytes) -> bool: ...

    def save_data(self, data: bytes, blob_id: bytes | None = None) -> int:
        """Store a data blob unless present; return the bytes added to packs (0 if deduplicated)."""
        ...

    def data_sealing(self) -> DataSealing:
        """What a helper process needs to seal data blobs itself (secret keys included)."""
        ...

    def save_sealed_data(self, sealed: SealedBlob) -> int:
        """Store a data blob sealed by `data_sealing().seal` unless present; as `save_data`."""
        ...

    def has_tree(self, tree_id: bytes) -> bool: ...

    def save_tree(self, tree: Tree) -> tuple[bytes, int]:
        """Store a tree blob unless present; return its id and the bytes added to packs."""
        ...

    def flush(self) -> None: ...


class BlobLoader(Protocol):
    def load_data(self, blob_id: bytes) -> bytes: ...

    def load_tree(self, tree_id: bytes) -> Tree: ...


class CachedTreeLoader(Protocol):
    def load_cached_tree(self, tree_id: bytes) -> Tree:
        """A tree, from the local tree cache when it holds it: for comparing with (a parent)."""
        ...


class Locking(Protocol):
    def lock(self, kind: str, exclusive: bool = False) -> Any:
        """A lock (context manager) that tells garbage collection this operation is running."""
        ...


class SnapshotStore(Protocol):
    def save_snapshot(self, snapshot: Snapshot) -> str: ...

    def load_snapshot(self, snapshot_id: str) -> Snapshot: ...

    def list_snapshots(self) -> list[tuple[str, Snapshot]]: ...
