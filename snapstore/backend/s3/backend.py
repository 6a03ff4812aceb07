"""S3Backend: the storage protocol on one bucket, optionally below a key prefix.

An object `name` is stored under the key `<prefix>/<name>` (just `<name>` without a prefix).
botocore retries each HTTP request a few times (its "standard" mode: 5xx, throttling, dropped
connections, timeouts); a failure that remains is raised as TransientBackendError when trying
again later may help (the RetryingBackend wrapper does, with backoff), else as BackendError or
NotFoundError, always one line naming the object. Every HTTP request sent (retries and listing
pages included) is counted by kind in `requests`.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from snapstore.backend.base import (
    ObjectData,
    ObjectInfo,
    check_range,
    range_end,
    validate_name,
    validate_prefix,
)
from snapstore.backend.request_counter import RequestCounter, counter_for_new_backend
from snapstore.backend.s3.client import make_client
from snapstore.backend.s3.errors import S3ErrorMapper, error_code, one_line
from snapstore.backend.s3.settings import S3Settings
from snapstore.errors import NotFoundError, TransientBackendError

_UNSUPPORTED_CODES = {"NotImplemented", "501"}
# AWS answers 409 when another conditional write on the same key is in flight: try again.
_CONFLICT_CODES = {"ConditionalRequestConflict", "409"}
_CONFLICT_RETRIES = 5
_PRECONDITION_CODES = {"PreconditionFailed", "412"}
_MISSING_BUCKET_CODES = {"404", "NoSuchBucket", "NotFound"}


class S3Backend:
    """Implements `Backend` on one bucket, optionally below a key prefix.

    `create_if_absent` uses a conditional PUT (`If-None-Match: *`), atomic on AWS (since 2024)
    and on servers that implement it (SeaweedFS, MinIO, Ceph RGW). A server that answers
    NotImplemented (501) gets a HEAD then a PUT instead, which is NOT atomic: two writers racing
    there can both get True (docs/design.md, conditional writes). `remove` is a HEAD then a
    DELETE (S3 deletes missing keys without complaint), so NotFoundError is reliable only
    without concurrent removers.
    """

    round_trips = True  # every request waits the network: see backend.base.waits_round_trips

    def __init__(
        self,
        endpoint_url: str | None,
        bucket: str,
        prefix: str = "",
        *,
        create_bucket: bool = False,
        region_name: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        settings: S3Settings | None = None,
        counter: RequestCounter | None = None,
    ) -> None:
        if not bucket:
            raise ValueError("bucket name must not be empty")
        self._prefix = validate_prefix(prefix.strip("/"))
        self._bucket = bucket
        where = f"{endpoint_url.rstrip('/')}/" if endpoint_url else ""
        self.location = f"s3:{where}{bucket}" + (f"/{self._prefix}" if self._prefix else "")
        self.requests = counter.attach() if counter is not None else counter_for_new_backend()
        self._errors = S3ErrorMapper(bucket, self.location)
        self._settings = settings or S3Settings()
        self._client = make_client(
            endpoint_url,
            region_name,
            access_key_id,
            secret_access_key,
            self._settings,
            self.requests,
        )
        self._region = self._client.meta.region_name
        self._transfer = TransferConfig(
            multipart_threshold=self._settings.multipart_threshold,
            multipart_chunksize=self._settings.multipart_chunk_size,
            max_concurrency=self._settings.multipart_concurrency,
        )
        self._conditional_writes = True
        self._lock = threading.Lock()
        self._check_bucket(create_bucket)

    # -- the protocol ----------------------------------------------------------------------

    def save(self, name: str, data: ObjectData) -> None:
        key = self._key(name)
        # bytes() copies (the caller may reuse its buffer) and flattens any memoryview format.
        content = bytes(data)
        try:
            if len(content) > self._settings.multipart_threshold:
                self._client.upload_fileobj(
                    io.BytesIO(content), self._bucket, key, Config=self._transfer
                )
            else:
                self._client.put_object(Bucket=self._bucket, Key=key, Body=content)
        except (ClientError, BotoCoreError) as error:
            raise self._errors.map(error, "save", name) from error

    def create_if_absent(self, name: str, data: ObjectData) -> bool:
        key = self._key(name)
        content = bytes(data)
        for _ in range(_CONFLICT_RETRIES):
            if not self._conditional_writes:
                return self._create_by_head_then_put(name, key, content)
            try:
                self._client.put_object(Bucket=self._bucket, Key=key, Body=content, IfNoneMatch="*")
                return True
            except ClientError as error:
                code = error_code(error)
                if code in _PRECONDITION_CODES:
                    return False
                if code in _UNSUPPORTED_CODES:
                    with self._lock:
                        self._conditional_writes = False
                    continue
                if code in _CONFLICT_CODES:
                    continue
                raise self._errors.map(error, "create", name) from error
            except BotoCoreError as error:
                raise self._errors.map(error, "create", name) from error
        raise TransientBackendError(
            f"S3 create of {name!r} in {self.location} kept conflicting with other writers"
        )

    def load(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        key = self._key(name)
        check_range(offset, length)
        if length == 0:
            # No GET for nothing; the HEAD still reports a missing or too short object.
            range_end(name, self.stat(name).size, offset, 0, self.location)
            return b""
        arguments = {"Bucket": self._bucket, "Key": key}
        if offset or length is not None:
            last = "" if length is None else str(offset + length - 1)
            arguments["Range"] = f"bytes={offset}-{last}"
        try:
            response = self._client.get_object(**arguments)
        except ClientError as error:
            if error_code(error) in {"InvalidRange", "416"}:
                # The range starts at or past the end: empty if exactly at the end, else an error.
                range_end(name, self.stat(name).size, offset, length, self.location)
                return b""
            raise self._errors.map(error, "load", name) from error
        except BotoCoreError as error:
            raise self._errors.map(error, "load", name) from error
        body = self._read_body(name, response)
        if "Range" in arguments:
            total = _total_size(response.get("ContentRange"), offset + len(body))
            range_end(name, total, offset, length, self.location)
        return body

    def stat(self, name: str) -> ObjectInfo:
        key = self._key(name)
        try:
            response = self._client.head_object(Bucket=self._bucket, Key=key)
        except (ClientError, BotoCoreError) as error:
            raise self._errors.map(error, "stat", name) from error
        return ObjectInfo(name, int(response["ContentLength"]))

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        validate_prefix(prefix)
        folder = "/".join(part for part in (self._prefix, prefix) if part)
        return self._list(folder + "/" if folder else "", prefix)

    def remove(self, name: str) -> None:
        key = self._key(name)
        self.stat(name)  # raises NotFoundError; S3 itself deletes missing keys without complaint
        try:
            self._client.delete_object(Bucket=self._bucket, Key=key)
        except (ClientError, BotoCoreError) as error:
            raise self._errors.map(error, "remove", name) from error

    def close(self) -> None:
        self._client.close()

    # -- helpers ---------------------------------------------------------------------------

    def _key(self, name: str) -> str:
        validate_name(name)
        return f"{self._prefix}/{name}" if self._prefix else name

    def _read_body(self, name: str, response: dict[str, Any]) -> bytes:
        """Read a GET's body whole; a transfer cut short is a transient error, never short data."""
        expected = response.get("ContentLength")
        try:
            body: bytes = response["Body"].read()
        except (BotoCoreError, OSError) as error:
            raise TransientBackendError(
                f"S3 load of {name!r} in {self.location} was cut short: {one_line(error)}"
            ) from error
        finally:
            response["Body"].close()
        self.requests.add_received(len(body))
        if expected is not None and len(body) != expected:
            raise TransientBackendError(
                f"S3 load of {name!r} in {self.location} was cut short: got {len(body)} of "
                f"{expected} bytes"
            )
        return body

    def _list(self, key_prefix: str, prefix: str) -> Iterator[ObjectInfo]:
        strip = len(self._prefix) + 1 if self._prefix else 0
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            pages = paginator.paginate(
                Bucket=self._bucket,
                Prefix=key_prefix,
                PaginationConfig={"PageSize": self._settings.list_page_size},
            )
            for page in pages:
                for entry in page.get("Contents", ()):
                    name = entry["Key"][strip:]
                    if _is_object_name(name):
                        yield ObjectInfo(name, int(entry["Size"]))
        except (ClientError, BotoCoreError) as error:
            raise self._errors.map(error, "list", None) from error

    def _create_by_head_then_put(self, name: str, key: str, content: bytes) -> bool:
        """Fallback for servers without conditional PUT; not atomic (see the class docstring)."""
        try:
            self.stat(name)
            return False
        except NotFoundError:
            pass
        try:
            self._client.put_object(Bucket=self._bucket, Key=key, Body=content)
        except (ClientError, BotoCoreError) as error:
            raise self._errors.map(error, "create", name) from error
        return True

    def _check_bucket(self, create: bool) -> None:
        """One HEAD per open: a missing bucket or refused credentials fail here with a clear
        message instead of as a puzzling 404 or 403 on the first object."""
        try:
            self._client.head_bucket(Bucket=self._bucket)
            return
        except ClientError as error:
            code = error_code(error)
            if code not in _MISSING_BUCKET_CODES:
                raise self._errors.map(self._explain_refusal(error), "open", None) from error
            if not create:
                raise self._errors.missing_bucket() from error
        except BotoCoreError as error:
            raise self._errors.map(error, "open", None) from error
        self._create_bucket()

    def _explain_refusal(self, error: ClientError) -> ClientError:
        """A HEAD answer has no body, so a 403 does not say whether the key or the secret is
        wrong or the access denied; one LIST of at most one key tells."""
        if error_code(error) not in {"403", "Forbidden"}:
            return error
        try:
            self._client.list_objects_v2(Bucket=self._bucket, MaxKeys=1)
        except ClientError as detailed:
            return detailed
        except BotoCoreError:
            pass
        return error

    def _create_bucket(self) -> None:
        arguments: dict[str, object] = {"Bucket": self._bucket}
        if self._region and self._region != "us-east-1":
            arguments["CreateBucketConfiguration"] = {"LocationConstraint": self._region}
        try:
            self._client.create_bucket(**arguments)
        except ClientError as error:
            if error_code(error) not in {"BucketAlreadyOwnedByYou"}:
                raise self._errors.map(error, "create bucket", None) from error
        except BotoCoreError as error:
            raise self._errors.map(error, "create bucket", None) from error

    def __repr__(self) -> str:
        return f"S3Backend({self.location!r})"


def _total_size(content_range: str | None, fallback: int) -> int:
    """The object size from a `Content-Range: bytes a-b/total` header."""
    if content_range and "/" in content_range:
        total = content_range.rsplit("/", 1)[1]
        if total.isdigit():
            return int(total)
    return fallback


def _is_object_name(name: str) -> bool:
    """Skip folder markers and foreign keys that no backend name could produce."""
    try:
        validate_name(name)
    except ValueError:
        return False
    return True
