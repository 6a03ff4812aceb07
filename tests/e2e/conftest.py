"""Fixtures of the end-to-end tests: a repository in a temporary folder with its password file
and cache, the environment to run `snap` on it as a subprocess (with a timeout on every run), and
an in-process repository on the memory backend for fast engine tests.

Repositories the `snap` command works on are created in-process with cheap Argon2id parameters
(the key file records them), so each `snap` run costs about 0.15 s instead of 0.3 s; `snap init`
itself is exercised by its own tests.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from snapstore.backend import LocalBackend, MemoryBackend
from snapstore.crypto import KdfParams
from snapstore.pack import load_pack_header
from snapstore.repository import Repository, RepositoryConfig

CHEAP_KDF = KdfParams(memory_kib=64, iterations=1, lanes=1)
PASSWORD = b"correct horse battery staple"
SNAP_TIMEOUT = 60  # seconds for any one `snap` run


@dataclass
class SnapRun:
    """A finished `snap` run: exit code and raw output."""

    args: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def out(self) -> str:
        return self.stdout.decode()

    @property
    def err(self) -> str:
        return self.stderr.decode()


@dataclass
class Snap:
    """A repository folder, its password file and cache, and `snap` run against them."""

    root: Path
    repo: Path = field(init=False)
    cache: Path = field(init=False)
    password_file: Path = field(init=False)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.repo = self.root / "repo"
        self.cache = self.root / "cache"
        self.password_file = self.root / "password"
        self.password_file.write_bytes(PASSWORD + b"\n")

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SNAP_")}
        env.update(
            SNAP_REPOSITORY=str(self.repo),
            SNAP_PASSWORD_FILE=str(self.password_file),
            SNAP_CACHE_DIR=str(self.cache),
            SNAP_AUDIT_LOG=str(self.audit_log),  # never the user's own log
        )
        return env

    @property
    def audit_log(self) -> Path:
        return self.root / "audit.jsonl"

    def run(self, *args: str | os.PathLike[str], env: dict[str, str] | None = None,
            **popen: Any) -> SnapRun:  # fmt: skip
        text_args = tuple(os.fspath(a) for a in args)
        if "input" not in popen:  # `input=` or `stdin=` feed standard input; else it is empty
            popen.setdefault("stdin", subprocess.DEVNULL)
        done = subprocess.run(
            ["snap", *text_args], capture_output=True, env={**self.env, **(env or {})},
            timeout=SNAP_TIMEOUT, check=False, **popen,
        )  # fmt: skip
        return SnapRun(text_args, done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str | os.PathLike[str], **kwargs: Any) -> SnapRun:
        """Run and require success."""
        result = self.run(*args, **kwargs)
        assert result.returncode == 0, (result.args, result.returncode, result.err)
        return result

    def json(self, *args: str | os.PathLike[str], **kwargs: Any) -> Any:
        return json.loads(self.ok(*args, "--json", **kwargs).stdout)

    def fails(self, *args: str | os.PathLike[str], code: int, **kwargs: Any) -> str:
        """Run, require exit `code` and exactly one error line on stderr; return that line."""
        result = self.run(*args, **kwargs)
        assert result.returncode == code, (result.args, result.returncode, result.err)
        assert_one_line_error(result.err)
        return result.err.strip()

    def backup(self, *args: str | os.PathLike[str], **kwargs: Any) -> dict[str, Any]:
        document: dict[str, Any] = self.json("backup", *args, **kwargs)
        return document

    def data_files(self) -> set[str]:
        """Names of the pack files under repo/data (temporary files of a save left out)."""
        return {p.name for p in (self.repo / "data").glob("*/*") if not p.name.startswith(".")}

    def index_files(self) -> set[str]:
        return {p.name for p in (self.repo / "index").iterdir() if not p.name.startswith(".")}

    def pack_blob_types(self, pack_names: set[str]) -> set[int]:
        """The types of the blobs held by the packs named (read from their headers)."""
        repo = self.open()
        try:
            return {
                entry.blob_type
                for name in pack_names
                for entry in load_pack_header(repo.backend, f"data/{name[:2]}/{name}", repo.sealer)
            }
        finally:
            repo.close()

    def open(self) -> Repository:
        """The same repository, in-process (with its own cache, not to share LMDB with `snap`)."""
        return Repository.open(LocalBackend(self.repo), PASSWORD, self.root / "cache-in-process")


def ancestors_state(path: Path) -> list[tuple[int, int]]:
    """Times of the folders above `path`. A backup records them (as restic does), so when another
    process creates files in /tmp between two backups, the second stores new tree blobs for the
    ancestors although nothing below `path` changed."""
    return [(os.lstat(p).st_mtime_ns, os.lstat(p).st_ctime_ns) for p in path.absolute().parents]


def assert_one_line_error(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("snap: error: "), stderr


def init_local_repository(path: Path, cache: Path, config: RepositoryConfig | None = None) -> None:
    Repository.init(LocalBackend(path), PASSWORD, cache, config=config, kdf=CHEAP_KDF).close()


@pytest.fixture
def snap_env(tmp_path: Path) -> Snap:
    """Paths and environment for `snap`, no repository created yet."""
    return Snap(tmp_path / "snap")


@pytest.fixture
def snap(snap_env: Snap) -> Snap:
    """`snap` on a fresh, empty repository (created with cheap KDF parameters)."""
    init_local_repository(snap_env.repo, snap_env.cache)
    return snap_env


@pytest.fixture
def memory_repo(tmp_path: Path) -> Iterator[Repository]:
    """An in-process repository on the memory backend, for fast engine tests."""
    repo = Repository.init(MemoryBackend(), PASSWORD, tmp_path / "mem-cache", kdf=CHEAP_KDF)
    yield repo
    repo.close()
