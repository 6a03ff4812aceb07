"""A restore's helper process: opens the blobs of the pack runs it is sent and writes them to
their files (`pack_run`), so that this per-file work (system calls, decryption, decompression,
and the Python around them) runs beside the restore process instead of contending for its
interpreter lock (docs/design.md §12).

Run as `python -m snapstore.restorer.restore_worker` by `ContentWriter`, never by a user
(`snapstore.helper_process`): the setup is a `BlobOpening`, then each request is a `PackRun` (as
`run_to_wire` sends it) with the bytes of its read, answered by ("done", RunStats), or by
("integrity" or "restore", message) when the run failed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from snapstore.errors import IntegrityError
from snapstore.helper_process import serve_requests
from snapstore.repository.blob_opening import BlobOpening, open_span
from snapstore.restorer.pack_run import RestoreError, WireRun, run_from_wire, write_run


def make_handler(setup: object) -> Callable[[object], object]:
    assert isinstance(setup, BlobOpening)
    sealer, id_key = setup.sealer(), setup.id_key

    def handle(message: object) -> object:
        wire, data = cast(tuple[WireRun, bytes], message)
        run = run_from_wire(wire)
        try:
            return ("done", write_run(run, open_span(sealer, id_key, run.entries, data)))
        except IntegrityError as error:
            return ("integrity", str(error))
        except RestoreError as error:
            return ("restore", str(error))

    return handle


if __name__ == "__main__":
    serve_requests(make_handler)
