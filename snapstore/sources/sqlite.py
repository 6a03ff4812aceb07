"""`sqlite:///PATH`: a consistent online copy (sqlite_copy.py) stored at
`/db/sqlite/PATH`, with the database file's mode and owner."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import SplitResult, unquote

from snapstore.errors import InputError
from snapstore.sources.produced_file import ProducedFileSource
from snapstore.sources.sqlite_copy import copy_online
from snapstore.sources.url_parts import DumpSettings

PREFIX = "/db/sqlite"


def sqlite_path(url: str) -> Path:
    """`sqlite:///abs/app.db` is /abs/app.db; `sqlite:app.db` is relative to the current folder."""
    rest = url.partition(":")[2]
    if rest.startswith("//"):
        rest = rest[2:]
        if not rest.startswith("/"):
            raise InputError(f"--db {url}: use sqlite:///ABSOLUTE/PATH or sqlite:RELATIVE/PATH")
    return Path(os.path.abspath(unquote(rest.partition("?")[0])))


def sqlite_source(url: str, parts: SplitResult, settings: DumpSettings) -> ProducedFileSource:
    path = sqlite_path(url)
    try:
        st = os.stat(path)
    except OSError as error:
        raise InputError(f"--db {url}: {error.strerror}") from None
    if not os.path.isfile(path):
        raise InputError(f"--db {url}: not a file")
    return ProducedFileSource(
        snapshot_path=f"{PREFIX}{path}", tags=("db", "sqlite"),
        mode=st.st_mode & 0o7777, uid=st.st_uid, gid=st.st_gid,
        produce=lambda target: copy_online(path, target), label=f"sqlite://{path}",
        temp_dir=settings.temp_dir,
    )  # fmt: skip
