"""A stream of any size is backed up in constant memory: the pipe is read in bounded blocks
into the chunk pipeline, whose in-flight budget holds the reader back. A command writes 1 GiB of
pseudo-random (incompressible, never deduplicated) bytes; the peak RSS of `snap` stays far below
that. bench/stream_memory.py measures larger streams."""

from __future__ import annotations

import subprocess
import sys

from blake3 import blake3

from tests.e2e.conftest import SNAP_TIMEOUT, Snap

GiB = 1 << 30
# Measured here: 200-275 MiB for 1 GiB, 215-295 MiB for 4 GiB (bench/stream_memory.py); about
# 130-180 MiB of it is the pipeline's working set (the in-flight budget, open packs), the rest
# memory glibc keeps in its per-thread arenas (MALLOC_MMAP_THRESHOLD_=131072 brings it down).
PEAK_RSS_LIMIT = 350 << 20

# Deterministic bytes at about 1 GB/s: BLAKE3's extendable output, 1 MiB at a time.
GENERATOR = """
import sys
from blake3 import blake3
total, block = int(sys.argv[1]), 1 << 20
h = blake3(b"snapstore stream test")
for offset in range(0, total, block):
    sys.stdout.buffer.write(h.digest(length=min(block, total - offset), seek=offset))
"""


# A child's peak RSS counts the memory of the process it was forked from until it calls exec
# (Linux records that hiwater mark at exec): measured from pytest, which holds hundreds of MiB
# late in the suite, every child would look that big. So a small launcher runs snap and reports
# the figure wait4 gives it for snap (and the generator snap waits for).
LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss * 1024)
"""


def peak_rss_of_backup(snap: Snap, size: int) -> tuple[int, int]:
    """Run `snap backup --stdin-from-command` on the generator; its exit code and peak RSS."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, "snap", "-q", "backup", "--workers", "2",
         "--stdin-from-command", "--", sys.executable, "-c", GENERATOR, str(size)],
        env=snap.env, stdin=subprocess.DEVNULL, capture_output=True, timeout=SNAP_TIMEOUT * 3,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    returncode, peak = (int(field) for field in done.stdout.split())
    return returncode, peak


def test_one_gib_stream_in_constant_memory(snap: Snap) -> None:
    returncode, peak = peak_rss_of_backup(snap, GiB)
    assert returncode == 0
    assert peak < PEAK_RSS_LIMIT, f"peak RSS {peak >> 20} MiB for a 1 GiB stream"
    [snapshot] = snap.json("snapshots")
    assert snapshot["summary"]["total_bytes_processed"] == GiB
    assert dumped_matches_generator(snap, GiB)


def dumped_matches_generator(snap: Snap, size: int) -> bool:
    """`snap dump` gives back the generator's bytes, compared block by block as they stream."""
    expected = blake3(b"snapstore stream test")
    dump = subprocess.Popen(["snap", "dump", "latest", "stdin"], env=snap.env, stdout=subprocess.PIPE)
    assert dump.stdout is not None
    offset, same = 0, True
    try:
        while block := dump.stdout.read(1 << 20):
            same = same and block == expected.digest(length=len(block), seek=offset)
            offset += len(block)
    finally:
        dump.stdout.close()
        dump.wait(SNAP_TIMEOUT)
    return same and offset == size and dump.returncode == 0
