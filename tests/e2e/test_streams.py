"""`snap backup --stdin` and `--stdin-from-command`: a stream becomes one file of the snapshot,
`snap dump` gives it back, and a failing command leaves no snapshot but keeps its data for the
next attempt."""

from __future__ import annotations

import json
import os
import random
import socket
import struct
import sys
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Snap

MiB = 1 << 20


def deterministic_bytes(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def backup_command(snap: Snap, *args: str | os.PathLike[str]) -> dict[str, Any]:
    """`snap backup --stdin-from-command [options] -- COMMAND...`: the report as JSON (--json
    goes before the command name, since everything after `--` is the command)."""
    document: dict[str, Any] = json.loads(snap.ok("--json", "backup", "--stdin-from-command", *args).stdout)
    return document


def test_stdin_round_trip_through_dump(snap: Snap) -> None:
    data = deterministic_bytes(3 * MiB) + b"the end\n"
    report = snap.backup("--stdin", "--stdin-filename", "db.sql", input=data)
    assert report["paths"] == ["/db.sql"]
    assert report["files_new"] == 1 and report["total_bytes_processed"] == len(data)
    assert snap.ok("dump", "latest", "db.sql").stdout == data
    assert snap.ok("dump", "latest", "/db.sql").stdout == data
    [entry] = snap.json("ls", "latest")
    assert entry["path"] == "/db.sql" and entry["type"] == "file" and entry["size"] == len(data)
    assert entry["mode"] == 0o600 and entry["uid"] == os.getuid()


def test_stdin_default_name_and_nested_name(snap: Snap) -> None:
    snap.backup("--stdin", input=b"one")
    assert snap.ok("dump", "latest", "stdin").stdout == b"one"
    snap.backup("--stdin", "--stdin-filename", "dumps/daily/app.sql", input=b"two")
    assert snap.ok("dump", "latest", "/dumps/daily/app.sql").stdout == b"two"
    listing = [e["path"] for e in snap.json("ls", "latest")]
    assert listing == ["/dumps", "/dumps/daily", "/dumps/daily/app.sql"]


def test_second_dump_deduplicates_against_the_first(snap: Snap) -> None:
    data = deterministic_bytes(8 * MiB)
    first = snap.backup("--stdin", "--stdin-filename", "db.sql", input=data)
    second = snap.backup("--stdin", "--stdin-filename", "db.sql", input=data[:4 * MiB] + b"x" + data[4 * MiB:])
    assert first["data_added"] >= len(data)
    assert second["data_added"] < 4 * MiB  # only the chunks around the change are new
    assert second["parent"] == first["snapshot_id"] and second["files_changed"] == 1


def test_command_output_is_stored(snap: Snap) -> None:
    report = backup_command(snap, "--stdin-filename", "numbers.txt", "--",
                            sys.executable, "-c", "for i in range(200000): print(i)")  # fmt: skip
    expected = "".join(f"{i}\n" for i in range(200000)).encode()
    assert report["paths"] == ["/numbers.txt"] and report["total_bytes_processed"] == len(expected)
    assert snap.ok("dump", "latest", "numbers.txt").stdout == expected


def test_failing_command_saves_no_snapshot_and_shows_its_stderr(snap: Snap) -> None:
    result = snap.run("backup", "--stdin-from-command", "--",
                      "sh", "-c", "echo partial; echo 'pg_dump: error: boom' >&2; exit 1")  # fmt: skip
    assert result.returncode == 1, result.err
    assert "Traceback" not in result.err
    assert "  | pg_dump: error: boom" in result.err
    last = result.err.strip().splitlines()[-1]
    assert last.startswith("snap: error: command sh -c") and "exited with code 1" in last
    assert "no snapshot was saved" in last
    assert snap.json("snapshots") == []


def test_command_killed_by_a_signal_saves_no_snapshot(snap: Snap) -> None:
    result = snap.run("backup", "--stdin-from-command", "--", "sh", "-c", "echo x; kill -9 $$")
    assert result.returncode == 1 and "killed by signal 9" in result.err
    assert snap.json("snapshots") == []


def test_missing_command_is_one_line_error(snap: Snap) -> None:
    error = snap.fails("backup", "--stdin-from-command", "--", "/nonexistent/dumper", code=1)
    assert "cannot run command /nonexistent/dumper" in error
    assert snap.json("snapshots") == []


def test_data_of_a_failed_command_is_reused_by_the_next_attempt(snap: Snap, tmp_path: Path) -> None:
    data_file = tmp_path / "data.bin"
    data_file.write_bytes(deterministic_bytes(6 * MiB))
    failing = f"cat {data_file}; exit 3"
    result = snap.run("backup", "--stdin-from-command", "--", "sh", "-c", failing)
    assert result.returncode == 1 and "exited with code 3" in result.err
    assert snap.json("snapshots") == []
    assert snap.data_files(), "the data read before the failure was not kept"
    report = backup_command(snap, "--", "cat", data_file)
    # Every chunk but the last (cut by the end of the stream either way) was already stored.
    assert report["data_added"] < 2 * MiB, report


def test_stdin_cut_by_a_read_error_saves_no_snapshot(snap: Snap) -> None:
    """Standard input is a TCP connection that the sender resets after some data: the read
    after that data fails with ECONNRESET, a real read error half way through the stream."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        receiver = socket.create_connection(listener.getsockname())
        sender, _ = listener.accept()
    with receiver:
        sender.sendall(deterministic_bytes(MiB))
        sender.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sender.close()  # linger 0: a reset instead of an orderly end
        result = snap.run("backup", "--stdin", stdin=receiver.fileno())
    assert result.returncode == 1, result.err
    assert "reading standard input failed: Connection reset by peer" in result.err
    assert "Traceback" not in result.err
    assert snap.json("snapshots") == []


def test_stream_combined_with_paths(snap: Snap, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a")
    report = snap.backup(src, "--stdin", "--stdin-filename", "db.sql", input=b"dump")
    assert report["paths"] == [str(src), "/db.sql"]
    assert snap.ok("dump", "latest", f"{src}/a.txt").stdout == b"a"
    assert snap.ok("dump", "latest", "db.sql").stdout == b"dump"
    again = snap.backup(src, "--stdin", "--stdin-filename", "db.sql", input=b"dump")
    assert again["parent"] == report["snapshot_id"]
    assert again["files_unmodified"] == 2
    snap.ok("check", "--read-data")
    restored = tmp_path / "restored"
    snap.ok("restore", "latest", "--target", restored)
    assert (restored / "db.sql").read_bytes() == b"dump"
    assert (restored / str(src).lstrip("/") / "a.txt").read_text() == "a"


def test_bad_combinations_are_usage_errors(snap: Snap, tmp_path: Path) -> None:
    assert "nothing to back up" in snap.run("backup").err
    assert snap.run("backup").returncode == 2
    both = snap.run("backup", "--stdin", "--stdin-from-command", "--", "true")
    assert both.returncode == 2 and "exclude each other" in both.err
    assert snap.run("backup", "--stdin-from-command").returncode == 2
    bad = snap.fails("backup", "--stdin", "--stdin-filename", "../x", code=1, input=b"")
    assert "not a valid path" in bad
    clash = snap.fails("backup", "/tmp", "--stdin", "--stdin-filename", "tmp", code=1, input=b"")
    assert "/tmp is both a path backed up and where a stream goes" in clash
