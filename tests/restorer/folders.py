"""Folders that decide the group or the mode of files created in them: set-group-id, and with a
default ACL (for the restore's `plain_folder` tests)."""

from __future__ import annotations

import errno
import os
import struct
from pathlib import Path

import pytest

TARGET_GROUP = 4321  # the group a set-group-id folder hands down
_ACL_VERSION = 2
_ACL_USER_OBJ, _ACL_GROUP_OBJ, _ACL_OTHER = 0x01, 0x04, 0x20
_ACL_NO_ID = 0xFFFFFFFF


def restrictive_default_acl() -> bytes:
    """A minimal default ACL (user rwx, group and others nothing) in the kernel's xattr form:
    new files below get their requested mode masked by it, and the umask is ignored."""
    entries = ((_ACL_USER_OBJ, 0o7), (_ACL_GROUP_OBJ, 0), (_ACL_OTHER, 0))
    return struct.pack("<I", _ACL_VERSION) + b"".join(
        struct.pack("<HHI", t, p, _ACL_NO_ID) for t, p in entries
    )


def set_default_acl(folder: Path) -> None:
    """Give `folder` a restrictive default ACL, or skip the test where ACLs are not supported."""
    try:
        os.setxattr(folder, "system.posix_acl_default", restrictive_default_acl())
    except OSError as error:
        if error.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            pytest.skip("the file system of the tests has no POSIX ACLs")
        raise


def make_setgid_folder(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    os.chown(folder, 0, TARGET_GROUP)
    os.chmod(folder, 0o2775)
