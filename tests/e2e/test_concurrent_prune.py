"""Many hosts, no blocking: backups of three hosts run while a prune with no grace period runs in
a loop, on one local repository. Nothing waits for anything; only the lock rule (a pack is not
deleted while an operation that may refer to it lives) and the backups' re-indexing of packs a
prune took away protect the data. Every snapshot that survives must restore bit for bit.

A backup may fail with the documented "deleted by a concurrent prune ... run the backup again"
(exit 1), and then must leave no snapshot; any other failure is a bug.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from snapstore.archiver import Archiver, BackupOptions, ExcludeRules
from snapstore.backend import MemoryBackend
from snapstore.backend.faulty import FaultyBackend
from snapstore.gc import PruneOptions, prune
from snapstore.pack import pack_object_name
from snapstore.repository import Repository, RepositoryConfig
from tests.e2e.conftest import CHEAP_KDF, PASSWORD, Snap, init_local_repository
from tests.gc.conftest import restores_identically

HOSTS = 3
ROUNDS = int(os.environ.get("SNAP_STRESS_ROUNDS", "4"))  # backups per host
MAX_PRUNES = 60  # the prune loop stops when the backups are done, and at this many rounds
RUN_TIMEOUT = 45  # seconds for any one `snap` run
KiB = 1024
RETRY_MESSAGE = "deleted by a concurrent prune; the snapshot was not saved: run the backup again"


def manifest(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file, and "dir" for every folder."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = str(path.relative_to(folder))
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            found[relative] = "other"
        elif path.is_dir():
            found[relative] = "dir"
        else:
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@dataclass
class Log:
    """What happened, in order, for the failure message."""

    started: float = field(default_factory=time.monotonic)
    lines: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, who: str, what: str) -> None:
        with self.lock:
            self.lines.append(f"{time.monotonic() - self.started:7.3f} {who}: {what}")

    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Saved:
    host: str
    round: int
    source: Path
    reference: Path  # a copy of the source as it was backed up
    files: dict[str, str]


@dataclass
class Outcome:
    saved: dict[str, Saved] = field(default_factory=dict)  # snapshot id -> what it holds
    retried: int = 0  # backups refused with the documented concurrent-prune error
    failures: list[str] = field(default_factory=list)
    prunes: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)  # snapshot ids the prune loop saw


class Source:
    """A host's folder: a few files of its own and some from a pool all hosts share, changed
    between backups (one file rewritten, one added, one deleted)."""

    def __init__(self, folder: Path, rng: random.Random, pool: list[bytes]) -> None:
        self.folder, self.rng, self.pool = folder, rng, pool
        self.counter = 0
        (folder / "sub").mkdir(parents=True)
        for _ in range(2):
            self.add(fresh=True)
        for _ in range(2):
            self.add(fresh=False)

    def content(self, fresh: bool) -> bytes:
        if fresh:
            return self.rng.randbytes(self.rng.randint(100, 600) * KiB)
        return self.rng.choice(self.pool)

    def files(self) -> list[Path]:
        return sorted(p for p in self.folder.rglob("*") if p.is_file())

    def add(self, fresh: bool | None = None) -> None:
        self.counter += 1
        where = self.folder / "sub" if self.rng.random() < 0.4 else self.folder
        fresh = self.rng.random() < 0.5 if fresh is None else fresh
        (where / f"file-{self.counter}").write_bytes(self.content(fresh))

    def change(self) -> None:
        self.rng.choice(self.files()).write_bytes(self.content(self.rng.random() < 0.6))
        self.add()
        files = self.files()
        if len(files) > 3:
            self.rng.choice(files).unlink()


def run(snap: Snap, *args: str | Path, cache: str = "main") -> subprocess.CompletedProcess[bytes]:
    """`snap ARGS` as a host with its own index cache (hosts do not share one)."""
    env = {**snap.env, "SNAP_CACHE_DIR": str(snap.root / f"cache-{cache}")}
    return subprocess.run(
        ["snap", *(os.fspath(a) for a in args)], capture_output=True, env=env,
        stdin=subprocess.DEVNULL, timeout=RUN_TIMEOUT, check=False,
    )  # fmt: skip


def backup_worker(
    snap: Snap, number: int, source: Source, refs: Path, outcome: Outcome, log: Log
) -> None:
    host = f"host-{number}"
    for round_ in range(ROUNDS):
        if round_:
            source.change()
        reference = refs / f"{host}-{round_}"
        shutil.copytree(source.folder, reference, symlinks=True)
        files = manifest(source.folder)
        log.add(host, f"backup round {round_} starts ({len(files)} entries)")
        done = run(snap, "backup", "--host", host, "--json", source.folder, cache=host)
        err = done.stderr.decode().strip()
        if done.returncode == 0:
            snapshot_id = json.loads(done.stdout)["snapshot_id"]
            outcome.saved[snapshot_id] = Saved(host, round_, source.folder, reference, files)
            log.add(host, f"backup round {round_} saved {snapshot_id[:12]}")
        elif done.returncode == 1 and RETRY_MESSAGE in err and len(err.splitlines()) == 1:
            outcome.retried += 1
            log.add(host, f"backup round {round_} refused: {err}")
        else:
            outcome.failures.append(f"{host} round {round_}: exit {done.returncode}: {err}")
            log.add(host, f"backup round {round_} FAILED exit {done.returncode}: {err}")
        assert manifest(source.folder) == files  # nothing changed the source meanwhile


def prune_worker(snap: Snap, backups_done: threading.Event, outcome: Outcome, log: Log) -> None:
    for number in range(MAX_PRUNES):
        if backups_done.is_set():
            return
        log.add("prune", f"round {number} starts")
        done = run(
            snap, "forget", "--keep-last", "2", "--prune", "--grace", "0h", "--json", cache="prune"
        )
        if done.returncode != 0:
            outcome.failures.append(
                f"prune round {number}: exit {done.returncode}: {done.stderr.decode().strip()}"
            )
            log.add("prune", f"round {number} FAILED: {done.stderr.decode().strip()}")
            continue
        document = json.loads(done.stdout)
        report = document["prune"]
        outcome.prunes.append(report)
        for group in document["groups"]:
            outcome.seen |= {s["id"] for s in group["keep"] + group["remove"]}
        forgotten = [s["id"][:12] for g in document["groups"] for s in g["remove"]]
        log.add("prune", f"round {number}: forgot {forgotten}, marked {report['marked_packs']}, "
                         f"deleted {report['deleted_packs']}, waiting {report['waiting_packs']}, "
                         f"rescued {report['rescued_packs']}, repacked {report['repacked_packs']}")  # fmt: skip


def guarded(outcome: Outcome, work: Callable[..., None], *args: Any) -> threading.Thread:
    """A thread running `work`; whatever it raises (a timeout, bad output) becomes a failure."""

    def body() -> None:
        try:
            work(*args)
        except BaseException:  # noqa: BLE001 - reported by the test, not lost in the thread
            outcome.failures.append(traceback.format_exc())

    return threading.Thread(target=body)


def has_check(snap: Snap) -> bool:
    return run(snap, "check", "--help").returncode == 0


@pytest.mark.timeout(300)
def test_backups_of_many_hosts_survive_a_prune_loop_without_grace(tmp_path: Path) -> None:
    seed = int(os.environ.get("SNAP_STRESS_SEED", time.time_ns() % 10**9))
    log = Log()
    log.add("test", f"seed {seed} (SNAP_STRESS_SEED={seed} replays the same data)")
    snap = Snap(tmp_path / "snap")
    init_local_repository(snap.repo, snap.cache, RepositoryConfig(pack_size=4 << 20))
    shared = random.Random(seed)
    pool = [shared.randbytes(shared.randint(150, 400) * KiB) for _ in range(6)]
    sources = [
        Source(tmp_path / f"src-{n}", random.Random(seed * 10 + n), pool) for n in range(HOSTS)
    ]  # fmt: skip
    refs = tmp_path / "refs"
    refs.mkdir()
    outcome = Outcome()
    backups_done = threading.Event()
    workers = [
        guarded(outcome, backup_worker, snap, n, sources[n], refs, outcome, log)
        for n in range(HOSTS)
    ]
    pruner = guarded(outcome, prune_worker, snap, backups_done, outcome, log)
    pruner.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    backups_done.set()
    pruner.join()

    # Whatever failed meanwhile, the data must be intact: finish the garbage collection, then
    # restore every snapshot left. Problems are collected, so one report shows them all.
    problems = list(outcome.failures)
    for _ in range(2):
        done = run(snap, "prune", "--grace", "0h", "--json")
        log.add(
            "final",
            f"prune exit {done.returncode}: {done.stderr.decode().strip() or json.loads(done.stdout)}",
        )
        if done.returncode != 0:
            problems.append(f"final prune: exit {done.returncode}: {done.stderr.decode().strip()}")
    listed = {s["id"] for s in json.loads(run(snap, "snapshots", "--json").stdout)}
    # A refused backup left no snapshot: every snapshot ever seen is one a backup reported.
    if not (listed | outcome.seen) <= set(outcome.saved):
        problems.append(
            f"snapshots no backup reported: {(listed | outcome.seen) - set(outcome.saved)}"
        )
    for host in {s.host for s in outcome.saved.values()}:
        newest = max((s.round, sid) for sid, s in outcome.saved.items() if s.host == host)[1]
        if newest not in listed:
            problems.append(f"the newest snapshot of {host}, {newest[:12]}, was forgotten")
    for snapshot_id in sorted(listed & set(outcome.saved)):
        saved = outcome.saved[snapshot_id]
        what = f"snapshot {snapshot_id[:12]} ({saved.host} round {saved.round})"
        target = tmp_path / "restore" / snapshot_id[:12]
        done = run(snap, "restore", snapshot_id, "--target", target)
        if done.returncode != 0:
            problems.append(f"{what} does not restore: {done.stderr.decode().strip()}")
            continue
        restored = manifest(Path(str(target) + str(saved.source.absolute())))
        if not restored == saved.files == manifest(saved.reference):
            problems.append(f"{what} restores different content")
    if has_check(snap):
        done = run(snap, "check", "--read-data")
        if done.returncode != 0:
            problems.append(
                f"check --read-data: exit {done.returncode}: {done.stdout.decode()} {done.stderr.decode()}"
            )
    assert not problems, "\n".join(problems) + "\n" + log.text()
    assert len(outcome.prunes) >= 2 and len(listed) >= HOSTS, log.text()  # it did run concurrently
    print(f"seed {seed}: {len(outcome.saved)} snapshots saved, {outcome.retried} backups refused, "
          f"{len(outcome.prunes)} prunes, {sum(r['deleted_packs'] for r in outcome.prunes)} packs "
          f"deleted during backups, {sum(r['rescued_packs'] for r in outcome.prunes)} rescued, "
          f"{len(listed)} restored")  # fmt: skip


# -- one interleaving, replayed deterministically ------------------------------------------------


def test_a_backup_that_finishes_during_the_mark_phase_still_holds_deletion(tmp_path: Path) -> None:
    """Found by the stress test: a prune listed the locks only after reading the index and the
    snapshots. A backup that re-indexed a marked pack, saved its snapshot and released its lock
    in between was neither seen as a snapshot nor as a lock, and the pack was deleted."""
    backend = MemoryBackend()
    first_host = Repository.init(backend, PASSWORD, tmp_path / "c1", kdf=CHEAP_KDF)
    source = tmp_path / "src"
    source.mkdir()
    (source / "x").write_bytes(os.urandom(700_000))

    def backup(repo: Repository, host: str) -> str:
        options = BackupOptions(paths=(source,), hostname=host, username="u")
        snapshot_id = Archiver(repo, options, ExcludeRules(), None).run().snapshot_id
        assert snapshot_id is not None
        return snapshot_id

    first = backup(first_host, "a")
    # A backup on another host deduplicates against the first one's packs, then pauses where it
    # makes sure they are still indexed (before its snapshot is saved).
    started, paused, resume = threading.Event(), threading.Event(), threading.Event()

    def pause_backup(kind: str, name: str) -> None:
        if started.is_set() and not paused.is_set() and kind == "list" and name == "index":
            paused.set()
            resume.wait(30)

    other = Repository.open(FaultyBackend(backend, pause_backup), PASSWORD, tmp_path / "c2")
    saved: dict[str, str] = {}
    worker = threading.Thread(target=lambda: saved.setdefault("id", backup(other, "b")))
    started.set()
    worker.start()
    assert paused.wait(30)
    reused = set(other.blobs.reused_packs)
    assert reused
    backend.remove(f"snapshots/{first}")
    no_grace = PruneOptions(grace=timedelta(0))
    assert prune(first_host, no_grace).marked_packs >= len(reused)  # the backup's lock lives

    # The next prune: the backup re-indexes, saves and releases its lock after this prune has
    # listed the snapshots and before it reaches the deletions.
    snapshots_listed = threading.Event()

    def finish_backup_meanwhile(kind: str, name: str) -> None:
        if kind == "list" and name == "snapshots":
            snapshots_listed.set()
        elif (
            kind == "list" and name == "locks" and snapshots_listed.is_set() and not resume.is_set()
        ):
            resume.set()
            worker.join(30)

    pruning = Repository.open(
        FaultyBackend(backend, finish_backup_meanwhile), PASSWORD, tmp_path / "c3"
    )
    report = prune(pruning, no_grace)
    assert resume.is_set() and "id" in saved
    assert report.deleted_packs == 0
    for pack_id in reused:
        backend.stat(pack_object_name(pack_id))  # still there
    # The snapshot it saved is used from the next prune on, and restores bit for bit.
    prune(first_host, no_grace)
    fresh = Repository.open(backend, PASSWORD, tmp_path / "c4")
    assert restores_identically(fresh, saved["id"], source, tmp_path / "out")
