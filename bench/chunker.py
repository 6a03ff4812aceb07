"""Chunker benchmark: snapstore's native FastCDC against pyfastcdc, in one process, alternating.

    python bench/chunker.py [--size-mib 256] [--repeat 5]

Prints MB/s of each implementation per corpus (random data, and a real mixed corpus read from
this machine's /usr/lib and /usr/share), the median native/pyfastcdc ratio, the keyed/standard
table ratio, and the speedup of two threads over one. Not a test: figures go to
docs/benchmarks.md with the command that produced them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any
from pathlib import Path

import blake3
import pyfastcdc

from snapstore.chunker import IMPLEMENTATION, Scanner, keyed_gear_table, seeded_gear_table

MiB = 1 << 20
REAL_ROOTS = ("/usr/lib/x86_64-linux-gnu", "/usr/share", sys.prefix)


def random_corpus(size: int) -> bytes:
    return blake3.blake3(b"bench random corpus").digest(length=size)


def real_corpus(size: int) -> bytes:
    """Files from this machine (libraries, documentation, Python packages), in a fixed order,
    at most 4 MiB from any one file so that no single file dominates."""
    out = bytearray()
    for root in REAL_ROOTS:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath, name)
                if len(out) >= size:
                    return bytes(out[:size])
                try:
                    if path.is_file() and not path.is_symlink():
                        with path.open("rb") as f:
                            out += f.read(4 * MiB)
                except OSError:
                    continue
    if len(out) < size:
        raise SystemExit(f"only {len(out)} bytes of real files found")
    return bytes(out)


def native_run(gear: tuple[int, ...], sizes: tuple[int, int, int]) -> Callable[[bytes], int]:
    def run(data: bytes) -> int:
        scanner = Scanner(*sizes, normalization=1, gear=gear)
        return len(scanner.feed(data) + scanner.finish())

    return run


def pyfastcdc_run(sizes: tuple[int, int, int]) -> Callable[[bytes], int]:
    min_size, avg, max_size = sizes

    def run(data: bytes) -> int:
        chunker = pyfastcdc.FastCDC(avg, min_size=min_size, max_size=max_size, normalized_chunking=1)
        return sum(1 for _ in chunker.cut_buf(data))

    return run


def timed(run: Callable[[bytes], int], data: bytes) -> float:
    start = time.perf_counter()
    run(data)
    return time.perf_counter() - start


def compare(data: bytes, sizes: tuple[int, int, int], repeat: int) -> dict[str, list[float]]:
    """Seconds per run, the three contenders alternating within each repetition."""
    contenders = {
        "native": native_run(seeded_gear_table(0), sizes),
        "native-keyed": native_run(keyed_gear_table(bytes(range(32))), sizes),
        "pyfastcdc": pyfastcdc_run(sizes),
    }
    assert contenders["native"](data) == contenders["pyfastcdc"](data)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, run in contenders.items():
            times[name].append(timed(run, data))
    return times


def stream(run_scanner: Any, data: bytes, block: int = 4 * MiB) -> int:
    """Feed `data` in blocks, the way the archiver streams a file."""
    view = memoryview(data)
    cuts = 0
    for start in range(0, len(data), block):
        cuts += len(run_scanner.feed(view[start : start + block]))
    return cuts + len(run_scanner.finish())


def thread_speedup(data: bytes, sizes: tuple[int, int, int], repeat: int) -> list[float]:
    """Two halves streamed one after the other, then by two threads at once (keyed table)."""
    gear = keyed_gear_table(bytes(32))
    halves = (data[: len(data) // 2], data[len(data) // 2 :])
    ratios = []
    for _ in range(repeat):
        scanners = [Scanner(*sizes, normalization=1, gear=gear) for _ in halves]
        start = time.perf_counter()
        for scanner, half in zip(scanners, halves):
            stream(scanner, half)
        serial = time.perf_counter() - start
        threads = [threading.Thread(target=stream, args=pair) for pair in zip(scanners, halves)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ratios.append(serial / (time.perf_counter() - start))
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if IMPLEMENTATION != "native":
        raise SystemExit("the native chunker is not loaded (is SNAPSTORE_PURE_PYTHON set?)")
    size = args.size_mib * MiB
    corpora = {"random": random_corpus(size), "real": real_corpus(size)}
    grid = {"avg 1 MiB": (256 * 1024, MiB, 4 * MiB), "avg 16 KiB": (4096, 16384, 65536)}
    print(f"# {args.size_mib} MiB per corpus, {args.repeat} alternating repetitions, MB = 10^6 B")
    print(f"{'corpus':8} {'params':11} {'native':>8} {'keyed':>8} {'pyfastcdc':>9} "
          f"{'native/pyfastcdc':>17} {'keyed/native':>13}")
    for corpus_name, data in corpora.items():
        for label, sizes in grid.items():
            times = compare(data, sizes, args.repeat)
            rate = {name: len(data) / statistics.median(t) / 1e6 for name, t in times.items()}
            ratio = statistics.median(p / n for n, p in zip(times["native"], times["pyfastcdc"]))
            keyed = statistics.median(n / k for n, k in zip(times["native"], times["native-keyed"]))
            print(f"{corpus_name:8} {label:11} {rate['native']:8.0f} {rate['native-keyed']:8.0f} "
                  f"{rate['pyfastcdc']:9.0f} {ratio:17.3f} {keyed:13.3f}")
    speedups = thread_speedup(corpora["random"], grid["avg 1 MiB"], 2 * args.repeat + 1)
    print(f"2 threads over 1 (random, avg 1 MiB, keyed, 4 MiB blocks): median {statistics.median(speedups):.2f}x "
          f"(runs: {', '.join(f'{s:.2f}' for s in speedups)})")


if __name__ == "__main__":
    main()
