"""Looking into snapshots through `snap`: ls, dump, diff, and cat of every stored object kind."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from snapstore import browser
from snapstore.index import BlobType
from tests.e2e.conftest import Snap, init_local_repository

MiB = 1 << 20


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Snapshots A and B of one folder; between them files were changed, removed, added, and
    one file's mode changed (shared by the tests of this module, which only read)."""
    tmp_path = tmp_path_factory.mktemp("two")
    snap = Snap(tmp_path / "snap")
    init_local_repository(snap.repo, snap.cache)
    src = tmp_path / "src"
    (src / "dir").mkdir(parents=True)
    block = os.urandom(2 * MiB)
    big = os.urandom(MiB) + block + block + os.urandom(300_000)
    files = {
        "keep.txt": b"kept\n",
        "change.txt": b"before\n",
        "remove.txt": b"going away\n",
        "mode.txt": b"same bytes\n",
        "dir/inner.txt": b"inner\n",
        "dir/gone/deep.txt": b"deep\n",
        "big.bin": big,
    }
    for name, data in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    (src / "link").symlink_to("keep.txt")
    a = snap.backup(src)["snapshot_id"]

    (src / "change.txt").write_bytes(b"after, and longer\n")
    (src / "remove.txt").unlink()
    (src / "dir" / "gone" / "deep.txt").unlink()
    (src / "dir" / "gone").rmdir()
    (src / "added.txt").write_bytes(b"new\n")
    (src / "newdir").mkdir()
    (src / "newdir" / "x").write_bytes(b"x\n")
    (src / "mode.txt").chmod(0o600)
    (src / "link").unlink()
    (src / "link").symlink_to("change.txt")
    b = snap.backup(src)["snapshot_id"]
    return {"snap": snap, "src": src, "a": a, "b": b, "big": big, "files": files}


def test_ls(two: dict[str, Any]) -> None:
    snap, src = two["snap"], two["src"]
    lines = snap.ok("ls", two["a"]).out.splitlines()
    ancestors = [str(p) for p in reversed(src.parents) if str(p) != "/"]
    inside = ["big.bin", "change.txt", "dir", "dir/gone", "dir/gone/deep.txt", "dir/inner.txt",
              "keep.txt", "link", "mode.txt", "remove.txt"]  # fmt: skip
    assert lines == ancestors + [str(src)] + [f"{src}/{name}" for name in inside]

    below = snap.ok("ls", "latest", f"{src}/dir").out.splitlines()
    assert below == [f"{src}/dir/inner.txt"]

    entries = {e["path"]: e for e in snap.json("ls", two["b"], str(src))}
    assert entries[f"{src}/big.bin"]["size"] == len(two["big"])
    assert entries[f"{src}/big.bin"]["type"] == "file"
    assert entries[f"{src}/mode.txt"]["mode"] == 0o600
    assert entries[f"{src}/newdir"]["type"] == "dir"
    assert entries[f"{src}/link"]["type"] == "symlink"
    assert f"{src}/remove.txt" not in entries

    long_lines = snap.ok("ls", "-l", two["b"], f"{src}/mode.txt").out.splitlines()
    assert len(long_lines) == 1
    assert long_lines[0].startswith("-rw------- ")
    assert long_lines[0].endswith(f" 11 {_mtime_text(src / 'mode.txt')} {src}/mode.txt")

    error = snap.fails("ls", "latest", f"{src}/nothing-here", code=1)
    assert "nothing-here is not in the snapshot" in error


