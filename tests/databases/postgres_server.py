"""A throw-away PostgreSQL cluster from Debian's `postgresql` package (.ci/run installs it):
initdb in a private temporary folder, listening on 127.0.0.1 at a free port with its Unix
socket in that folder, trust authentication, stopped by pg_ctl (or killed) at the end."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

from tests.databases.server_process import as_user, free_port, private_folder, run

POSTGRES_LIBS = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"  # PostgreSQL refuses to run as root


def postgres_bin() -> Path:
    """The bin folder of the newest PostgreSQL installed; AssertionError if there is none."""
    found = sorted(POSTGRES_LIBS.glob("*/bin/initdb"), key=lambda p: int(re.sub(r"\D", "", p.parts[-3]) or 0))
    assert found, "PostgreSQL server not installed: apt-get install postgresql (.ci/run does)"
    return found[-1].parent


class PostgresServer:
    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.home = private_folder("snaptest-pg-", SERVER_USER)
        self.data = self.home / "data"
        self.port = 0
        self._started = False

    def start(self) -> PostgresServer:
        run(as_user(SERVER_USER, [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                                  "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]))  # fmt: skip
        for _ in range(3):  # a free port can be taken by someone else before the server binds it
            self.port = free_port()
            options = (f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 "
                       "-c fsync=off -c full_page_writes=off")  # fmt: skip
            done = subprocess.run(
                as_user(SERVER_USER, [str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                                      str(self.home / "log"), "-o", options, "-w", "-t", "60", "start"]),
                capture_output=True, timeout=90, cwd="/", check=False,
            )  # fmt: skip
            if done.returncode == 0:
                self._started = True
                return self
        raise AssertionError(f"PostgreSQL did not start: {(self.home / 'log').read_text()[-2000:]}")

    def stop(self) -> None:
        try:
            if self._started:
                done = subprocess.run(
                    as_user(SERVER_USER, [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m",
                                          "fast", "-w", "-t", "30", "stop"]),
                    capture_output=True, timeout=60, cwd="/", check=False,
                )  # fmt: skip
                if done.returncode != 0:
                    self._kill_postmaster()
        finally:
            shutil.rmtree(self.home, ignore_errors=True)

    def _kill_postmaster(self) -> None:
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)

    def url(self, dbname: str, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def client(self, tool: str, *args: str) -> list[str]:
        """A client tool's command line for this server, as the `postgres` database user."""
        return [str(self.bin / tool), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", *args]

    def psql(self, dbname: str, sql: str | None = None, *, input: bytes | None = None) -> str:
        """Run SQL (`sql`, or a script on stdin) in `dbname`; unaligned rows, '|' separated."""
        argv = self.client("psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dbname)
        if sql is not None:
            argv += ["-c", sql]
        return run(argv, input=input).decode()

    def create_database(self, name: str) -> None:
        run(self.client("createdb", name))
