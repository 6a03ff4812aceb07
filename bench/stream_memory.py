"""Peak memory of `snap backup --stdin-from-command` against the stream's size: a generator
writes pseudo-random, incompressible bytes (BLAKE3's extendable output) into a fresh repository
under .bench/stream-memory; wait4 gives the peak RSS of snap and its children.

    python bench/stream_memory.py --sizes 256M,1G,4G [--workers N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

GENERATOR = """
import sys
from blake3 import blake3
total, block = int(sys.argv[1]), 1 << 20
h = blake3(b"snapstore stream bench")
for offset in range(0, total, block):
    sys.stdout.buffer.write(h.digest(length=min(block, total - offset), seek=offset))
"""
UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def parse_size(text: str) -> int:
    return int(text[:-1]) * UNITS[text[-1].upper()] if text[-1].upper() in UNITS else int(text)


def measure(folder: Path, size: int, workers: int | None) -> tuple[float, int]:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = {**os.environ, "SNAP_REPOSITORY": str(folder / "repo"), "SNAP_CACHE_DIR": str(folder / "cache"),
           "SNAP_PASSWORD": "bench"}  # fmt: skip
    subprocess.run(["snap", "-q", "init"], env=env, check=True)
    extra = ["--workers", str(workers)] if workers else []
    started = time.monotonic()
    process = subprocess.Popen(["snap", "-q", "backup", *extra, "--stdin-from-command", "--",
                                sys.executable, "-c", GENERATOR, str(size)], env=env)  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"snap backup failed with status {status}")
    return time.monotonic() - started, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="256M,1G,4G")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--out", type=Path, default=Path(".bench/stream-memory"))
    args = parser.parse_args()
    print(f"{'stream':>8} {'seconds':>8} {'MB/s':>7} {'peak RSS':>10}")
    for text in args.sizes.split(","):
        size = parse_size(text)
        seconds, peak = measure(args.out, size, args.workers)
        print(f"{text:>8} {seconds:8.1f} {size / seconds / 1e6:7.0f} {peak / (1 << 20):8.0f} MiB")
    shutil.rmtree(args.out, ignore_errors=True)


if __name__ == "__main__":
    main()
