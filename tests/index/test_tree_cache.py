"""The LMDB tree cache: entries round-trip and persist, the size stays bounded, a format change
empties it, and processes sharing it see each other's trees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from snapstore.index import tree_cache
from snapstore.index.tree_cache import TreeCache
from tests.index.conftest import make_id

ROOT = Path(__file__).resolve().parents[2]


def test_put_then_get_before_and_after_flush(tmp_path: Path) -> None:
    cache = TreeCache(tmp_path / "trees")
    cache.put(make_id("tree", 1), b"payload one")
    assert cache.get(make_id("tree", 1)) == b"payload one"  # still pending
    cache.flush()
    assert cache.get(make_id("tree", 1)) == b"payload one"
    assert cache.get(make_id("tree", 2)) is None
    cache.close()
    again = TreeCache(tmp_path / "trees")
    assert again.get(make_id("tree", 1)) == b"payload one"
    assert len(again) == 1
    again.close()


def test_discard_removes_an_entry(tmp_path: Path) -> None:
    cache = TreeCache(tmp_path / "trees")
    cache.put(make_id("tree", 1), b"abc")
    cache.flush()
    cache.discard(make_id("tree", 1))
    assert cache.get(make_id("tree", 1)) is None
    cache.close()


def test_size_stays_within_the_limit(tmp_path: Path) -> None:
    limit, batch = 256 * 1024, 16 * 1024
    cache = TreeCache(tmp_path / "trees", limit=limit, batch=batch)
    for n in range(400):  # 400 KiB put, more than the limit
        cache.put(make_id("tree", n), os.urandom(1024))
        payload_files = list((tmp_path / "trees").glob("payloads-*"))
        assert len(payload_files) <= 1
        assert sum(f.stat().st_size for f in payload_files) <= limit
    cache.close()
    cache = TreeCache(tmp_path / "trees", limit=limit, batch=batch)
    assert 0 < len(cache) < 400
    assert cache.get(make_id("tree", 399)) is not None  # the latest trees are the ones kept
    assert cache.get(make_id("tree", 0)) is None
    cache.close()


def test_damaged_payload_file_gives_misses_or_other_bytes(tmp_path: Path) -> None:
    """Bytes changed on disk come back as they are (the reader checks them against the id);
    a truncated or deleted file gives misses."""
    cache = TreeCache(tmp_path / "trees")
    cache.put(make_id("tree", 1), b"abcd")
    cache.put(make_id("tree", 2), b"efgh")
    cache.close()
    (payloads,) = (tmp_path / "trees").glob("payloads-*")
    payloads.write_bytes(b"XXcdef")  # second entry cut short
    cache = TreeCache(tmp_path / "trees")
    assert cache.get(make_id("tree", 1)) == b"XXcd"
    assert cache.get(make_id("tree", 2)) is None
    cache.close()
    payloads.unlink()
    cache = TreeCache(tmp_path / "trees")
    assert cache.get(make_id("tree", 1)) is None
    cache.close()


def test_another_format_empties_the_cache(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cache = TreeCache(tmp_path / "trees")
    cache.put(make_id("tree", 1), b"abc")
    cache.close()
    monkeypatch.setattr(tree_cache, "FORMAT_VERSION", tree_cache.FORMAT_VERSION + 1)
    cache = TreeCache(tmp_path / "trees")
    assert cache.get(make_id("tree", 1)) is None
    cache.close()


WRITER = """
import sys
from snapstore.index.tree_cache import TreeCache
from tests.index.conftest import make_id
cache = TreeCache(sys.argv[1], batch=4096)
for n in range(int(sys.argv[2]), int(sys.argv[2]) + 500):
    cache.put(make_id("tree", n), bytes([n % 256]) * 1000)
    assert cache.get(make_id("tree", n)) == bytes([n % 256]) * 1000, n
cache.close()
"""


def test_processes_share_the_cache(tmp_path: Path) -> None:
    path = str(tmp_path / "trees")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, path, str(first)], env=env, cwd=ROOT)
        for first in (0, 250, 1000)  # overlapping ranges: the same trees put by two processes
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0]
    cache = TreeCache(path)
    for n in [*range(750), *range(1000, 1500)]:
        assert cache.get(make_id("tree", n)) == bytes([n % 256]) * 1000
    cache.close()
