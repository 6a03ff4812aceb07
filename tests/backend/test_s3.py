"""What only the S3 backend does, against the SeaweedFS test server: requests counted as sent,
conditional creates, multipart uploads, paged listings, settings from the environment, and the
botocore quirk it works around; error paths SeaweedFS cannot produce (a server without
conditional writes, throttling, a download cut short) with botocore's Stubber."""

from __future__ import annotations

import io
import os
import time

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from snapstore.backend.retrying import RetryingBackend, RetryPolicy
from snapstore.backend.s3 import S3Backend, S3Settings, settings_from_environment
from snapstore.errors import BackendError, InputError, NotFoundError, TransientBackendError
from tests.conftest import S3TestServer

MIB = 1024 * 1024


def make(server: S3TestServer, bucket: str, **settings: object) -> S3Backend:
    return S3Backend(
        server.endpoint_url,
        bucket,
        "prefix",
        region_name=server.region,
        access_key_id=server.access_key_id,
        secret_access_key=server.secret_access_key,
        settings=S3Settings(**settings),  # type: ignore[arg-type]
    )


def counts(backend: S3Backend) -> dict[str, int]:
    return backend.requests.totals().as_dict()


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {key: after[key] - before[key] for key in after if after[key] != before[key]}


def test_each_operation_costs_the_requests_it_sends(
    s3_server: S3TestServer, s3_bucket: str
) -> None:
    backend = make(s3_server, s3_bucket, list_page_size=3)
    assert counts(backend)["HEAD"] == 1  # the bucket check when opened
    steps = [
        (lambda: backend.save("data/a", bytes(100)), {"PUT": 1, "total": 1, "bytes_sent": 100}),
        (lambda: backend.load("data/a", 10, 20), {"GET": 1, "total": 1, "bytes_received": 20}),
        (lambda: backend.stat("data/a"), {"HEAD": 1, "total": 1}),
        (lambda: backend.remove("data/a"), {"HEAD": 1, "DELETE": 1, "total": 2}),
    ]
    for step, expected in steps:
        before = counts(backend)
        step()
        assert delta(before, counts(backend)) == expected
    for number in range(7):
        backend.save(f"index/{number}", b"i")
    before = counts(backend)
    assert len(list(backend.list("index"))) == 7
    assert delta(before, counts(backend)) == {"LIST": 3, "total": 3}  # pages of 3 keys


def test_create_if_absent_is_one_conditional_put(s3_server: S3TestServer, s3_bucket: str) -> None:
    backend = make(s3_server, s3_bucket)
    assert backend.create_if_absent("config", b"first") is True
    before = counts(backend)
    assert backend.create_if_absent("config", b"second") is False
    # One PUT refused by the server (If-None-Match: *), no HEAD: the check is atomic.
    assert delta(before, counts(backend)) == {"PUT": 1, "total": 1, "bytes_sent": 6}
    assert backend.load("config") == b"first"


def test_large_objects_go_up_in_parts(s3_server: S3TestServer, s3_bucket: str) -> None:
    backend = make(s3_server, s3_bucket, multipart_threshold=6 * MIB, multipart_chunk_size=5 * MIB)
    data = os.urandom(11 * MIB)
    before = counts(backend)
    backend.save("data/big", data)
    # CreateMultipartUpload, three parts, CompleteMultipartUpload.
    assert delta(before, counts(backend))["PUT"] == 5
    assert backend.load("data/big") == data
    assert backend.load("data/big", 6 * MIB, 10) == data[6 * MIB : 6 * MIB + 10]


def test_empty_then_full_uploads_do_not_stall(s3_server: S3TestServer, s3_bucket: str) -> None:
    """With `Expect: 100-continue`, an upload after an empty one on the same connection waited for
    the read timeout (botocore kept the first early answer); no retries here, so a stall would
    be an error."""
    backend = make(s3_server, s3_bucket, read_timeout=3, request_attempts=1)
    for number in range(6):
        backend.save(f"locks/{number}", b"")
        started = time.monotonic()
        backend.save(f"locks/{number}", b"content")
        # A stall waits out the 3 s read timeout (and then fails); a slow machine is not one.
        assert time.monotonic() - started < 2.5


def test_settings_from_environment() -> None:
    settings = settings_from_environment(
        {
            "SNAP_S3_RETRIES": "2",
            "SNAP_S3_READ_TIMEOUT": "7.5",
            "SNAP_S3_RETRY_DELAY": "0.1",
            "SNAP_S3_CONNECT_TIMEOUT": "",
            "OTHER": "x",
        }
    )
    assert settings.retry == RetryPolicy(retries=2, base_delay=0.1)
    assert settings.read_timeout == 7.5 and settings.connect_timeout == S3Settings().connect_timeout
    assert settings_from_environment({}) == S3Settings()


@pytest.mark.parametrize(
    ("variable", "value"),
    [("SNAP_S3_RETRIES", "many"), ("SNAP_S3_RETRIES", "-1"), ("SNAP_S3_READ_TIMEOUT", "0")],
)
def test_bad_settings_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(InputError, match=variable):
        settings_from_environment({variable: value})


# -- error paths, stubbed ------------------------------------------------------------------


@pytest.fixture
def stubbed(s3_server: S3TestServer, s3_bucket: str) -> tuple[S3Backend, Stubber]:
    backend = make(s3_server, s3_bucket)
    stubber = Stubber(backend._client)
    stubber.activate()
    return backend, stubber


def test_server_without_conditional_writes_gets_head_then_put(
    stubbed: tuple[S3Backend, Stubber],
) -> None:
    backend, stubber = stubbed
    stubber.add_client_error("put_object", "NotImplemented", "If-None-Match", 501)
    stubber.add_client_error("head_object", "404", "Not Found", 404)
    stubber.add_response("put_object", {})
    stubber.add_response("head_object", {"ContentLength": 5})
    assert backend.create_if_absent("config", b"first") is True
    assert backend.create_if_absent("config", b"other") is False  # no conditional PUT tried
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("code", "status", "transient"),
    [
        ("SlowDown", 503, True),
        ("InternalError", 500, True),
        ("AccessDenied", 403, False),
        ("NoSuchKey", 404, False),
    ],
)
def test_errors_are_transient_only_when_retrying_may_help(
    stubbed: tuple[S3Backend, Stubber], code: str, status: int, transient: bool
) -> None:
    backend, stubber = stubbed
    stubber.add_client_error("get_object", code, "message", status)
    with pytest.raises(BackendError) as failure:
        backend.load("data/x")
    assert isinstance(failure.value, TransientBackendError) is transient
    assert isinstance(failure.value, NotFoundError) is (code == "NoSuchKey")
    assert "data/x" in str(failure.value) or "AccessDenied" in str(failure.value)


def test_download_cut_short_is_transient_and_retried(stubbed: tuple[S3Backend, Stubber]) -> None:
    backend, stubber = stubbed
    whole = b"0123456789"
    stubber.add_response(
        "get_object", {"Body": StreamingBody(io.BytesIO(whole[:4]), 10), "ContentLength": 10}
    )
    stubber.add_response(
        "get_object", {"Body": StreamingBody(io.BytesIO(whole), 10), "ContentLength": 10}
    )
    retrying = RetryingBackend(backend, RetryPolicy(2, 0, 0))
    assert retrying.load("data/x") == whole
    assert retrying.retried == 1
    stubber.add_response(
        "get_object", {"Body": StreamingBody(io.BytesIO(whole[:4]), 10), "ContentLength": 10}
    )
    with pytest.raises(TransientBackendError, match="cut short"):
        backend.load("data/x")
