"""A throw-away Redis server from Debian's `redis-server` package (.ci/run installs it), on
127.0.0.1 at a free port, with a password, no persistence of its own, stopped at the end."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.databases.server_process import (
    free_port,
    private_folder,
    run,
    stop_process,
    wait_until,
)

PASSWORD = "redis-secret-7"


class RedisServer:
    def __init__(self, home: Path | None = None) -> None:
        """`home`: the server's folder (removed by `stop`); by default a new temporary one."""
        server = shutil.which("redis-server")
        assert server, "Redis not installed: apt-get install redis-server (.ci/run does)"
        self.server = server
        self.home = home or private_folder("snaptest-redis-", None)
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, dbfilename: str = "dump.rdb") -> RedisServer:
        """Start; a `dbfilename` file already in the folder is loaded (as a restore would)."""
        self.port = free_port()
        self._process = subprocess.Popen(
            [self.server, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.home),
             "--dbfilename", dbfilename, "--save", "", "--appendonly", "no",
             "--requirepass", PASSWORD],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self._accepts, "Redis")
        return self

    def _accepts(self) -> bool:
        assert self._process is not None
        if self._process.poll() is not None:
            raise AssertionError("redis-server exited")
        done = subprocess.run(self.cli("PING"), capture_output=True, timeout=10, check=False)
        return done.stdout.strip() == b"PONG"

    def stop(self) -> None:
        try:
            if self._process is not None:
                stop_process(self._process)
        finally:
            shutil.rmtree(self.home, ignore_errors=True)

    def url(self) -> str:
        return f"redis://:{PASSWORD}@127.0.0.1:{self.port}"

    def cli(self, *args: str, port: int | None = None) -> list[str]:
        return ["redis-cli", "--no-auth-warning", "-a", PASSWORD, "-h", "127.0.0.1", "-p",
                str(port or self.port), *args]  # fmt: skip

    def command(self, *args: str) -> str:
        return run(self.cli(*args)).decode()
