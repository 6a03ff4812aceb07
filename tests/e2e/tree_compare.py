"""Compare a restored tree with its source: bytes, kinds, modes, owners, times, symlink targets,
device numbers, extended attributes and hard-link identity."""

from __future__ import annotations

import os
import stat
from collections import defaultdict


def walk(root: bytes) -> list[bytes]:
    """Every path below `root` (relative, as bytes), sorted; symlinks are not followed."""
    found = []
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            found.append(os.path.relpath(os.path.join(folder, name), root))
    return sorted(found)


def xattrs(path: bytes) -> dict[bytes, bytes]:
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    return {os.fsencode(n): os.getxattr(path, n, follow_symlinks=False) for n in names}


def describe(path: bytes, with_xattrs: bool) -> dict[str, object]:
    st = os.lstat(path)
    kind = stat.S_IFMT(st.st_mode)
    record: dict[str, object] = {
        "kind": kind, "mode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid,
        "mtime_ns": st.st_mtime_ns,
    }  # fmt: skip
    if stat.S_ISREG(kind):
        record["size"] = st.st_size
        record["nlink"] = st.st_nlink
        with open(path, "rb") as f:
            record["content"] = f.read()
    elif stat.S_ISLNK(kind):
        record["target"] = os.readlink(path)
    elif stat.S_ISCHR(kind) or stat.S_ISBLK(kind):
        record["rdev"] = st.st_rdev
    if with_xattrs:
        record["xattrs"] = xattrs(path)
    return record


def link_groups(root: bytes, paths: list[bytes]) -> set[frozenset[bytes]]:
    """Sets of regular-file paths sharing one inode (only sets of two or more)."""
    by_inode: dict[tuple[int, int], set[bytes]] = defaultdict(set)
    for p in paths:
        st = os.lstat(os.path.join(root, p))
        if stat.S_ISREG(st.st_mode):
            by_inode[(st.st_dev, st.st_ino)].add(p)
    return {frozenset(group) for group in by_inode.values() if len(group) > 1}


def assert_same_tree(source: bytes, restored: bytes, with_xattrs: bool = True) -> int:
    """Assert both trees hold the same entries with the same content and metadata (the roots'
    own metadata included); return the number of entries compared."""
    source_paths, restored_paths = walk(source), walk(restored)
    assert restored_paths == source_paths
    for relative in [b".", *source_paths]:
        expected = describe(os.path.join(source, relative), with_xattrs)
        actual = describe(os.path.join(restored, relative), with_xattrs)
        assert actual == expected, (relative, _difference(expected, actual))
    assert link_groups(restored, restored_paths) == link_groups(source, source_paths)
    return len(source_paths)


def _difference(expected: dict[str, object], actual: dict[str, object]) -> dict[str, object]:
    return {
        k: ("<bytes differ>" if isinstance(expected.get(k), bytes) and k == "content"
            else (expected.get(k), actual.get(k)))
        for k in expected.keys() | actual.keys() if expected.get(k) != actual.get(k)
    }  # fmt: skip
