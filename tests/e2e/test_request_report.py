"""The storage request report of every repository command, on a local repository (one request per
operation): -v ends stderr with one summary line, --json objects get a "requests" object with
the final counts (the lock released after the command's work included), lists keep their shape."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.conftest import Snap

SUMMARY = re.compile(
    r"^storage requests: (\d+) PUT, (\d+) GET, (\d+) HEAD, (\d+) LIST, (\d+) DELETE "
    r"\((\d+) in all\); .+ sent, .+ received$"
)


def summary_lines(stderr: str) -> list[re.Match[str]]:
    return [m for m in map(SUMMARY.match, stderr.splitlines()) if m is not None]


def test_verbose_commands_end_with_one_summary_line(snap: Snap, tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "file").write_bytes(b"x" * 5000)
    backup = snap.ok("backup", source, "-v")
    [match] = summary_lines(backup.err)
    assert backup.err.splitlines()[-1] == match.group(0)
    put, get, head, listed, delete, total = map(int, match.groups())
    assert put >= 3 and delete >= 1 and total == put + get + head + listed + delete
    for args in (("snapshots",), ("check",), ("stats",), ("ls", "latest")):
        assert len(summary_lines(snap.ok(*args, "-v").err)) == 1, args
        assert summary_lines(snap.ok(*args).err) == [], args
    assert summary_lines(snap.ok("-v", "-q", "snapshots").err) == []


def test_json_objects_carry_the_final_counts(snap: Snap, tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "file").write_bytes(b"y" * 5000)
    document = snap.backup(source)
    requests = document["requests"]
    assert requests["bytes_sent"] > 5000 / 2  # compressed, but sent
    # The lock is removed after the archiver is done: its DELETE is in the counts.
    assert requests["DELETE"] >= 1
    assert requests["total"] == sum(requests[k] for k in ("PUT", "GET", "HEAD", "LIST", "DELETE"))
    checked = snap.json("check", "--read-data")
    assert checked["requests"]["GET"] >= 1 and checked["requests"]["PUT"] >= 1  # its lock
    listing = snap.json("snapshots")
    assert isinstance(listing, list) and "requests" not in listing[0]


def test_failed_command_still_reports_with_verbose(snap: Snap) -> None:
    result = snap.run("restore", "no-such-snapshot", "--target", snap.root / "out", "-v")
    assert result.returncode != 0
    assert len(summary_lines(result.err)) == 1
    assert result.err.splitlines()[-1].startswith("snap: error: ")
