"""How the paths given to `snap backup` are recorded: normalized, through symlinked folders, the
file system root itself, and names that are not UTF-8 on a strict UTF-8 terminal."""

from __future__ import annotations

import os
from pathlib import Path

from snapstore import browser
from snapstore.archiver import Archiver, BackupOptions, ExcludeRules
from snapstore.model.node import DIR
from snapstore.repository import Repository
from tests.e2e.conftest import Snap


def test_relative_path_with_dot_dot_is_normalized(snap: Snap, tmp_path: Path) -> None:
    src, elsewhere = tmp_path / "src", tmp_path / "elsewhere"
    src.mkdir()
    elsewhere.mkdir()
    (src / "f").write_bytes(b"data\n")
    first = snap.backup("../src", cwd=elsewhere)
    assert snap.json("snapshots")[0]["paths"] == [str(src)]
    # The same folder named another way is the same backup: the first is its parent.
    second = snap.backup("./../src/", cwd=elsewhere)
    assert second["parent"] == first["snapshot_id"]
    assert second["bytes_read"] == 0
    third = snap.backup(src)
    assert third["parent"] == second["snapshot_id"]


def test_path_below_a_symlinked_folder(snap: Snap, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "f").write_bytes(b"reached through a link\n")
    (tmp_path / "link").symlink_to("real")
    report = snap.backup(tmp_path / "link" / "f")
    assert report["files_new"] == 1
    assert snap.ok("dump", "latest", tmp_path / "link" / "f").stdout == b"reached through a link\n"
    target = tmp_path / "out"
    snap.ok("restore", "latest", "--target", target)
    restored = target / tmp_path.relative_to("/") / "link" / "f"
    assert restored.read_bytes() == b"reached through a link\n"


class OnlyBelow(ExcludeRules):
    """Leaves out everything except `keep`, its ancestors and what is below it."""

    def __init__(self, keep: Path) -> None:
        super().__init__()
        object.__setattr__(self, "keep", str(keep))

    def excludes(self, path: str) -> bool:
        keep: str = self.keep  # type: ignore[attr-defined]
        return not (keep.startswith(path + "/") or path == keep or path.startswith(keep + "/"))


def test_backup_of_the_root_folder(memory_repo: Repository, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_bytes(b"below the root\n")
    options = BackupOptions(paths=(Path("/"),), hostname="h", username="u")
    result = Archiver(memory_repo, options, OnlyBelow(src), None).run()
    assert result.warnings == []
    assert result.snapshot.paths == ("/",)
    root = memory_repo.load_tree(result.snapshot.tree)
    assert [n.name for n in root] == [src.parts[1].encode()]
    node, _ = browser.find(memory_repo, root, os.fsencode(src / "f"))
    assert node is not None
    assert b"".join(memory_repo.load_data(c) for c in node.content) == b"below the root\n"
    assert root[0].kind == DIR


def test_non_utf8_names_on_a_strict_utf8_terminal(snap: Snap, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    name = os.fsencode(src) + b"/caf\xe9"
    with open(name, "wb") as f:
        f.write(b"latin-1\n")
    first = snap.backup(src)["snapshot_id"]
    os.unlink(name)
    second = snap.backup(src)["snapshot_id"]
    strict = {"PYTHONIOENCODING": "utf-8:strict"}  # what a UTF-8 locale gives
    listed = snap.ok("ls", first, src, env=strict).stdout.splitlines()
    assert listed == [name]
    diff = snap.ok("diff", first, second, env=strict).stdout
    assert diff == b"-    " + name + b"\n"
    dumped = snap.ok("dump", first, os.fsdecode(name), env=strict).stdout
    assert dumped == b"latin-1\n"
