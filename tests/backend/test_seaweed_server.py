"""The S3 test server helper cleans up after itself even when weed is killed: its folder (data,
logs, the sockets it was told to put there) and the gRPC sockets it leaves in /tmp are removed,
and folders of servers from sessions that were themselves killed are removed by the next one."""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

from tests.backend.seaweed import WORKDIR_PREFIX, SeaweedServer, remove_stale_workdirs


def leftover_sockets(ports: list[int]) -> list[Path]:
    return [p for port in ports for p in Path("/tmp").glob(f"seaweedfs-*-{port}.sock")]


def test_stop_after_sigkill_leaves_nothing() -> None:
    server = SeaweedServer()
    server.start()
    assert server.process is not None
    ports = list(server._ports)
    assert leftover_sockets(ports)  # weed made them, outside its folder
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()
    server.stop()
    assert not server.workdir.exists()
    assert leftover_sockets(ports) == []


def test_folders_of_dead_servers_are_removed() -> None:
    dead = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))
    (dead / "weed.pid").write_text("999999999")  # no such process
    (dead / "ports").write_text("1 2")
    socket_left = Path("/tmp/seaweedfs-master-grpc-2.sock")
    socket_left.write_bytes(b"")
    alive = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))
    (alive / "weed.pid").write_text(str(os.getpid()))
    starting = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))  # no pid file yet
    try:
        remove_stale_workdirs()
        assert not dead.exists() and not socket_left.exists()
        assert alive.exists() and starting.exists()
    finally:
        for folder in (dead, alive, starting):
            if folder.exists():
                (folder / "weed.pid").unlink(missing_ok=True)
                folder.rmdir()
