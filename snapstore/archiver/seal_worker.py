"""A backup's helper process: reads small files and seals each into a data blob, so that this
per-file work (system calls, hashing, compression, encryption, and the Python around them) runs
beside the backup process instead of contending for its interpreter lock (docs/design.md §12).

Run as `python -m snapstore.archiver.seal_worker` by `SealProcess`, never by a user. It speaks
pickle with its parent over standard input and output: first `(DataSealing, limit)`, then one
list of paths per request, each answered by one list of results in the same order.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from typing import BinaryIO

from snapstore.archiver.file_reading import read_small
from snapstore.crypto import Sealer
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


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    sealing, limit = pickle.load(requests)
    sealer = sealing.sealer()
    while True:
        try:
            paths = pickle.load(requests)
        except EOFError:  # the backup is done, or gone
            return
        pickle.dump([seal_path(sealing, sealer, p, limit) for p in paths], answers, pickle.HIGHEST_PROTOCOL)
        answers.flush()


def main() -> None:
    # Ctrl-C reaches the whole process group: the backup process handles it and closes our pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the answers
    try:
        serve(requests, answers)
    except BrokenPipeError:
        os._exit(1)  # the backup process went away


if __name__ == "__main__":
    main()
