"""Snapshot records in a repository: save, load, list in time order, and damage detection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import blake3
import pytest

from snapstore.backend import MemoryBackend
from snapstore.errors import IntegrityError
from snapstore.repository import Repository
from tests.repository.conftest import flip_bit, make_snapshot

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_save_and_load(repo: Repository, backend: MemoryBackend) -> None:
    snapshot = make_snapshot(bytes(range(32)), tags=("b", "a"), paths=("/x", "/y"))
    snapshot_id = repo.save_snapshot(snapshot)
    stored = backend.load(f"snapshots/{snapshot_id}")
    assert snapshot_id == blake3.blake3(stored).hexdigest()
    assert b"/x" not in stored  # sealed, not plain JSON
    loaded = repo.load_snapshot(snapshot_id)
    assert loaded == snapshot
    assert loaded.tags == ("a", "b")
    assert repo.snapshot_ids() == [snapshot_id]


def test_list_is_oldest_first(repo: Repository) -> None:
    hours = [5, 1, 3, 2, 4]
    saved = {h: repo.save_snapshot(make_snapshot(when=T0 + timedelta(hours=h))) for h in hours}
    listed = repo.list_snapshots()
    assert [sid for sid, _ in listed] == [saved[h] for h in sorted(hours)]
    assert [s.time for _, s in listed] == [T0 + timedelta(hours=h) for h in sorted(hours)]
    # Ids are listed by name, which is not time order.
    assert repo.snapshot_ids() == sorted(saved.values())


def test_same_time_is_ordered_by_id(repo: Repository) -> None:
    ids = [repo.save_snapshot(make_snapshot(when=T0, hostname=f"h{i}")) for i in range(4)]
    assert [sid for sid, _ in repo.list_snapshots()] == sorted(ids)


def test_flipped_bit_is_an_integrity_error(repo: Repository, backend: MemoryBackend) -> None:
    keep = repo.save_snapshot(make_snapshot(when=T0))
    damaged = repo.save_snapshot(make_snapshot(when=T0 + timedelta(days=1)))
    name = f"snapshots/{damaged}"
    flip_bit(backend, name, len(backend.load(name)) // 2)
    with pytest.raises(IntegrityError) as caught:
        repo.load_snapshot(damaged)
    assert str(caught.value) == f"snapshot {damaged}: content does not match its name"
    with pytest.raises(IntegrityError):
        repo.list_snapshots()
    assert repo.load_snapshot(keep).time == T0


def test_tampered_snapshot_under_a_matching_name(repo: Repository, backend: MemoryBackend) -> None:
    """Renaming a changed file after its new hash passes the name check, not authentication."""
    original = repo.save_snapshot(make_snapshot())
    data = bytearray(backend.load(f"snapshots/{original}"))
    data[40] ^= 0x80
    forged = blake3.blake3(bytes(data)).hexdigest()
    backend.save(f"snapshots/{forged}", bytes(data))
    with pytest.raises(IntegrityError) as caught:
        repo.load_snapshot(forged)
    assert str(caught.value) == f"snapshot {forged}: authentication failed (corrupted or tampered)"


def test_missing_snapshot(repo: Repository) -> None:
    missing = "ab" * 32
    with pytest.raises(IntegrityError, match=f"snapshot {missing} is missing"):
        repo.load_snapshot(missing)
