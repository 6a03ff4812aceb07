"""A dump that its producer writes to a file (SQLite's online copy, `redis-cli --rdb`): made in
a private temporary folder, stored, then deleted. The folder needs free space for one dump."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from snapstore.errors import StreamError
from snapstore.sources.stream_file import BlockReader, StreamFile


@dataclass(frozen=True, kw_only=True)
class ProducedFileSource(StreamFile):
    produce: Callable[[Path], None]  # writes the dump at the path given; StreamError if it fails
    label: str
    temp_dir: Path | None = None  # None: the system's temporary folder

    @contextmanager
    def open(self) -> Iterator[BlockReader]:
        try:
            if self.temp_dir is not None:
                self.temp_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            folder = tempfile.TemporaryDirectory(prefix="snap-dump-", dir=self.temp_dir)
        except OSError as error:
            raise StreamError(f"cannot make a temporary folder for {self.label} in "
                              f"{self.temp_dir or tempfile.gettempdir()}: {error.strerror}") from None
        with folder as name:
            target = Path(name) / "dump"
            self.produce(target)
            if not target.is_file():
                raise StreamError(f"{self.label} wrote no dump; no snapshot was saved")
            with open(target, "rb", buffering=0) as raw:
                yield BlockReader(raw, f"the dump of {self.label}")
