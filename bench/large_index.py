"""Memory of a backup into a repository that already holds millions of chunks.

    python bench/large_index.py [--chunks 10000000] [--work .bench/large-index]

Creates a repository, adds index files for `--chunks` synthetic blobs (random ids in fake packs:
only the index matters here), then measures peak RSS with /usr/bin/time of: the first command
that syncs the local cache (merging every index file), and a backup of a small tree whose chunks
are looked up among all the others. snapstore's index lives in LMDB, so neither should grow with
the number of chunks; restic and borg hold their whole index in memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path

from snapstore.backend import LocalBackend
from snapstore.index import IndexEntry, encode_index
from snapstore.repository import Repository

PER_FILE = 100_000


def run(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    out = subprocess.run(["/usr/bin/time", "-f", "%e %M", *command], env=env, capture_output=True,
                         text=True, timeout=3600, check=True)  # fmt: skip
    seconds, kib = out.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kib) // 1024


def fill_index(repo: Repository, chunks: int) -> None:
    for start in range(0, chunks, PER_FILE):
        count = min(PER_FILE, chunks - start)
        entries = []
        for i in range(count):
            pack = (start + i) // 32  # 32 blobs per fake pack, like 32 MiB packs of 1 MiB chunks
            entries.append(IndexEntry(os.urandom(32), 0, pack.to_bytes(32, "big"), (i % 32) << 20, 1 << 20, 1 << 20, 0))
        name, data = encode_index(entries, (), repo.sealer)
        repo.backend.save(name, data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10_000_000)
    parser.add_argument("--work", type=Path, default=Path(".bench/large-index"))
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    (args.work / "password").write_text("bench")
    env = {**os.environ, "SNAP_REPOSITORY": str(args.work / "repo"),
           "SNAP_PASSWORD_FILE": str(args.work / "password"), "SNAP_CACHE_DIR": str(args.work / "cache")}  # fmt: skip
    subprocess.run(["snap", "init", "-q"], env=env, check=True)
    repo = Repository.open(LocalBackend(args.work / "repo"), b"bench", args.work / "scratch-cache")
    fill_index(repo, args.chunks)
    repo.close()
    seconds, rss = run(["snap", "snapshots", "-q"], env)
    print(f"cache sync of {args.chunks:,} index entries: {seconds:.1f} s, peak RSS {rss} MiB")
    source = Path(__file__).resolve().parents[1] / "snapstore"
    seconds, rss = run(["snap", "backup", "-q", str(source)], env)
    print(f"backup of snapstore/ into that repository: {seconds:.1f} s, peak RSS {rss} MiB")
    seconds, rss = run(["snap", "backup", "-q", "--force", str(source)], env)
    print(f"forced re-backup (every chunk looked up): {seconds:.1f} s, peak RSS {rss} MiB")


if __name__ == "__main__":
    main()
