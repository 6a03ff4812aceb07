"""The copy engine on memory repositories: re-chunking between different keys, copying by id
between repositories that share them, skipping what was copied, references, interruptions and
damaged sources."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

import pytest

from snapstore.copier import Copier, CopyOptions, CopyResult
from snapstore.copier.options import BY_ID, RECHUNK
from snapstore.errors import BackendError, IntegrityError
from snapstore.index import BlobType
from snapstore.repository import ChunkerParams, Repository, RepositoryConfig
from snapstore.repository.snapshot_filter import SnapshotFilter
from tests.copier.conftest import Folder, backup, read_folder, sample_folder

MakeRepo = Callable[..., Repository]


def copy(source: Repository, target: Repository, **options: object) -> CopyResult:
    return Copier(source, target, CopyOptions(**options)).run()  # type: ignore[arg-type]


def restored(target: Repository, copied_id: str) -> Folder:
    return read_folder(target, target.load_snapshot(copied_id).tree)


def data_ids(repo: Repository) -> set[bytes]:
    return {e.blob_id for e in repo.cache if e.blob_type == BlobType.DATA}


def test_copy_between_different_keys_rechunks_and_keeps_every_byte(make_repo: MakeRepo) -> None:
    source, target = make_repo(), make_repo(password=b"other")
    folder = sample_folder()
    sid = backup(source, folder, tags=("daily",))
    result = copy(source, target)
    assert result.mode == RECHUNK
    assert [c.source_id for c in result.copied] == [sid]
    copied_id = result.copied[0].target_id
    assert copied_id is not None
    assert restored(target, copied_id) == folder
    copied = target.load_snapshot(copied_id)
    original = source.load_snapshot(sid)
    assert copied.original == sid
    assert (copied.time, copied.hostname, copied.paths, copied.tags) == (
        original.time, original.hostname, original.paths, original.tags)
    # The target's ids are its own: no source id leaks into it, and the contents are cut by the
    # target's chunker, exactly as a backup into the target would cut them.
    assert not data_ids(target) & data_ids(source)
    c = result.counters
    assert c.snapshots_copied == 1 and c.snapshots_skipped == 0
    assert c.bytes_read == sum(len(source.load_data(i)) for i in data_ids(source))
    assert c.data_blobs_added == len(data_ids(target))


def test_rechunked_files_are_cut_as_a_backup_into_the_target_would_cut_them(make_repo: MakeRepo) -> None:
    source, target = make_repo(), make_repo()
    folder = {b"big": random.Random(3).randbytes(200_000)}
    backup(source, folder)
    result = copy(source, target)
    assert result.copied[0].target_id is not None
    node = target.load_tree(target.load_snapshot(result.copied[0].target_id).tree).get(b"big")
    assert node is not None
    scanner = target.new_scanner()
    ends = list(scanner.feed(folder[b"big"])) + list(scanner.finish())
    expected = tuple(target.blob_id(folder[b"big"][a:b]) for a, b in zip([0, *ends], ends))
    assert node.content == expected
    # Several chunks whatever the target's random chunker key: 200 kB in chunks of at most
    # 64 KiB is at least 4 ("> 5" failed for about 1 key in 5,000).
    assert len(expected) >= 4


def cut(repo: Repository, data: bytes, stream: bool = False) -> tuple[bytes, ...]:
    scanner = repo.new_scanner(stream=stream)
    ends = list(scanner.feed(data)) + list(scanner.finish())
    return tuple(repo.blob_id(data[a:b]) for a, b in zip([0, *ends], ends))


def test_streams_are_recut_with_the_targets_stream_chunker(make_repo: MakeRepo) -> None:
    source, target = make_repo(), make_repo()
    rng = random.Random(4)
    folder = {b"dump.sql": rng.randbytes(60_000), b"file": rng.randbytes(60_000)}
    backup(source, folder, streams=frozenset({b"dump.sql"}))
    result = copy(source, target)
    assert result.copied[0].target_id is not None
    tree = target.load_tree(target.load_snapshot(result.copied[0].target_id).tree)
    dump, file = tree.get(b"dump.sql"), tree.get(b"file")
    assert dump is not None and file is not None
    assert dump.content == cut(target, folder[b"dump.sql"], stream=True)
    assert file.content == cut(target, folder[b"file"])
    assert len(dump.content) > 3 * len(file.content)


def test_second_copy_copies_nothing(make_repo: MakeRepo) -> None:
    source, target = make_repo(), make_repo()
    backup(source, sample_folder(1))
    backup(source, sample_folder(2), day=1)
    first = copy(source, target)
    assert first.counters.snapshots_copied == 2
    packs = target.blobs.packs_written
    second = copy(source, target)
    assert second.counters.snapshots_copied == 0
    assert second.counters.snapshots_skipped == 2
    assert {s.target_id for s in second.skipped} == {c.target_id for c in first.copied}
    assert second.counters.blobs_read == 0
    assert target.blobs.packs_written == packs
    assert len(target.list_snapshots()) == 2


def test_later_snapshot_takes_unchanged_files_from_its_parents_copy(make_repo: MakeRepo) -> None:
    source, target = make_repo(), make_repo()
    folder = sample_folder()
    first = backup(source, folder)
    copy(source, target)
    changed = {**folder, b"small": b"changed"}
    second = backup(source, changed, parent=first, day=1)
    result = copy(source, target)
    assert [c.source_id for c in result.copied] == [second]
    c = result.counters
    assert c.files == 6
    assert c.files_reused == 4  # every file but the changed one and the empty one
    assert c.blobs_read == 1 and c.bytes_read == len(b"changed")
    copied_id = result.copied[0].target_id
    assert copied_id is not None
    assert restored(target, copied_id) == changed
    first_copy = [sid for sid, s in target.list_snapshots() if s.original == first]
    assert target.load_snapshot(copied_id).parent == first_copy[0]


def test_same_content_keys_copy_blobs_by_id_and_only_the_missing_ones(make_repo: MakeRepo) -> None:
    source = make_repo()
    config = RepositoryConfig(pack_size=1 << 20).adopting(source.config, source.master.content_keys)
    target = make_repo(config, password=b"other")
    folder = sample_folder()
    sid = backup(source, folder)
    backup(target, {b"big": folder[b"big"]})  # a backup made directly into the target
    already = data_ids(target)
    result = copy(source, target)
    assert result.mode == BY_ID
    copied_id = result.copied[0].target_id
    assert copied_id is not None
    assert target.load_snapshot(copied_id).tree == source.load_snapshot(sid).tree
    assert data_ids(target) == data_ids(source) | already
    assert result.counters.data_blobs_added == len(data_ids(source) - already)
    assert result.counters.blobs_read == len(data_ids(source) - already)
    assert restored(target, copied_id) == folder


def test_different_chunker_parameters_with_the_same_keys_still_rechunk(make_repo: MakeRepo) -> None:
    source = make_repo()
    other = ChunkerParams(min_size=2048, avg_size=8192, max_size=32768)
    target = make_repo(RepositoryConfig().adopting(replace(source.config, chunker=other), source.master.content_keys))
    folder = sample_folder()
    backup(source, folder)
    result = copy(source, target)
    assert result.mode == RECHUNK
    assert result.copied[0].target_id is not None
    assert restored(target, result.copied[0].target_id) == folder


def test_filters_and_named_snapshots(make_repo: MakeRepo) -> None:
    source, target = make_repo(), make_repo()
    a = backup(source, sample_folder(1), hostname="a", tags=("daily",))
    b = backup(source, sample_folder(2), hostname="b", day=1)
    c = backup(source, sample_folder(3), hostname="a", paths=("/etc",), day=2)
    dry = copy(source, target, where=SnapshotFilter(hosts=("a",)), dry_run=True)
    assert [x.source_id for x in dry.copied] == [a, c]
    assert dry.copied[0].target_id is None
    assert target.list_snapshots() == []
    assert [x.source_id for x in copy(source, target, where=SnapshotFilter(tags=("daily",))).copied] == [a]
    assert [x.source_id for x in copy(source, target, snapshots=(c[:8],)).copied] == [c]
    rest = copy(source, target)
    assert [x.source_id for x in rest.copied] == [b]
    assert [x.source_id for x in rest.skipped] == [a, c]


def test_a_copy_of_a_copy_is_recognized_by_its_original(make_repo: MakeRepo) -> None:
    first, second, third = make_repo(), make_repo(), make_repo()
    sid = backup(first, sample_folder())
    copy(first, second)
    via = copy(second, third)
    assert via.counters.snapshots_copied == 1
    copied_id = via.copied[0].target_id
    assert copied_id is not None
    assert third.load_snapshot(copied_id).original == sid
    direct = copy(first, third)
    assert direct.counters.snapshots_copied == 0 and direct.counters.snapshots_skipped == 1


def test_an_interrupted_copy_leaves_no_snapshot_and_the_next_one_reuses_its_blobs(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:  # fmt: skip
    source, target = make_repo(), make_repo()
    folder = sample_folder()
    backup(source, folder)

    def stop(*args: object) -> str:
        raise KeyboardInterrupt  # stopped after the data was stored, before the snapshot

    monkeypatch.setattr(target, "save_snapshot", stop)
    with pytest.raises(KeyboardInterrupt):
        copy(source, target)
    monkeypatch.undo()
    assert target.list_snapshots() == []
    stored = data_ids(target)
    assert stored  # flushed and indexed before the snapshot would have been saved
    resumed = copy(source, target)
    assert resumed.counters.snapshots_copied == 1
    assert resumed.counters.data_blobs_added == 0
    assert resumed.counters.tree_blobs_added == 0
    assert resumed.copied[0].target_id is not None
    assert restored(target, resumed.copied[0].target_id) == folder


def test_a_damaged_source_blob_stops_the_copy_before_any_snapshot(make_repo: MakeRepo) -> None:
    source, target = make_repo(), make_repo()
    backup(source, {b"file": random.Random(5).randbytes(30_000)})
    entry = next(e for e in source.cache if e.blob_type == BlobType.DATA)
    name = f"data/{entry.pack_id.hex()[:2]}/{entry.pack_id.hex()}"
    data = bytearray(source.backend.load(name))
    data[entry.offset + 30] ^= 1
    source.backend.save(name, bytes(data))
    with pytest.raises(IntegrityError, match=entry.blob_id.hex()):
        copy(source, target)
    assert target.list_snapshots() == []


def test_locks_are_taken_and_released(make_repo: MakeRepo) -> None:
    source, target = make_repo(), make_repo()
    backup(source, sample_folder())
    seen: list[tuple[str, str]] = []

    def progress(counters: object, path: str) -> None:
        if not seen:
            seen.extend((repo_name, info.name.split("/")[0])
                        for repo_name, repo in (("source", source), ("target", target))
                        for info in repo.backend.list("locks"))  # fmt: skip

    Copier(source, target, CopyOptions(), on_progress=progress).run()
    assert sorted(seen) == [("source", "locks"), ("target", "locks")]
    assert list(source.backend.list("locks")) == [] == list(target.backend.list("locks"))


def test_a_storage_error_on_a_worker_stops_the_copy_before_any_snapshot(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:  # fmt: skip
    source, target = make_repo(), make_repo()
    backup(source, sample_folder())

    def fail(*args: object) -> int:
        raise BackendError("disk on fire")

    monkeypatch.setattr(target, "save_data", fail)
    with pytest.raises(BackendError, match="disk on fire"):
        copy(source, target)
    assert target.list_snapshots() == []
    assert list(target.backend.list("locks")) == []