def _mtime_text(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime_ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")


def test_dump_writes_exact_bytes(two: dict[str, Any]) -> None:
    snap, src = two["snap"], two["src"]
    assert snap.ok("dump", two["a"], f"{src}/big.bin").stdout == two["big"]
    assert snap.ok("dump", two["a"], f"{src}/change.txt").stdout == b"before\n"
    assert snap.ok("dump", "latest", f"{src}/change.txt").stdout == b"after, and longer\n"
    assert snap.ok("dump", two["a"], f"{src}/dir/gone/deep.txt").stdout == b"deep\n"
    error = snap.fails("dump", "latest", f"{src}/dir", code=1)
    assert error == f"snap: error: {src}/dir is not a file in the snapshot"
    error = snap.fails("dump", "latest", f"{src}/remove.txt", code=1)
    assert error.endswith("remove.txt is not in the snapshot")


def test_diff_marks_added_removed_modified(two: dict[str, Any]) -> None:
    snap, src = two["snap"], two["src"]
    lines = snap.ok("diff", two["a"], two["b"]).out.splitlines()
    changes = {(line.split()[0], line.split(maxsplit=1)[1]) for line in lines}
    assert len(changes) == len(lines)
    assert changes == {
        ("+", f"{src}/added.txt"),
        ("+", f"{src}/newdir"),
        ("+", f"{src}/newdir/x"),
        ("-", f"{src}/remove.txt"),
        ("-", f"{src}/dir/gone"),
        ("-", f"{src}/dir/gone/deep.txt"),
        ("M", f"{src}/change.txt"),
        ("M", f"{src}/link"),
        ("U", f"{src}/mode.txt"),
    }
    backwards = {(c["change"], c["path"]) for c in snap.json("diff", two["b"], two["a"])}
    assert ("-", f"{src}/added.txt") in backwards and ("+", f"{src}/remove.txt") in backwards
    assert snap.ok("diff", two["a"], two["a"]).out == ""


def test_cat_every_object_kind(two: dict[str, Any]) -> None:
    snap = two["snap"]
    repo = snap.open()
    try:
        config_id, key_id = repo.config.id, repo.key_id
        root = repo.load_tree(repo.load_snapshot(two["b"]).tree)
        src_node, _ = browser.find(repo, root, os.fsencode(two["src"]))
        # big.bin's chunks as this repository's keyed chunker cuts them: how many depends on
        # the random chunker key (two to about ten; more than 4 MiB is never one chunk).
        scanner = repo.new_scanner()
        cuts = [0, *scanner.feed(two["big"]), *scanner.finish()]
        big_chunks = [repo.blob_id(two["big"][a:b]).hex() for a, b in zip(cuts, cuts[1:])]
    finally:
        repo.close()

    config = snap.json("cat", "config")
    assert config["id"] == config_id
    assert config["version"] == 1
    assert config["chunker"] == {"min_size": 256 * 1024, "avg_size": MiB, "max_size": 4 * MiB,
                                 "normalization": 1}  # fmt: skip

    snapshot = snap.json("cat", "snapshot", two["b"][:10])
    assert snapshot["id"] == two["b"]
    assert snapshot["parent"] == two["a"]
    assert snapshot["paths"] == [str(two["src"])]

    top = snap.json("cat", "tree", snapshot["tree"])
    assert [n["name"] for n in top["nodes"]] == [two["src"].parts[1]]
    assert top["nodes"][0]["subtree"] == root[0].subtree.hex()
    assert src_node is not None and src_node.subtree is not None
    tree = snap.json("cat", "tree", src_node.subtree.hex())
    names = [n["name"] for n in tree["nodes"]]
    assert names == ["added.txt", "big.bin", "change.txt", "dir", "keep.txt", "link", "mode.txt",
                     "newdir"]  # fmt: skip
    big = tree["nodes"][1]
    assert big["size"] == len(two["big"])
    assert big["content"] == big_chunks and len(big_chunks) >= 2

    # Every chunk of big.bin is in some index file, which names its pack; the pack's header
    # lists it with the same offset and length.
    entries = {}
    for name in snap.index_files():
        index = snap.json("cat", "index", name[:12])
        assert index["supersedes"] == []
        entries.update({e["blob_id"]: e for e in index["entries"]})
    for chunk in big["content"]:
        entry = entries[chunk]
        assert entry["type"] == BlobType.DATA
        header = {e["blob_id"]: e for e in snap.json("cat", "pack", entry["pack"])}
        assert header[chunk] == entry
    assert {e["pack"] for e in entries.values()} == snap.data_files()

    key = snap.json("cat", "key", key_id[:8])
    assert key["kdf"]["algorithm"] == "argon2id"
    assert key["kdf"]["memory_kib"] == 64
    assert set(key) >= {"version", "hostname", "username", "created", "kdf", "wrapped"}

    error = snap.fails("cat", "tree", "not-hex", code=1)
    assert error.startswith("snap: error: bad id")
    error = snap.fails("cat", "snapshot", code=1)
    assert error == "snap: error: cat snapshot needs an id"
