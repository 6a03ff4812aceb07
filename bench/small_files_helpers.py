"""When do helper processes repay their start-up? Backs up N small files (4 KiB of text each,
in folders of 200) with the small-file helpers forced on and forced off, alternating, and prints
the median wall time of each and their ratio for each N.

    python bench/small_files_helpers.py [--counts 1000,2000,4000,8000,16000] [--repeat 3]
        [--work .bench/small-helpers]

Backups run in this process through `Archiver` (interpreter start-up and key derivation are left
out, as they are the same for both), each into a fresh local repository.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from pathlib import Path

from snapstore.archiver import Archiver, BackupOptions, ExcludeRules
from snapstore.backend import LocalBackend
from snapstore.crypto import KdfParams
from snapstore.repository import Repository

CHEAP_KDF = KdfParams(memory_kib=64, iterations=1, lanes=1)
PER_FOLDER = 200


def build(root: Path, count: int) -> None:
    for i in range(count):
        folder = root / f"d{i // PER_FOLDER:04d}"
        if i % PER_FOLDER == 0:
            folder.mkdir(parents=True)
        (folder / f"f{i:06d}.txt").write_bytes((f"line {i} of a small file\n" * 200)[:4096].encode())


def backup_seconds(work: Path, source: Path, helpers: bool) -> float:
    shutil.rmtree(work / "repo", ignore_errors=True)
    shutil.rmtree(work / "cache", ignore_errors=True)
    repo = Repository.init(LocalBackend(work / "repo"), b"bench", work / "cache", kdf=CHEAP_KDF)
    try:
        options = BackupOptions(paths=(source,), hostname="bench", username="bench")
        start = time.perf_counter()
        Archiver(repo, options, ExcludeRules(), None, process_after=0 if helpers else None).run()
        return time.perf_counter() - start
    finally:
        repo.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="1000,2000,4000,8000,16000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(".bench/small-helpers"))
    parser.add_argument("--source", type=Path, help="back up this tree instead (--counts ignored)")
    args = parser.parse_args()
    if args.source:
        compare(args.work, args.source.resolve(), "all", args.repeat)
        return
    print(f"{'files':>7} {'threads s':>10} {'helpers s':>10} {'threads/helpers':>16}")
    for count in (int(c) for c in args.counts.split(",")):
        shutil.rmtree(args.work, ignore_errors=True)
        source = args.work / "source"
        build(source, count)
        compare(args.work, source, str(count), args.repeat)
    shutil.rmtree(args.work, ignore_errors=True)


def compare(work: Path, source: Path, label: str, repeat: int) -> None:
    times: dict[bool, list[float]] = {False: [], True: []}
    for rep in range(repeat):
        for helpers in (rep % 2 == 0, rep % 2 != 0):
            times[helpers].append(backup_seconds(work, source, helpers))
    off, on = statistics.median(times[False]), statistics.median(times[True])
    print(f"{label:>7} {off:>10.2f} {on:>10.2f} {off / on:>16.2f}", flush=True)


if __name__ == "__main__":
    main()
