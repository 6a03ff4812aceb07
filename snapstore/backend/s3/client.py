"""The boto3 client the S3 backend talks through: settings applied, a botocore quirk worked
around, and every HTTP request it sends counted by the kind it is billed as."""

from __future__ import annotations

import functools
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.handlers import add_expect_header

from snapstore.backend.request_counter import RequestCounter
from snapstore.backend.s3.settings import S3Settings

# botocore operation -> the request kind it is billed as (POSTs of multipart uploads as PUT).
_OPERATION_KINDS = {
    "PutObject": "PUT",
    "CreateMultipartUpload": "PUT",
    "UploadPart": "PUT",
    "CompleteMultipartUpload": "PUT",
    "CreateBucket": "PUT",
    "GetObject": "GET",
    "HeadObject": "HEAD",
    "HeadBucket": "HEAD",
    "ListObjectsV2": "LIST",
    "ListObjects": "LIST",
    "ListBuckets": "LIST",
    "DeleteObject": "DELETE",
    "AbortMultipartUpload": "DELETE",
}
_METHOD_KINDS = {"PUT": "PUT", "POST": "PUT", "GET": "GET", "HEAD": "HEAD", "DELETE": "DELETE"}


def make_client(
    endpoint_url: str | None,
    region_name: str | None,
    access_key_id: str | None,
    secret_access_key: str | None,
    settings: S3Settings,
    counter: RequestCounter,
) -> Any:
    core = botocore.session.get_session()
    core.register_component("data_loader", _shared_loader())
    session = boto3.session.Session(
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        region_name=region_name,
        botocore_session=core,
    )
    # S3-compatible servers on a host:port rarely resolve virtual-host bucket names.
    addressing = {"addressing_style": "path"} if endpoint_url else {}
    config = Config(
        retries={"max_attempts": settings.request_attempts, "mode": "standard"},
        max_pool_connections=settings.max_connections,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        s3=addressing,
        # Checksums only where S3 requires them: the default CRC trailers (aws-chunked uploads)
        # are mishandled by some S3-compatible servers.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    region = session.region_name or ("us-east-1" if endpoint_url else None)
    client = session.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)
    # No `Expect: 100-continue` on uploads. When a server gives the final answer without a 100
    # first (legal: for an empty body, a 412 of a conditional PUT, an error), botocore keeps that
    # answer's status on the pooled connection, misreads the next response on it and waits for
    # the read timeout (seen as 5-30 s stalls on SeaweedFS). Without the header a refused upload
    # sends its body for nothing, a small price next to a stall.
    client.meta.events.unregister("before-call.s3", add_expect_header)
    client.meta.events.register("before-send.s3", _request_counter_hook(counter))
    return client


@functools.cache
def _shared_loader() -> botocore.loaders.Loader:
    """One loader of botocore's service models for every client of the process: each session
    would otherwise parse and keep its own copy (tens of MiB), and a process that opens many
    backends (copying, tests) would grow by that much per backend. The models are read-only."""
    return botocore.loaders.create_loader()


def _request_counter_hook(counter: RequestCounter) -> Any:
    def count(request: Any, event_name: str = "", **kwargs: Any) -> None:
        """Runs once per HTTP request sent, botocore's own retries included."""
        operation = event_name.rsplit(".", 1)[-1]
        kind = _OPERATION_KINDS.get(operation) or _METHOD_KINDS.get(request.method, "GET")
        try:
            sent = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            sent = 0
        counter.add(kind, sent=sent)

    return count
