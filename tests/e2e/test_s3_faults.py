"""Backups and restores on a real S3 server (SeaweedFS) through a fault-injecting wrapper: a share
of requests fail, are delayed, lose their answer after taking effect, or have their download
cut short. With retries (RetryingBackend, as `snap` opens S3) everything still succeeds bit for
bit; when retries run out the error is one line, and the repository stays consistent: the next
backup works and a full check finds nothing wrong."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from pathlib import Path

import pytest

from snapstore.archiver import Archiver, BackupOptions, ExcludeRules
from snapstore.backend import Backend
from snapstore.backend.faulty import FaultyBackend, RandomFaults
from snapstore.backend.retrying import RetryingBackend, RetryPolicy
from snapstore.backend.s3 import S3Backend
from snapstore.checker import CheckOptions, check_repository
from snapstore.errors import TransientBackendError
from snapstore.repository import Repository, RepositoryConfig
from snapstore.restorer import RestoreOptions, Restorer
from tests.conftest import S3TestServer
from tests.e2e.conftest import CHEAP_KDF, PASSWORD
from tests.e2e.sample_tree import build_sample_tree
from tests.e2e.test_s3 import S3Snap
from tests.e2e.tree_compare import assert_same_tree

# Retries as `snap` makes them, without the waiting.
FAST_RETRIES = RetryPolicy(retries=8, base_delay=0.001, max_delay=0.01)
# The random faults below hit an attempt with a chance of up to 0.6 (a save: 0.2 + 0.8 * 0.5):
# 40 retries make a request that fails every attempt (0.6 ** 41, about 1e-9) a non-event,
# whatever order the threads draw the faults in.
PATIENT_RETRIES = RetryPolicy(retries=40, base_delay=0.001, max_delay=0.01)
# Small packs, so that there are more saves and loads to fault.
FAULTY_PACK_SIZE = 1 << 20


def s3_backend(server: S3TestServer, bucket: str) -> S3Backend:
    return S3Backend(server.endpoint_url, bucket, "repo", region_name=server.region,
                     access_key_id=server.access_key_id,
                     secret_access_key=server.secret_access_key)  # fmt: skip


def backup(repo: Repository, source: Path) -> str:
    options = BackupOptions(paths=(source,), hostname="faulty-host", username="u")
    return Archiver(repo, options, ExcludeRules(), None).run().snapshot_id


def restore_and_compare(repo: Repository, snapshot_id: str, source: Path, target: Path) -> None:
    Restorer(repo, repo.load_snapshot(snapshot_id), RestoreOptions(target=target)).run()
    restored = os.fsencode(target / source.relative_to("/"))
    assert assert_same_tree(os.fsencode(source), restored, with_xattrs=False) > 20


def full_check_errors(backend: Backend, cache: Path) -> list[str]:
    repo = Repository.open(backend, PASSWORD, cache)
    try:
        report = check_repository(repo, CheckOptions(read_data=True))
    finally:
        repo.close()
    return [problem.message for problem in report.errors]


def test_backup_and_restore_succeed_through_faults(
    tmp_path: Path, s3_server: S3TestServer, s3_bucket: str
) -> None:
    # Shares high enough that every kind of fault is drawn well over 5 times for any seed (and
    # any order in which threads draw them): at 0.15 lost responses of some 25 saves, "> 5"
    # held only by the luck of one seed, and failed for 7 of the 8 seeds next to it.
    faults = RandomFaults(
        seed=7, fail=0.2, lose_response=0.5, cut_reads=0.4, delay=0.2, delay_seconds=0.02
    )
    healthy = s3_backend(s3_server, s3_bucket)
    faulty = RetryingBackend(FaultyBackend.random(healthy, faults), PATIENT_RETRIES)
    tree = build_sample_tree(tmp_path / "src")

    config = RepositoryConfig(pack_size=FAULTY_PACK_SIZE)
    repo = Repository.init(faulty, PASSWORD, tmp_path / "cache-1", config=config, kdf=CHEAP_KDF)
    try:
        first = backup(repo, tree.root)
        (tree.root / "small.txt").write_bytes(b"changed\n")
        second = backup(repo, tree.root)
    finally:
        repo.close()
    # A new cache: the restore reads index, trees and data through the faults. Twice, so that
    # there are enough loads for cut reads to be drawn several times whatever the seed and the
    # threads' order (a tree pack is one load: a single restore makes some 25).
    for attempt in (1, 2):
        repo = Repository.open(faulty, PASSWORD, tmp_path / f"cache-restore-{attempt}")
        try:
            restore_and_compare(repo, second, tree.root, tmp_path / f"restored-{attempt}")
            assert {snapshot_id for snapshot_id, _ in repo.list_snapshots()} == {first, second}
        finally:
            repo.close()

    assert faults.injected["fail"] > 5 and faults.injected["lose_response"] > 5
    assert faults.injected["cut_read"] > 5 and faults.injected["delay"] > 5
    assert faulty.retried >= sum(faults.injected[k] for k in ("fail", "lose_response", "cut_read"))
    assert full_check_errors(healthy, tmp_path / "cache-check") == []


class ServerDownAfter:
    """A fault plan: the first `healthy_writes` saves go through, then every request fails (a
    server that stays down longer than the retries last)."""

    def __init__(self, healthy_writes: int) -> None:
        self.writes_left = healthy_writes
        self.down = False

    def __call__(self, kind: str, name: str) -> BaseException | None:
        if not self.down and kind == "save":
            self.writes_left -= 1
            self.down = self.writes_left < 0
        return (
            TransientBackendError(f"injected: server down ({kind} {name!r})") if self.down else None
        )


@pytest.mark.parametrize("healthy_writes", [0, 2])
def test_backup_fails_cleanly_when_retries_run_out(
    tmp_path: Path, s3_server: S3TestServer, s3_bucket: str, healthy_writes: int
) -> None:
    healthy = s3_backend(s3_server, s3_bucket)
    Repository.init(healthy, PASSWORD, tmp_path / "cache-init", kdf=CHEAP_KDF).close()
    tree = build_sample_tree(tmp_path / "src")
    outage = ServerDownAfter(healthy_writes)
    failing = RetryingBackend(FaultyBackend(healthy, outage), RetryPolicy(2, 0.001, 0.01))

    repo = Repository.open(failing, PASSWORD, tmp_path / "cache-1")
    with pytest.raises(TransientBackendError) as failure:
        try:
            backup(repo, tree.root)
        finally:
            outage.down = False  # so that closing can release the lock, as after an outage
            repo.close()
    message = str(failure.value)
    assert "gave up after 3 attempts" in message and "\n" not in message

    # The server is back: the next backup works, restores bit for bit, and nothing is broken.
    repo = Repository.open(RetryingBackend(healthy, FAST_RETRIES), PASSWORD, tmp_path / "cache-1")
    try:
        snapshot_id = backup(repo, tree.root)
        assert [sid for sid, _ in repo.list_snapshots()] == [snapshot_id]
        restore_and_compare(repo, snapshot_id, tree.root, tmp_path / "restored")
    finally:
        repo.close()
    assert full_check_errors(healthy, tmp_path / "cache-check") == []


class OutageProxy:
    """A TCP proxy on 127.0.0.1 in front of the S3 server that goes down for good once
    `bytes_before_outage` bytes went from client to server: every connection is then cut and
    new ones are closed at once, as when a link or a server dies during a backup."""

    def __init__(self, target_port: int, bytes_before_outage: int) -> None:
        self.target_port = target_port
        self.budget = bytes_before_outage
        self.down = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            if self.down:
                client.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, upload: bool) -> None:
        try:
            while data := source.recv(65536):
                if upload:
                    with self._lock:
                        self.budget -= len(data)
                    if self.budget < 0:
                        self.go_down()
                        return
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def go_down(self) -> None:
        self.down = True
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def close(self) -> None:
        self.go_down()
        self._listener.close()


def test_snap_backup_fails_in_one_line_when_the_server_stays_down(
    tmp_path: Path, s3_server: S3TestServer, s3_bucket: str
) -> None:
    Repository.init(
        s3_backend(s3_server, s3_bucket), PASSWORD, tmp_path / "c0", kdf=CHEAP_KDF
    ).close()
    source = tmp_path / "src"
    source.mkdir()
    for number in range(4):
        (source / f"f{number}").write_bytes(os.urandom(300_000))
    proxy = OutageProxy(int(s3_server.endpoint_url.rsplit(":", 1)[1]), 400_000)
    try:
        via_proxy = f"s3:http://127.0.0.1:{proxy.port}/{s3_bucket}/repo"
        snap = S3Snap(tmp_path / "snap", location=via_proxy, server_env=s3_server.env)
        fast = {"SNAP_S3_RETRIES": "2", "SNAP_S3_RETRY_DELAY": "0.01", "SNAP_S3_REQUEST_ATTEMPTS": "1",
                "SNAP_S3_CONNECT_TIMEOUT": "2", "SNAP_S3_READ_TIMEOUT": "5"}  # fmt: skip
        message = snap.fails("backup", source, code=1, env=fast)
        assert proxy.down
        assert "gave up after 3 attempts" in message, message
    finally:
        proxy.close()

    # The server is reachable again: the next backup works and everything checks clean.
    direct = S3Snap(tmp_path / "snap", location=s3_server.location(s3_bucket, "repo"),
                    server_env=s3_server.env)  # fmt: skip
    document = direct.backup(source)
    assert [s["id"] for s in direct.json("snapshots")] == [document["snapshot_id"]]
    assert direct.json("check", "--read-data")["ok"]
    direct.ok("restore", "latest", "--target", tmp_path / "restored")
    restored = tmp_path / "restored" / source.relative_to("/")
    assert all((restored / p.name).read_bytes() == p.read_bytes() for p in source.iterdir())
