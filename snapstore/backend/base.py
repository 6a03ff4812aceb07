"""The storage protocol every backend implements, and the rules for object names.

A backend knows nothing about packs, indexes or encryption: it stores opaque, immutable byte
strings under slash-separated names. Layout decisions (which folder, how many shard levels)
belong to the repository layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from snapstore.errors import BackendError

# What `save` and `create_if_absent` accept. bytearray is allowed so that writers can hand over a
# reusable buffer; backends copy or write it out before returning, never keep a reference.
ObjectData = bytes | bytearray | memoryview

# Segments starting with a dot are reserved for a backend's own bookkeeping (for example the
# temporary files of in-progress saves on the local backend), so no object can collide with them
# and `list` can skip them without looking further.
_RESERVED_SEGMENT_START = "."


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What `stat` and `list` report about one stored object."""

    name: str
    size: int


def validate_name(name: str) -> str:
    """Return `name` if it is a valid object name, else raise ValueError (TypeError if not a str).

    A name is one or more non-empty segments joined by '/'. Forbidden: a leading or trailing
    slash, empty segments, segments starting with '.' (covers '.' and '..'), backslashes and NUL.
    The checks are strict because a name becomes a filesystem path on the local backend: a name
    that could escape the repository root or alias another name must never reach it.
    """
    if not isinstance(name, str):
        raise TypeError(f"object name must be a str, not {type(name).__name__}")
    if not name:
        raise ValueError("object name must not be empty")
    if "\\" in name or "\x00" in name:
        raise ValueError(f"object name {name!r} contains a backslash or NUL")
    for segment in name.split("/"):
        if not segment:
            raise ValueError(f"object name {name!r} has an empty segment or a leading/trailing '/'")
        if segment.startswith(_RESERVED_SEGMENT_START):
            raise ValueError(f"object name {name!r} has a segment starting with '.'")
    return name


def validate_prefix(prefix: str) -> str:
    """Return `prefix` if it is valid for `Backend.list`: '' (everything) or a valid name."""
    if prefix == "":
        return prefix
    return validate_name(prefix)


def is_under(name: str, prefix: str) -> bool:
    """True if object `name` lies in folder `prefix` at any depth ('' contains every name)."""
    return prefix == "" or name.startswith(prefix + "/")


def check_range(offset: int, length: int | None) -> None:
    """Reject range arguments that are wrong whatever the object (a caller bug, not an I/O error)."""
    if offset < 0:
        raise ValueError(f"offset must be >= 0, got {offset}")
    if length is not None and length < 0:
        raise ValueError(f"length must be >= 0 or None, got {length}")


def range_end(name: str, size: int, offset: int, length: int | None, location: str) -> int:
    """Return the end of the requested range of an object of `size` bytes.

    Raises BackendError when the object is shorter than the range: a truncated object must
    surface as an error at the storage layer, never as silently short data further up.
    """
    end = size if length is None else offset + length
    if offset > size or end > size:
        raise BackendError(
            f"object {name!r} in {location} is {size} bytes, "
            f"shorter than the requested range {offset}..{end}"
        )
    return end


def waits_round_trips(backend: object) -> bool:
    """Does each request to `backend` wait a network round trip (an object store)? Then reading
    more at once, or more reads at a time, pays for the memory it costs; a local folder (also a
    NAS mount) answers in microseconds from the page cache or the mount's own read-ahead. A
    backend says so with a true `round_trips` attribute; wrappers answer for their `inner`."""
    while backend is not None:
        if getattr(backend, "round_trips", False):
            return True
        backend = getattr(backend, "inner", None)
    return False


@runtime_checkable
class Backend(Protocol):
    """A key/value store of opaque, immutable objects.

    All methods raise ValueError for an invalid name, NotFoundError (a BackendError) when a named
    object is missing, and BackendError for any other storage failure. Implementations must be
    safe to call from several threads at once.
    """

    location: str
    """Where the objects live, for messages (a path, a URL); never contains credentials."""

    def save(self, name: str, data: ObjectData) -> None:
        """Store `data` under `name` atomically, replacing any existing object.

        Readers see either the previous state or the complete new object, never a prefix of it.
        """
        ...

    def create_if_absent(self, name: str, data: ObjectData) -> bool:
        """Atomically create the object; return False and change nothing if it already exists.

        Two processes racing on the same name: exactly one gets True.
        """
        ...

    def load(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        """Return `length` bytes from `offset` (to the end if `length` is None).

        Raises BackendError if the object is shorter than the range.
        """
        ...

    def stat(self, name: str) -> ObjectInfo:
        """Return the name and size of the object."""
        ...

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Yield every object in folder `prefix` at any depth ('' for all), in no set order.

        `list("data")` yields `data/ab/<hex>` but not an object named `data` or `database/x`.
        """
        ...

    def remove(self, name: str) -> None:
        """Delete the object."""
        ...

    def close(self) -> None:
        """Release resources (connections, handles). The backend is not used afterwards."""
        ...


@runtime_checkable
class FileSaver(Protocol):
    """A backend that can also store an object straight from an open file (optional).

    The local backend copies file to file inside the kernel, so a pack spooled to a temporary
    file never passes through the process's memory: mapping it for `save` would make its pages
    count in the process's resident memory while they are written out.
    """

    def save_file(self, name: str, source: int, size: int) -> None:
        """Store bytes [0, size) of the file open for reading as descriptor `source` under
        `name`, atomically, like `save`; its file position is not used. Raises BackendError if
        the file holds fewer than `size` bytes."""
        ...
