"""Prune and blobs stored twice (two hosts uploaded the same new data at the same moment): the
extra copy leaves the index at the next prune and its space at the one after, whichever copy
each host's cache resolves the blob to, and the repository then stays put.

Found by tests/e2e/test_many_hosts.py: the pack holding the extra copy was marked but kept
listing it; a cache rebuilt in another name order then resolved the blob to that copy, so the
next prune found the marked pack in use, rescued it and indexed it whole again (bringing back the
copies of the blobs already repacked out of it): duplicates never went away.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from snapstore.backend import MemoryBackend
from snapstore.checker import count_duplicates
from snapstore.gc import PruneOptions, prune
from snapstore.index import decode_index, encode_index, sync_cache
from snapstore.pack import load_pack_header, pack_object_name
from snapstore.repository import Repository, RepositoryConfig, trash
from tests.gc.conftest import Clock, backup, names, restores_identically, write_random

NO_GRACE = PruneOptions(grace=timedelta(0))


def hosts_uploading_at_once(
    host: Callable[..., Repository], tmp_path: Path
) -> tuple[list[Path], list[str]]:
    """Two hosts, each with a file of its own and one they both add; both opened the repository
    before either stored anything, so both store the shared file (one data pack each)."""
    first = host(RepositoryConfig(pack_size=8 << 20))
    second = host()
    shared = tmp_path / "shared"
    write_random(shared, 100_000)
    sources, snapshots = [], []
    for number, repo in enumerate((first, second)):
        source = tmp_path / f"src{number}"
        source.mkdir()
        (source / "shared").write_bytes(shared.read_bytes())
        write_random(source / "own", 2_500_000 + number)  # the extra copy is 2% of the packs
        sources.append(source)
        snapshots.append(backup(repo, source))
    return sources, snapshots


def extra_copies(repo: Repository) -> int:
    repo.cache.clear()  # a rebuilt cache: the live index files only
    sync_cache(repo.cache, repo.backend, repo.sealer)
    return count_duplicates(repo.backend, repo.sealer, repo.cache.known_files()).duplicate_copies


def test_the_extra_copy_leaves_the_index_at_once_and_the_repository_then_stays_put(
    host: Callable[..., Repository], backend: MemoryBackend, clock: Clock, tmp_path: Path
) -> None:
    sources, snapshots = hosts_uploading_at_once(host, tmp_path)
    pruner = host()
    assert extra_copies(pruner) == 1
    data_before = sum(info.size for info in backend.list("data"))
    first = prune(pruner, NO_GRACE, clock)
    # The pack with the extra copy also holds a host's own file: it is repacked even though its
    # garbage is below --max-unused, and the copy leaves the index now. Everything else in it is
    # copied (the own file is one to four chunks, as the keyed chunker happens to cut it).
    assert (first.marked_packs, first.repacked_packs) == (1, 1)
    (marked,) = trash.list_marks(backend, clock())
    header = load_pack_header(backend, pack_object_name(marked), pruner.sealer)
    assert first.copied_blobs == len(header) - 1 >= 1
    assert extra_copies(host()) == 0
    clock.advance(seconds=1)
    second = prune(host(), NO_GRACE, clock)
    assert (second.deleted_packs, second.rescued_packs, second.marked_packs) == (1, 0, 0)
    assert sum(info.size for info in backend.list("data")) < data_before - 90_000
    for _ in range(2):  # nothing left to do, whatever order a fresh cache merges the files in
        clock.advance(seconds=1)
        report = prune(host(), NO_GRACE, clock)
        assert (report.marked_packs, report.deleted_packs, report.rescued_packs) == (0, 0, 0)
    for number, (source, snapshot_id) in enumerate(zip(sources, snapshots)):
        assert restores_identically(host(), snapshot_id, source, tmp_path / f"out{number}")


def test_a_copy_in_a_marked_pack_is_not_kept_while_an_unmarked_pack_holds_the_blob(
    host: Callable[..., Repository], backend: MemoryBackend, clock: Clock, tmp_path: Path
) -> None:
    """A backup that had reused the marked pack indexed it whole again (rule C): the index
    lists both copies of the shared blob and of the blob repacked out of it, and a cache that
    merged that index file first resolves both to the marked pack."""
    sources, snapshots = hosts_uploading_at_once(host, tmp_path)
    prune(host(), NO_GRACE, clock)
    (marked,) = trash.list_marks(backend, clock())
    repo = host()
    header = load_pack_header(backend, pack_object_name(marked), repo.sealer)
    name, data = encode_index(header, (), repo.sealer)
    backend.save(name, data)  # what rule C writes
    repo.cache.clear()
    repo.cache.merge(name, header)
    for other in sorted(names(backend, "index") - {name}):
        repo.cache.merge(other, decode_index(backend.load(other), repo.sealer, other).entries)
    assert all(repo.cache.lookup(e.blob_id).pack_id == marked for e in header)  # type: ignore[union-attr]
    clock.advance(seconds=1)
    report = prune(repo, NO_GRACE, clock)
    assert (report.rescued_packs, report.deleted_packs) == (0, 1)
    assert pack_object_name(marked) not in names(backend, "data")
    assert extra_copies(host()) == 0
    for number, (source, snapshot_id) in enumerate(zip(sources, snapshots)):
        assert restores_identically(host(), snapshot_id, source, tmp_path / f"out{number}")
