"""A source tree holding every kind of entry a backup must carry, with odd metadata."""

from __future__ import annotations

import errno
import os
import random
import stat
from dataclasses import dataclass
from pathlib import Path

MiB = 1 << 20
OWNER = 1234  # uid and gid given to some entries (the tests run as root)
PRE_1970_NS = -86_400 * 365 * 10 * 10**9 + 123_456_789  # about 1960, with nanoseconds
SPARSE_SIZE = 64 * MiB
NON_UTF8 = b"caf\xe9"


@dataclass(frozen=True)
class SampleTree:
    root: Path
    xattrs_supported: bool
    big: bytes  # content of big.bin: random and repeated parts, several chunks

    @property
    def root_bytes(self) -> bytes:
        return os.fsencode(self.root)


def xattrs_supported(folder: Path) -> bool:
    probe = folder / ".xattr-probe"
    probe.write_bytes(b"")
    try:
        os.setxattr(probe, "user.probe", b"1")
    except OSError as error:
        if error.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return False
        raise
    finally:
        probe.unlink()
    return True


def build_sample_tree(root: Path, seed: int = 1) -> SampleTree:
    rng = random.Random(seed)
    root.mkdir(parents=True)
    r = os.fsencode(root)

    def path(*parts: bytes) -> bytes:
        return b"/".join([r, *parts])

    # Regular files: empty, small, and one of several MiB (random, then the same random block
    # again, then more random) that spans several chunks of the 1 MiB average chunker.
    open(path(b"empty"), "wb").close()
    with open(path(b"small.txt"), "wb") as f:
        f.write(b"hello, snapshot\n")
    block = rng.randbytes(3 * MiB)
    big = block + rng.randbytes(MiB // 2) + block + bytes(100_000) + rng.randbytes(777_777)
    with open(path(b"big.bin"), "wb") as f:
        f.write(big)

    # Folders: nested, empty, and one with an empty folder inside.
    os.makedirs(path(b"a", b"b", b"c"))
    with open(path(b"a", b"b", b"c", b"deep.txt"), "wb") as f:
        f.write(rng.randbytes(5000))
    os.mkdir(path(b"empty-dir"))
    os.makedirs(path(b"holder", b"inner-empty"))

    # Symlinks: relative, absolute, dangling.
    os.symlink(b"small.txt", path(b"link-relative"))
    os.symlink(path(b"a", b"b"), path(b"link-absolute"))
    os.symlink(b"does/not/exist", path(b"link-dangling"))

    # Hard links: two names in one folder, and one name in another folder.
    with open(path(b"linked-1"), "wb") as f:
        f.write(b"one inode, three names\n")
    os.link(path(b"linked-1"), path(b"linked-2"))
    os.link(path(b"linked-1"), path(b"a", b"linked-3"))

    # Special files.
    os.mkfifo(path(b"fifo"), 0o640)
    os.mknod(path(b"null-device"), stat.S_IFCHR | 0o666, os.makedev(1, 3))

    # A sparse file: a few small writes into a large hole. Restore skips chunks that are all
    # zeros (at most 4 MiB each), so the written part stays far below the size.
    with open(path(b"sparse.img"), "wb") as f:
        f.truncate(SPARSE_SIZE)
        for offset in (0, 17 * MiB + 12345, 29 * MiB + 777):  # and a hole at the end
            f.seek(offset)
            f.write(rng.randbytes(512))

    # A name that is not UTF-8, in a folder and as a file.
    os.mkdir(path(NON_UTF8 + b"-dir"))
    with open(path(NON_UTF8 + b"-dir", NON_UTF8), "wb") as f:
        f.write(b"latin-1 name\n")

    # Owners and odd modes (chown before chmod: chown clears set-user-id).
    os.chown(path(b"small.txt"), OWNER, OWNER)
    with open(path(b"setuid"), "wb") as f:
        f.write(b"#!/bin/sh\n")
    os.chown(path(b"setuid"), OWNER, OWNER)
    os.chmod(path(b"setuid"), 0o4755)
    os.mkdir(path(b"sticky"))
    os.chmod(path(b"sticky"), 0o1777)
    with open(path(b"no-access"), "wb") as f:
        f.write(b"even root reads me\n")
    os.chmod(path(b"no-access"), 0o000)
    os.chown(path(b"a"), OWNER, 0)
    os.lchown(path(b"link-relative"), OWNER, OWNER)

    supported = xattrs_supported(root)
    if supported:
        os.setxattr(path(b"small.txt"), b"user.comment", b"a value")
        os.setxattr(path(b"small.txt"), b"user.binary", bytes(range(256)))
        os.setxattr(path(b"a"), b"user.folder", b"")

    # Times last, deepest first, so creating entries does not change them afterwards.
    times = {
        path(b"small.txt"): 1_600_000_000_123_456_789,
        path(b"big.bin"): 1_500_000_000_000_000_001,
        path(b"empty"): PRE_1970_NS,
        path(b"link-relative"): 1_400_000_000_987_654_321,
        path(b"link-dangling"): PRE_1970_NS - 5,
        path(b"a", b"b", b"c"): 1_300_000_000_000_000_007,
        path(b"a", b"b"): 1_300_000_001_000_000_008,
        path(b"a"): 1_300_000_002_000_000_009,
        path(b"empty-dir"): PRE_1970_NS + 1,
        path(b"holder", b"inner-empty"): 1_200_000_000_555_555_555,
        path(b"holder"): 1_200_000_001_555_555_555,
        path(b"sticky"): 1_100_000_000_000_000_011,
        r: 1_000_000_000_000_000_013,
    }
    for entry, ns in times.items():
        os.utime(entry, ns=(ns, ns), follow_symlinks=False)
    return SampleTree(root, supported, big)
