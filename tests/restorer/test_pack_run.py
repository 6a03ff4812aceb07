"""Pack runs: the plain form a run is sent to a restore helper in gives back the same run; a
pack's blobs are cut into reads of at most `MAX_READ`; and `write_run` gives whole files their
size, holes included where they end in zero blocks, and their metadata."""

from __future__ import annotations

import itertools
import os
import pickle
import pickletools
import random
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snapstore.index import IndexEntry
from snapstore.restorer import pack_run
from snapstore.restorer.metadata import CREATE_MODE
from snapstore.restorer.pack_run import (
    HOLE_BLOCK,
    PackRun,
    Place,
    pack_runs,
    run_from_wire,
    run_to_wire,
    write_run,
)

ids = st.binary(min_size=32, max_size=32)
paths = st.binary(min_size=1, max_size=24).map(lambda name: b"/target/" + name.replace(b"\0", b"_"))
u32 = st.integers(0, 2**32 - 1)
metadata = st.none() | st.tuples(
    st.none() | st.tuples(u32, u32),  # owner
    st.none() | st.integers(0, 0o7777),  # mode
    st.lists(st.tuples(st.binary(min_size=1, max_size=12), st.binary(max_size=40)), max_size=3).map(tuple),
    st.integers(-(2**63), 2**63 - 1),  # mtime_ns
)
wholes = st.tuples(
    st.integers(0, 2**44),  # size
    st.integers(1, 1000),  # writes
    st.integers(0, 0o7777),  # create mode
    metadata,
)


@st.composite
def runs(draw: st.DrawFn) -> PackRun:
    pack_id = draw(ids)
    entries = []
    offset = draw(st.integers(0, 2**31))
    for _ in range(draw(st.integers(1, 6))):
        length = draw(st.integers(1, 1 << 20))
        entries.append(IndexEntry(
            draw(ids), draw(st.sampled_from([0, 1])), pack_id, offset, length, draw(u32), draw(st.sampled_from([0, 1])),
        ))  # fmt: skip
        offset += length + draw(st.integers(0, 64))
    places: list[list[Place]] = [
        draw(st.lists(st.tuples(paths, st.integers(0, 2**44)), max_size=4)) for _ in entries
    ]
    return PackRun(pack_id, entries, places, draw(st.dictionaries(paths, wholes, max_size=4)))


@settings(max_examples=200, deadline=None)
@given(run=runs())
def test_a_run_survives_its_wire_form(run: PackRun) -> None:
    wire = run_to_wire(run)
    assert run_from_wire(wire) == run
    sent = pickle.dumps(wire, pickle.HIGHEST_PROTOCOL)
    # Plain data: no class (of ours or any) crosses the pipe.
    assert not {op.name for op, _, _ in pickletools.genops(sent)} & {
        "GLOBAL",
        "STACK_GLOBAL",
        "INST",
        "OBJ",
    }
    received = run_from_wire(pickle.loads(sent))
    assert received == run
    assert (received.start, received.length) == (run.start, run.length)


def _entry(offset: int, length: int) -> IndexEntry:
    return IndexEntry(offset.to_bytes(32, "big"), 0, b"P" * 32, offset, length, length, 0)


@settings(max_examples=150, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 3000), min_size=1, max_size=30),
    gaps=st.lists(st.integers(0, 500), min_size=30, max_size=30),
    max_read=st.integers(1, 10_000),
    order=st.randoms(use_true_random=False),
)
def test_pack_runs_cover_each_blob_once_in_reads_of_at_most_max_read(
    lengths: list[int], gaps: list[int], max_read: int, order: random.Random
) -> None:
    entries, offset = [], 0
    for length, gap in zip(lengths, gaps, strict=False):
        entries.append(_entry(offset + gap, length))
        offset += gap + length
    shuffled = list(entries)
    order.shuffle(shuffled)
    cut = list(pack_runs(shuffled, max_read))
    assert [e for run in cut for e in run] == entries  # each once, in pack order
    for run in cut:
        span = run[-1].offset + run[-1].length - run[0].offset
        assert span <= max_read or len(run) == 1  # only a blob larger than a read is read alone
    for before, after in itertools.pairwise(
        cut
    ):  # a run ends only where the next blob would not fit
        assert after[0].offset + after[0].length - before[0].offset > max_read


_folders = itertools.count()


