"""Restore through a repository whose every pack read waits a round trip, as on an object store.

    python bench/restore_latency.py --repo R --password-file P [--cache-dir C]
        [--delays-ms 0,30] [--modes helpers,threads] [--repeat 2] [--target /dev/shm/restore-latency]

Restores the latest snapshot of the local repository R, in this process, with `--delays-ms`
added to every read of a pack (a sleep before the read: the first-byte latency of a remote
store, without its bandwidth), once with every pack run written by helper processes and once by
threads only, alternating, into a fresh `--target` each time (tmpfs by default, so that the
file system is not what is measured). Prints the seconds, the pack reads and the runs of each.
Used for docs/benchmarks.md "Restore from a remote repository"; the machine has no way to add
latency to loopback (no netem), hence the sleep.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from snapstore.backend import LocalBackend
from snapstore.repository import Repository
from snapstore.restorer import RestoreOptions, Restorer

NEVER = 1 << 62  # process_after: no helper process


class DelayedReads:
    """Wraps LocalBackend.load: each read of a pack sleeps `delay` seconds first."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.pack_reads = 0
        self._load = LocalBackend.load

    def install(self) -> None:
        wrapper = self

        def load(backend: LocalBackend, name: str, offset: int = 0, length: int | None = None) -> bytes:
            if name.startswith("data/"):
                wrapper.pack_reads += 1
                time.sleep(wrapper.delay)
            return wrapper._load(backend, name, offset, length)

        LocalBackend.load = load  # type: ignore[method-assign]
        # A folder whose reads wait is what an object store is to the restore: it reads ahead
        # as it does from one (backend.waits_round_trips).
        LocalBackend.round_trips = True  # type: ignore[attr-defined]


def restore_once(args: argparse.Namespace, reads: DelayedReads, mode: str) -> str:
    password = Path(args.password_file).read_bytes().rstrip(b"\n")
    cache = Path(args.cache_dir) if args.cache_dir else Path(args.repo).with_name("restore-latency-cache")
    repo = Repository.open(LocalBackend(args.repo), password, cache)
    target = Path(args.target)
    shutil.rmtree(target, ignore_errors=True)
    try:
        snapshots = sorted(repo.list_snapshots(), key=lambda pair: pair[1].time)
        snapshot = snapshots[-1][1]
        reads.pack_reads = 0
        started = time.perf_counter()
        restorer = Restorer(repo, snapshot, RestoreOptions(target), process_after=0 if mode == "helpers" else NEVER)
        result = restorer.run()
        seconds = time.perf_counter() - started
        runs = restorer._writer.runs_written
        return (f"{seconds:7.2f} s  {result.files} files  pack reads {reads.pack_reads}  "
                f"runs by helpers {runs['helpers']}, by threads {runs['threads']}")  # fmt: skip
    finally:
        repo.close()
        shutil.rmtree(target, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True)
    parser.add_argument("--password-file", required=True)
    parser.add_argument("--cache-dir")
    parser.add_argument("--delays-ms", default="0,30")
    parser.add_argument("--modes", default="helpers,threads")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--target", default="/dev/shm/restore-latency")
    args = parser.parse_args()
    reads = DelayedReads()
    reads.install()
    for delay in (float(d) for d in args.delays_ms.split(",")):
        reads.delay = delay / 1000
        for repetition in range(1, args.repeat + 1):
            for mode in args.modes.split(","):
                line = restore_once(args, reads, mode)
                print(f"delay {delay:4.0f} ms  {mode:8}  repetition {repetition}: {line}", flush=True)


if __name__ == "__main__":
    main()
