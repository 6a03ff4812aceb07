"""`snap` on a real S3 server (SeaweedFS, the `s3_server` fixture of tests/conftest.py): init
creates the bucket, backup, snapshots, restore bit for bit, forget --prune, check --read-data;
the storage requests each command reports; one-line errors for a missing bucket and wrong
credentials."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from snapstore.backend.s3 import S3Backend
from snapstore.repository import Repository
from tests.conftest import S3TestServer
from tests.e2e.conftest import CHEAP_KDF, PASSWORD, Snap
from tests.e2e.sample_tree import build_sample_tree
from tests.e2e.tree_compare import assert_same_tree

KINDS = ("PUT", "GET", "HEAD", "LIST", "DELETE")


@dataclass
class S3Snap(Snap):
    """`snap` on an S3 location, with the test server's credentials in its environment."""

    location: str = ""
    server_env: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, **self.server_env, "SNAP_REPOSITORY": self.location}


def s3_snap(root: Path, server: S3TestServer, location: str) -> S3Snap:
    return S3Snap(root, location=location, server_env=server.env)


def initialized(root: Path, server: S3TestServer, hint: str) -> S3Snap:
    """`snap` on a new repository in a new bucket, created in-process with cheap KDF parameters
    (`snap init` on S3 has its own test)."""
    bucket = server.new_bucket(hint)
    backend = S3Backend(server.endpoint_url, bucket, region_name=server.region,
                        access_key_id=server.access_key_id,
                        secret_access_key=server.secret_access_key)  # fmt: skip
    Repository.init(backend, PASSWORD, root / "init-cache", kdf=CHEAP_KDF).close()
    return s3_snap(root, server, server.location(bucket))


def bucket_names(server: S3TestServer) -> set[str]:
    return {bucket["Name"] for bucket in server.client().list_buckets()["Buckets"]}


def object_keys(server: S3TestServer, bucket: str) -> set[str]:
    pages = server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {entry["Key"] for page in pages for entry in page.get("Contents", ())}


def test_full_cycle_on_s3(tmp_path: Path, s3_server: S3TestServer) -> None:
    bucket = s3_server.unique_bucket_name("cycle")
    snap = s3_snap(tmp_path / "snap", s3_server, s3_server.location(bucket, "team/backups"))
    assert bucket not in bucket_names(s3_server)

    created = snap.json("init")
    assert bucket in bucket_names(s3_server)
    assert created["repository"] == s3_server.location(bucket, "team/backups")
    assert all(key.startswith("team/backups/") for key in object_keys(s3_server, bucket))

    tree = build_sample_tree(tmp_path / "src")
    first = snap.backup(tree.root)
    (tree.root / "small.txt").write_bytes(b"second version\n")
    second = snap.backup(tree.root)
    listed = snap.json("snapshots")
    assert [s["id"] for s in listed] == [first["snapshot_id"], second["snapshot_id"]]

    snap.ok("restore", second["snapshot_id"], "--target", tmp_path / "restored")
    relative = tree.root.relative_to("/")
    compared = assert_same_tree(os.fsencode(tree.root),
                                os.fsencode(tmp_path / "restored" / relative), tree.xattrs_supported)  # fmt: skip
    assert compared > 20

    keys_before = object_keys(s3_server, bucket)
    forgot = snap.json("forget", "--keep-last", "1", "--prune", "--grace", "0h")
    assert [s["id"] for s in forgot["groups"][0]["remove"]] == [first["snapshot_id"]]
    snap.ok("prune", "--grace", "0h")  # the second pass deletes what the first marked
    keys_after = object_keys(s3_server, bucket)
    assert f"team/backups/snapshots/{first['snapshot_id']}" in keys_before - keys_after

    checked = snap.json("check", "--read-data")
    assert checked["ok"] and checked["read_data"]
    assert checked["requests"]["GET"] > 0
    snap.ok("restore", second["snapshot_id"], "--target", tmp_path / "again")
    assert_same_tree(os.fsencode(tree.root), os.fsencode(tmp_path / "again" / relative),
                     tree.xattrs_supported)  # fmt: skip


def requests_of(document: dict[str, Any]) -> dict[str, int]:
    requests: dict[str, int] = document["requests"]
    assert set(requests) == {*KINDS, "total", "bytes_sent", "bytes_received"}
    assert requests["total"] == sum(requests[kind] for kind in KINDS)
    return requests


def test_requests_are_reported(tmp_path: Path, s3_server: S3TestServer) -> None:
    snap = initialized(tmp_path / "snap", s3_server, "req")
    small = tmp_path / "small"
    small.mkdir()
    (small / "file").write_bytes(os.urandom(100_000))
    first = requests_of(snap.backup(small))
    # The data went up once, in a pack; nothing was downloaded but small metadata.
    assert first["bytes_sent"] > 100_000 and first["bytes_received"] < 20_000
    assert first["PUT"] >= 3  # pack, index, snapshot (+ the lock)
    print("requests of a small first backup on S3:", first)

    # A backup of 40 times more files makes more PUTs (packs) but no more LISTs, HEADs or
    # DELETEs: listings are per backup, never per file or per pack.
    many = tmp_path / "many"
    many.mkdir()
    for number in range(40):
        (many / f"f{number}").write_bytes(os.urandom(60_000))
    big = requests_of(snap.backup(many))
    repeat = requests_of(snap.backup(small))
    print("requests of a backup of 40 new files:", big, "of an unchanged small one:", repeat)
    assert big["bytes_sent"] > 40 * 60_000
    for kind in ("LIST", "HEAD", "DELETE"):
        assert big[kind] <= repeat[kind] + 1, (kind, big, repeat)

    verbose = snap.ok("snapshots", "-v")
    summary = [line for line in verbose.err.splitlines() if line.startswith("storage requests:")]
    assert len(summary) == 1 and " LIST, " in summary[0] and " GET, " in summary[0]
    quiet = snap.ok("snapshots")
    assert "storage requests" not in quiet.err


def test_missing_bucket_is_a_one_line_error(tmp_path: Path, s3_server: S3TestServer) -> None:
    bucket = s3_server.unique_bucket_name("absent")
    snap = s3_snap(tmp_path / "snap", s3_server, s3_server.location(bucket))
    message = snap.fails("snapshots", code=1)
    assert f"bucket '{bucket}' does not exist" in message and "snap init" in message
    assert bucket not in bucket_names(s3_server)  # only init creates buckets


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("AWS_SECRET_ACCESS_KEY", "not-the-secret", "AWS_SECRET_ACCESS_KEY"),
        ("AWS_ACCESS_KEY_ID", "unknown-key", "AWS_ACCESS_KEY_ID"),
    ],
)
def test_wrong_credentials_are_a_one_line_error(
    tmp_path: Path, s3_server: S3TestServer, variable: str, value: str, expected: str
) -> None:
    # The bucket exists: the credentials are refused when it is opened.
    snap = s3_snap(tmp_path / "snap", s3_server, s3_server.location(s3_server.new_bucket("cred")))
    message = snap.fails("snapshots", code=1, env={variable: value})
    assert "refused" in message and expected in message


def test_denied_write_is_a_one_line_error(tmp_path: Path, s3_server: S3TestServer) -> None:
    owner = initialized(tmp_path / "owner", s3_server, "ro")
    source = tmp_path / "src"
    source.mkdir()
    (source / "f").write_bytes(b"data")
    reader = s3_server.reader_env
    assert owner.json("snapshots", env=reader) == []  # reading is allowed
    message = owner.fails("backup", source, code=1, env=reader)
    assert "denied (AccessDenied)" in message
