"""Streams (database dumps) are cut with the repository's stream chunker (32 KiB on average)
rather than the file chunker (1 MiB): rows changed all over a dump then leave most chunks as
they were. Restores verify such files by the stored chunk lengths, whatever chunker cut them."""

from __future__ import annotations

import random
from pathlib import Path

from snapstore import browser
from tests.e2e.conftest import Snap

MiB = 1 << 20
ROWS = 90_000


def dump(changed: set[int]) -> bytes:
    """A table dump like pg_dump's COPY block: one line per row, a few rows changed."""
    rng = random.Random(5)
    lines = []
    for row in range(ROWS):
        balance = rng.randrange(10**6) + (7 if row in changed else 0)
        lines.append(f"{row}\t{row % 97}\t{balance}\t{rng.randbytes(24).hex()}\n")
    return "".join(lines).encode()


def test_scattered_changes_in_a_dump_store_little(snap: Snap, tmp_path: Path) -> None:
    first = dump(set())
    changed = set(random.Random(9).sample(range(ROWS), 10))  # 10 rows spread over ~5.8 MB
    second = dump(changed)
    assert len(first) > 5 * MiB
    snap.backup("--stdin", "--stdin-filename", "db.sql", input=first)
    report = snap.backup("--stdin", "--stdin-filename", "db.sql", input=second)
    # With 1 MiB chunks every chunk would hold a changed row: all of it stored again.
    assert report["data_added"] < len(second) // 4, report["data_added"]

    repo = snap.open()
    try:
        snapshot = repo.load_snapshot(report["snapshot_id"])
        node, _ = browser.find(repo, repo.load_tree(snapshot.tree), b"/db.sql")
    finally:
        repo.close()
    assert node is not None and len(node.content) > len(second) // (128 << 10)

    target = tmp_path / "restored"
    restored = snap.json("restore", "latest", "--target", target, "--verify")
    assert restored["verified_files"] == 1
    assert (target / "db.sql").read_bytes() == second


def test_files_keep_the_file_chunker(snap: Snap, tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "db.sql").write_bytes(dump(set()))
    report = snap.backup(source)
    repo = snap.open()
    try:
        snapshot = repo.load_snapshot(report["snapshot_id"])
        node, _ = browser.find(repo, repo.load_tree(snapshot.tree), str(source).encode() + b"/db.sql")
    finally:
        repo.close()
    assert node is not None and len(node.content) <= 12  # about 1 MiB each, 4 MiB at most
