"""A backend wrapper that counts one request per call, for backends without requests of their own
(local folders, memory): what the same operations would cost on object storage, minus retries
and listing pages, which only the S3 backend can see."""

from __future__ import annotations

import os
from collections.abc import Iterator

from snapstore.backend.base import Backend, FileSaver, ObjectData, ObjectInfo
from snapstore.backend.request_counter import RequestCounter, counter_for_new_backend
from snapstore.errors import BackendError


class CountingBackend:
    def __init__(self, inner: Backend, counter: RequestCounter | None = None) -> None:
        self.inner = inner
        self.location = inner.location
        self.requests = counter.attach() if counter is not None else counter_for_new_backend()

    def save(self, name: str, data: ObjectData) -> None:
        self.requests.add("PUT", sent=memoryview(data).nbytes)
        self.inner.save(name, data)

    def save_file(self, name: str, source: int, size: int) -> None:
        """`FileSaver`, whatever the inner backend: one that cannot save from a file gets the
        file's bytes read into memory."""
        self.requests.add("PUT", sent=size)
        if isinstance(self.inner, FileSaver):
            self.inner.save_file(name, source, size)
        else:
            self.inner.save(name, _read_file(name, source, size))

    def create_if_absent(self, name: str, data: ObjectData) -> bool:
        self.requests.add("PUT", sent=memoryview(data).nbytes)
        return self.inner.create_if_absent(name, data)

    def load(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        # Counted first, like every call here: a failed request is still a request.
        self.requests.add("GET")
        data = self.inner.load(name, offset, length)
        self.requests.add_received(len(data))
        return data

    def stat(self, name: str) -> ObjectInfo:
        self.requests.add("HEAD")
        return self.inner.stat(name)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        self.requests.add("LIST")
        return self.inner.list(prefix)

    def remove(self, name: str) -> None:
        self.requests.add("DELETE")
        self.inner.remove(name)

    def close(self) -> None:
        self.inner.close()

    def __repr__(self) -> str:
        return f"CountingBackend({self.inner!r})"


def _read_file(name: str, source: int, size: int) -> bytearray:
    data = bytearray(size)
    with memoryview(data) as view:
        position = 0
        while position < size:  # a read may return fewer bytes than asked (> 2 GiB on Linux)
            got = os.preadv(source, [view[position:]], position)
            if not got:
                raise BackendError(
                    f"cannot save {name!r}: its source file ended at byte {position} of {size}"
                )
            position += got
    return data
