"""A throw-away MariaDB server from Debian's `mariadb-server` package (.ci/run installs it):
mariadb-install-db in a private temporary folder, listening on 127.0.0.1 at a free port, root
without a password, stopped with SIGTERM (then SIGKILL) at the end."""

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

MARIADBD = Path("/usr/sbin/mariadbd")


class MariaDbServer:
    def __init__(self) -> None:
        assert MARIADBD.exists(), "MariaDB not installed: apt-get install mariadb-server (.ci/run does)"
        assert shutil.which("mariadb-install-db"), "mariadb-install-db missing"
        self.home = private_folder("snaptest-mariadb-", None)
        self.data = self.home / "data"
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> MariaDbServer:
        # --user=root: the server refuses to run as root unless told to (it drops no privileges).
        run(["mariadb-install-db", "--no-defaults", f"--datadir={self.data}", "--user=root",
             "--auth-root-authentication-method=normal", "--skip-test-db"])  # fmt: skip
        self.port = free_port()
        with open(self.home / "log", "wb") as log:
            self._process = subprocess.Popen(
                [str(MARIADBD), "--no-defaults", f"--datadir={self.data}", "--user=root",
                 f"--port={self.port}", "--bind-address=127.0.0.1", f"--socket={self.home}/sock",
                 f"--pid-file={self.home}/pid", "--innodb-buffer-pool-size=16M", "--skip-log-bin"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        wait_until(self._accepts, "MariaDB")
        return self

    def _accepts(self) -> bool:
        assert self._process is not None
        if self._process.poll() is not None:
            raise AssertionError(f"MariaDB exited: {(self.home / 'log').read_text()[-2000:]}")
        done = subprocess.run(self.client("mariadb", "-e", "SELECT 1"), capture_output=True,
                              timeout=10, check=False)  # fmt: skip
        return done.returncode == 0

    def stop(self) -> None:
        try:
            if self._process is not None:
                stop_process(self._process)
        finally:
            shutil.rmtree(self.home, ignore_errors=True)

    def url(self, dbname: str) -> str:
        return f"mysql://root@127.0.0.1:{self.port}/{dbname}"

    def client(self, tool: str, *args: str) -> list[str]:
        return [tool, "--no-defaults", "-h", "127.0.0.1", "-P", str(self.port), "-u", "root", *args]

    def sql(self, dbname: str, statement: str | None = None, *, input: bytes | None = None) -> str:
        """Run SQL in `dbname`; rows tab-separated, no headers."""
        argv = self.client("mariadb", "-N", "-B", dbname)
        if statement is not None:
            argv += ["-e", statement]
        return run(argv, input=input).decode()
