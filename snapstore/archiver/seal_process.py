"""The backup process's side of a helper process (`seal_worker`): start it, send it paths,
collect their sealed blobs, stop it."""

from __future__ import annotations

from snapstore.helper_process import HelperProcess, HelperProcessError, HelperStartError
from snapstore.repository.data_sealing import DataSealing

# As seal_worker.Result (not imported: that would load the worker module into the package).
Result = tuple[object, ...]

__all__ = ["HelperProcessError", "HelperStartError", "SealProcess"]


class SealProcess:
    """One helper process; used by one thread at a time."""

    def __init__(self, sealing: DataSealing, limit: int) -> None:
        self._helper = HelperProcess("snapstore.archiver.seal_worker", (sealing, limit), "backup")

    @property
    def pid(self) -> int:
        return self._helper.pid

    def seal(self, paths: list[bytes]) -> list[Result]:
        results = self._helper.request(paths)
        if not isinstance(results, list) or len(results) != len(paths):
            raise self._helper.out_of_turn()
        return results

    def close(self) -> None:
        self._helper.close()
