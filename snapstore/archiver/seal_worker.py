"""A backup's helper process: reads small files and seals each into a data blob, so that this
per-file work (system calls, hashing, compression, encryption, and the Python around them) runs
beside the backup process instead of contending for its interpreter lock (docs/design.md §12).

Run as `python -m snapstore.archiver.seal_worker` by `SealProcess`, never by a user
(`snapstore.helper_process`): the setup is `(DataSealing, limit)`, then each request is a list
of paths, answered by one list of results in the same order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from snapstore.archiver.file_reading import read_small
from snapstore.crypto import Sealer
from snapstore.helper_process import serve_requests
from snapstore.repository.data_sealing import DataSealing

# A result per path: ("sealed", blob id, envelope, raw length, compression), ("empty",),
# ("large",) for a file grown past the limit, or ("error", errno, strerror).
Result = tuple[object, ...]
EMPTY: Result = ("empty",)
LARGE: Result = ("large",)


def seal_path(sealing: DataSealing, sealer: Sealer, path: bytes, limit: int) -> Result:
    try:
        data = read_small(path, limit)
    except OSError as error:
        return ("error", error.errno, error.strerror)
    if data is None:
        return LARGE
    if not data:
        return EMPTY
    sealed = sealing.seal(sealer, data)
    return ("sealed", sealed.blob_id, sealed.envelope, sealed.raw_length, sealed.compression)


def make_handler(setup: object) -> Callable[[object], object]:
    sealing, limit = cast(tuple[DataSealing, int], setup)
    sealer = sealing.sealer()

    def handle(paths: object) -> object:
        return [seal_path(sealing, sealer, p, limit) for p in cast(list[bytes], paths)]

    return handle


if __name__ == "__main__":
    serve_requests(make_handler)
