"""A spooled pack is byte for byte the pack the memory sink builds, with the same id, and
releasing it leaves nothing behind in the spool folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import blake3
from hypothesis import given, settings
from hypothesis import strategies as st

from snapstore.crypto import MasterKey, Sealer
from snapstore.pack import PackWriter
from snapstore.pack.sinks import SpoolSink

SEALER = Sealer(MasterKey.generate().encryption_key)


def build(writer: PackWriter, blobs: list[bytes]) -> tuple[bytes, bytes, object]:
    for i, blob in enumerate(blobs):
        writer.add(0, bytes([i % 256]) * 32, blob, len(blob), 0)
    pack = writer.finish(SEALER)
    data = bytes(pack.data)
    pack.release()
    return data, pack.pack_id, pack.entries


@settings(max_examples=25, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=3000), min_size=1, max_size=8))
def test_spooled_pack_equals_memory_pack(blobs: list[bytes]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="spool-test-"))
    memory = PackWriter()
    spooled = PackWriter(SpoolSink(folder))
    # The sealed header differs between two seals (fresh salt), so compare the blob area and ids.
    m_data, m_id, m_entries = build(memory, blobs)
    s_data, s_id, s_entries = build(spooled, blobs)
    blob_bytes = sum(len(b) for b in blobs)
    assert s_data[:blob_bytes] == m_data[:blob_bytes] == b"".join(blobs)
    assert [(e.blob_id, e.offset, e.length) for e in s_entries] == [
        (e.blob_id, e.offset, e.length) for e in m_entries  # type: ignore[attr-defined]
    ]
    assert s_id == blake3.blake3(s_data).digest() and m_id == blake3.blake3(m_data).digest()
    assert list(folder.iterdir()) == []  # unnamed file: nothing to clean up
    folder.rmdir()


def test_release_closes_the_spool_file(tmp_path: Path) -> None:
    sink = SpoolSink(tmp_path / "spool")
    writer = PackWriter(sink)
    writer.add(0, b"\x01" * 32, b"envelope", 8, 0)
    pack = writer.finish(SEALER)
    fd = sink._file.fileno()
    os.fstat(fd)  # open while the pack is not stored
    pack.release()
    assert sink._file.closed