@settings(max_examples=60, deadline=None)
@given(
    files=st.lists(
        st.lists(st.tuples(st.booleans(), st.integers(1, 3 * HOLE_BLOCK)), min_size=1, max_size=5),
        min_size=1,
        max_size=3,
    ),
    zero_tail=st.integers(1, 6 * HOLE_BLOCK),
    mode=st.sampled_from([None, 0o640, 0o444]),
)
def test_whole_files_ending_in_zero_blocks_get_their_size_and_holes(
    tmp_path_factory: pytest.TempPathFactory,
    files: list[list[tuple[bool, int]]],
    zero_tail: int,
    mode: int | None,
) -> None:
    """Each file: chunks of data or zeros, then a zero chunk at its end; blobs of equal content
    are one blob written to several places, as a snapshot's deduplicated chunks are."""
    folder = tmp_path_factory.mktemp(f"run{next(_folders)}")
    blobs: dict[bytes, list[Place]] = {}
    expected: dict[bytes, bytes] = {}
    for number, chunks in enumerate(files):
        path = os.fsencode(folder / f"file{number}")
        content = b""
        for filled, length in [*chunks, (False, zero_tail)]:
            data = bytes([number + 1]) * length if filled else bytes(length)
            blobs.setdefault(data, []).append((path, len(content)))
            content += data
        expected[path] = content
    entries = [_entry(i * 100_000, len(data)) for i, data in enumerate(blobs)]
    whole = {
        path: (
            len(content), sum(p == path for places in blobs.values() for p, _ in places), CREATE_MODE,
            (None, mode, (), -123_456_789),
        )
        for path, content in expected.items()
    }  # fmt: skip
    run = PackRun(b"P" * 32, entries, list(blobs.values()), whole)
    stats = write_run(run, zip(entries, blobs, strict=True))
    assert stats.warnings == []
    for path, content in expected.items():
        st_ = os.stat(path)
        assert st_.st_size == len(content)
        with open(path, "rb") as f:
            assert f.read() == content
        assert stat.S_IMODE(st_.st_mode) == (CREATE_MODE if mode is None else mode)
        assert st_.st_mtime_ns == -123_456_789
        data_blocks = {i // HOLE_BLOCK for i, byte in enumerate(content) if byte}
        # Only blocks holding data are allocated (one more for an extent tree of many holes).
        assert st_.st_blocks * 512 <= (len(data_blocks) + 1) * HOLE_BLOCK
    assert stats.bytes_written + stats.holes_bytes == sum(len(d) * len(p) for d, p in blobs.items())


def test_a_large_zero_tail_is_a_hole(tmp_path: Path) -> None:
    path = os.fsencode(tmp_path / "tail")
    head, tail = os.urandom(10_000), bytes(4 << 20)
    entries = [_entry(0, len(head)), _entry(100_000, len(tail))]
    run = PackRun(b"P" * 32, entries, [[(path, 0)], [(path, len(head))]], {
        path: (len(head) + len(tail), 2, CREATE_MODE, None),
    })  # fmt: skip
    stats = write_run(run, zip(entries, [head, tail], strict=True))
    assert os.stat(path).st_size == len(head) + len(tail)
    assert os.stat(path).st_blocks * 512 <= 4 * HOLE_BLOCK
    assert stats.holes_bytes >= len(tail)
    with open(path, "rb") as f:
        assert f.read() == head + tail


def test_a_file_written_by_two_runs_is_written_in_place(tmp_path: Path) -> None:
    """Not whole in either run: created with its size beforehand, each run writes its chunks,
    and the zero chunk between them stays a hole."""
    path = os.fsencode(tmp_path / "shared")
    first, gap, last = os.urandom(5000), bytes(2 << 20), os.urandom(7000)
    size = len(first) + len(gap) + len(last)
    with open(path, "wb") as f:
        f.truncate(size)
    one = [_entry(0, len(first)), _entry(10_000, len(gap))]
    two = [_entry(0, len(last))]
    write_run(
        PackRun(b"P" * 32, one, [[(path, 0)], [(path, len(first))]]),
        zip(one, [first, gap], strict=True),
    )
    write_run(PackRun(b"Q" * 32, two, [[(path, size - len(last))]]), zip(two, [last], strict=True))
    with open(path, "rb") as f:
        assert f.read() == first + gap + last
    assert os.stat(path).st_blocks * 512 < len(gap)


def test_a_whole_file_that_exists_already_is_an_error_naming_it(tmp_path: Path) -> None:
    """Whole files are created exclusively: something in the way was not removed first."""
    path = os.fsencode(tmp_path / "there")
    with open(path, "wb") as f:
        f.write(b"old")
    entries = [_entry(0, 3)]
    run = PackRun(b"P" * 32, entries, [[(path, 0)]], {path: (3, 1, CREATE_MODE, None)})
    with pytest.raises(
        pack_run.RestoreError, match=f"^cannot write {tmp_path}/there: File exists$"
    ):
        write_run(run, zip(entries, [b"new"], strict=True))
    with open(path, "rb") as f:
        assert f.read() == b"old"
