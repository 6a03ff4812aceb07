"""Golden encodings: a hand-built tree holding every node kind and the awkward cases (non-UTF-8
names, symlink target and xattr name, non-ASCII and control characters, 64-bit and negative
integers), and two snapshots, compared byte for byte with the files in tests/model/golden/.

These bytes are format version 1 as stored in repositories (trees and snapshots are identified by
a hash of them). A failure here means the format changed. Regenerating is a format change, to be
done on purpose and reviewed together with docs/design.md:

    python -c "from tests.model.test_golden import regenerate; regenerate()"
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from snapstore.model import (
    BLOCKDEV,
    CHARDEV,
    DIR,
    FIFO,
    FILE,
    SOCKET,
    SYMLINK,
    Node,
    Snapshot,
    Summary,
    Tree,
)

GOLDEN = Path(__file__).parent / "golden"


def chunk_id(n: int) -> bytes:
    return bytes([n]) * 32


def golden_tree() -> Tree:
    def entry(name: bytes, kind: str, **extra: object) -> Node:
        owner = dict(uid=1000, gid=100, user="alice", group="users")
        times = dict(mtime_ns=1_763_762_594_123_456_789, ctime_ns=1_763_762_600_000_000_001)
        ids = dict(device=0xFD01, inode=1000 + len(name), nlink=1, size=0, mode=0o644)
        return Node(name=name, kind=kind, **{**owner, **times, **ids, **extra})  # type: ignore[arg-type]

    return Tree(
        [  # deliberately not in name order
            entry(b"socket", SOCKET, mode=0o755),
            entry(
                b"data.bin",
                FILE,
                size=3 * 1024 * 1024 + 1,
                nlink=2,
                content=(chunk_id(1), chunk_id(2), chunk_id(1)),
                xattrs=(
                    (b"user.mime_type", b"application/octet-stream"),
                    (b"user.\xff", b"\x00\x01"),
                    (b"security.selinux", b"unconfined_u:object_r:user_home_t:s0\x00"),
                ),
            ),
            entry(
                b"empty", FILE, mode=0o600, user=None, group=None, uid=4294967294, gid=4294967294
            ),
            entry(
                'caf\u00e9 \U0001f600\n\t"\\'.encode(),
                FILE,
                mode=0o4755,
                size=7,
                content=(chunk_id(3),),
            ),
            entry(b"latin1-\xe9t\xe9", DIR, mode=0o1777, nlink=3, subtree=chunk_id(0xAB)),
            entry(b"link", SYMLINK, mode=0o777, symlink_target=b"../target"),
            entry(b"badlink", SYMLINK, mode=0o777, symlink_target=b"\xfe\xffdangling"),
            entry(b"fifo", FIFO, mode=0o2640, mtime_ns=-1_000_000_001, ctime_ns=-1),
            entry(b"tty0", CHARDEV, rdev=(4 << 8) | 0, mode=0o620, uid=0, gid=5),
            entry(
                b"sda1",
                BLOCKDEV,
                rdev=(8 << 8) | 1,
                mode=0o660,
                uid=0,
                gid=6,
                device=2**64 - 1,
                inode=2**64 - 1,
                nlink=2**32,
            ),
        ]
    )


PLUS_ONE = timezone(timedelta(hours=1))
MINUS_0330 = timezone(-timedelta(hours=3, minutes=30))


def golden_snapshot() -> Snapshot:
    start = datetime(2026, 11, 21, 22, 3, 14, 123456, tzinfo=PLUS_ONE)
    return Snapshot(
        time=start,
        hostname="nas-01",
        username="root",
        uid=0,
        gid=0,
        paths=("/srv/data", "/etc", "/home/j\u00fcrgen"),
        tree=bytes(range(32)),
        program_version="snapstore 0.1.0",
        tags=("weekly", "db", "\u00e9t\u00e9"),
        parent="9f" * 32,
        excludes=("*.tmp", "/srv/data/cache"),
        summary=Summary(
            files_new=10,
            files_changed=2,
            files_unmodified=123_456,
            dirs_new=1,
            dirs_changed=3,
            dirs_unmodified=7890,
            data_blobs=42,
            tree_blobs=5,
            data_added=12_345_678_901,
            data_added_packed=6_172_839_450,
            total_files_processed=123_468,
            total_bytes_processed=2**53 + 1,
            errors=1,
            backup_start=start,
            backup_end=start + timedelta(minutes=5, microseconds=1),
        ),
    )


def minimal_snapshot() -> Snapshot:
    return Snapshot(
        time=datetime(1969, 12, 31, 20, 30, tzinfo=MINUS_0330),
        hostname="",
        username="",
        uid=0,
        gid=0,
        paths=(),
        tree=bytes(32),
        program_version="",
    )


CASES: dict[str, tuple[Callable[[], Tree | Snapshot], Callable[[bytes], Tree | Snapshot]]] = {
    "tree.json": (golden_tree, Tree.decode),
    "snapshot.json": (golden_snapshot, Snapshot.decode),
    "snapshot_minimal.json": (minimal_snapshot, Snapshot.decode),
}


def regenerate() -> None:
    """Rewrite the golden files (a format change: see the module docstring)."""
    for name, (build, _) in CASES.items():
        (GOLDEN / name).write_bytes(build().encode())


@pytest.mark.parametrize("name", sorted(CASES))
def test_encoding_is_frozen(name: str) -> None:
    build, decode = CASES[name]
    golden = (GOLDEN / name).read_bytes()
    assert build().encode() == golden
    assert decode(golden) == build()


def test_the_golden_tree_covers_every_kind_and_both_name_forms() -> None:
    from snapstore.model import KINDS

    golden = (GOLDEN / "tree.json").read_bytes()
    assert {node.kind for node in golden_tree()} == KINDS
    for key in (
        b'"name":',
        b'"name_b64":',
        b'"symlink_target":',
        b'"symlink_target_b64":',
        b'"rdev":',
        b'"xattrs":',
        b'"content":',
        b'"subtree":',
        b"\xc3\xa9",
    ):
        assert key in golden
