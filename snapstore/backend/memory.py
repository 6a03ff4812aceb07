"""An in-process backend holding objects in a dict, for fast tests of the layers above."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from snapstore.backend.base import (
    ObjectData,
    ObjectInfo,
    check_range,
    is_under,
    range_end,
    validate_name,
    validate_prefix,
)
from snapstore.errors import NotFoundError


class MemoryBackend:
    """Implements `Backend` with the same semantics as the disk backends, nothing persisted."""

    def __init__(self) -> None:
        self.location = f"memory:{id(self):x}"
        self._objects: dict[str, bytes] = {}
        # One lock for everything: operations are dict lookups, contention is irrelevant, and it
        # makes create_if_absent's check-then-insert atomic.
        self._lock = threading.Lock()

    def save(self, name: str, data: ObjectData) -> None:
        validate_name(name)
        # bytes() copies, so a caller reusing its bytearray cannot change what was stored.
        content = bytes(data)
        with self._lock:
            self._objects[name] = content

    def create_if_absent(self, name: str, data: ObjectData) -> bool:
        validate_name(name)
        content = bytes(data)
        with self._lock:
            if name in self._objects:
                return False
            self._objects[name] = content
            return True

    def load(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        validate_name(name)
        check_range(offset, length)
        content = self._get(name)
        end = range_end(name, len(content), offset, length, self.location)
        return content[offset:end]

    def stat(self, name: str) -> ObjectInfo:
        validate_name(name)
        return ObjectInfo(name, len(self._get(name)))

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        validate_prefix(prefix)
        # Snapshot under the lock so callers may save or remove while iterating.
        with self._lock:
            found = [ObjectInfo(n, len(c)) for n, c in self._objects.items() if is_under(n, prefix)]
        return iter(found)

    def remove(self, name: str) -> None:
        validate_name(name)
        with self._lock:
            if self._objects.pop(name, None) is None:
                raise self._not_found(name)

    def close(self) -> None:
        """Nothing to release; the objects stay available to anyone holding the instance."""

    def _get(self, name: str) -> bytes:
        with self._lock:
            content = self._objects.get(name)
        if content is None:
            raise self._not_found(name)
        return content

    def _not_found(self, name: str) -> NotFoundError:
        return NotFoundError(f"object {name!r} not found in {self.location}")

    def __repr__(self) -> str:
        return f"MemoryBackend({len(self._objects)} objects)"
