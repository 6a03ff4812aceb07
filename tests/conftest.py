"""Fixtures shared by every test folder: a real S3 server.

`s3_server` (session scope) is one SeaweedFS server (tests/backend/seaweed.py) on 127.0.0.1,
started on first use and stopped at the end of the session; every S3 test shares it and keeps to
its own bucket. It returns an `S3TestServer`:

- `endpoint_url`, `access_key_id`, `secret_access_key`, `region`: how to reach it;
- `env`: the AWS_* variables that give `snap` (a subprocess) these credentials, with the user's
  own AWS config and credential files masked; merge it into the subprocess environment;
- `reader_env`: the AWS_* credentials of a second identity that may only read and list;
- `new_bucket(hint)`: create a fresh, empty bucket and return its name;
- `unique_bucket_name(hint)`: a fresh name without creating the bucket (for `snap init`);
- `location(bucket, prefix="")`: the repository location `s3:http://127.0.0.1:PORT/bucket[/prefix]`;
- `client()`: a boto3 S3 client on the server, to look at or damage objects directly.

`s3_bucket` (function scope) is a fresh, empty bucket name on that server.

A server that cannot start fails the tests that need it; they are never skipped.

The database servers `postgres_server`, `mariadb_server` and `redis_server` (session scope) come
from tests/databases/fixtures.py, registered here for every folder (`pytest_plugins`).
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.backend.seaweed import (
    ACCESS_KEY,
    READER_ACCESS_KEY,
    READER_SECRET_KEY,
    SECRET_KEY,
    SeaweedServer,
    SeaweedStartError,
    remove_stale_workdirs,
)

pytest_plugins = ["tests.databases.fixtures"]

# Property tests check behaviour, never speed: hypothesis's per-example deadline and its "too
# slow" health check fail at random on a loaded 2-core CI machine. In CI the examples are the
# same every run (derandomized), so a run fails only for a change; by hand they vary, to explore.
_HYPOTHESIS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("snapstore", **_HYPOTHESIS)
settings.register_profile("snapstore-ci", derandomize=True, **_HYPOTHESIS)
settings.load_profile("snapstore-ci" if os.environ.get("CI") else "snapstore")

_bucket_numbers = itertools.count()


@dataclass(frozen=True)
class S3TestServer:
    endpoint_url: str
    access_key_id: str = ACCESS_KEY
    secret_access_key: str = SECRET_KEY
    region: str = "us-east-1"
    _session_tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    @property
    def env(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
            # The developer's own AWS setup must not leak into the tests.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    @property
    def reader_env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": READER_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": READER_SECRET_KEY}

    def unique_bucket_name(self, hint: str = "test") -> str:
        """A bucket name no other test of any session on this server uses (S3 rules: 3-63
        characters of lowercase letters, digits and '-')."""
        clean = "".join(c for c in hint.lower() if c.isalnum() or c == "-").strip("-")[:30]
        return f"{clean or 'test'}-{self._session_tag}-{next(_bucket_numbers)}"

    def new_bucket(self, hint: str = "test") -> str:
        name = self.unique_bucket_name(hint)
        self.client().create_bucket(Bucket=name)
        return name

    def location(self, bucket: str, prefix: str = "") -> str:
        return f"s3:{self.endpoint_url}/{bucket}" + (f"/{prefix}" if prefix else "")

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            region_name=self.region,
            config=Config(
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3TestServer]:
    remove_stale_workdirs()
    server = SeaweedServer()
    try:
        server.start()
    except (SeaweedStartError, OSError) as error:
        server.stop()
        pytest.fail(f"the SeaweedFS S3 server could not start: {error}")
    try:
        yield S3TestServer(server.endpoint_url)
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server: S3TestServer, request: pytest.FixtureRequest) -> str:
    return s3_server.new_bucket(request.node.name[:20])
