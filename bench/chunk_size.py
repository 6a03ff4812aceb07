"""How the average chunk size trades deduplication against the number of chunks.

    python bench/chunk_size.py [--corpora-dir .bench/corpora]

For each corpus with several versions (built by bench/corpora.py), chunks every file of every
version with FastCDC at several average sizes (min = avg/4, max = avg*4, normalization 1) and
prints the bytes that a repository would store (unique chunks, before compression) as a share of
all bytes read, and the number of unique chunks (index size grows with it).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import blake3

from snapstore.chunker import cut_points

AVERAGES = [256 << 10, 512 << 10, 1 << 20, 2 << 20, 4 << 20]


def files_of(version: Path) -> list[Path]:
    return sorted(p for p in version.rglob("*") if p.is_file() and not p.is_symlink())


def measure(versions: list[Path], avg: int) -> tuple[int, int, int]:
    seen: set[bytes] = set()
    stored = total = 0
    for version in versions:
        for path in files_of(version):
            data = path.read_bytes()
            total += len(data)
            start = 0
            ends = cut_points(data, avg // 4, avg, avg * 4) if len(data) > avg // 4 else [len(data)]
            for end in ends:
                digest = blake3.blake3(data[start:end]).digest()
                if digest not in seen:
                    seen.add(digest)
                    stored += end - start
                start = end
    return stored, total, len(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora-dir", type=Path, default=Path(".bench/corpora"))
    args = parser.parse_args()
    print(f"{'corpus':8} {'avg':>8} {'stored/read':>12} {'stored MiB':>11} {'chunks':>8}")
    for corpus in ("source", "db"):
        versions = sorted(p for p in (args.corpora_dir / corpus).iterdir() if p.is_dir())
        for avg in AVERAGES:
            stored, total, chunks = measure(versions, avg)
            print(f"{corpus:8} {avg >> 10:>6}Ki {stored / total:12.3f} {stored / 2**20:11.1f} {chunks:8}")


if __name__ == "__main__":
    os.nice(5)
    main()
