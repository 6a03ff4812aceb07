"""The S3 backend: objects in a bucket (AWS or any S3-compatible server), through boto3.

This is the only module that imports boto3 or botocore (tests/test_layers.py checks it), and it is
imported only when an `s3:` location is opened, so `snap` starts without loading boto3.

An object `name` is stored under the key `<prefix>/<name>` (just `<name>` without a prefix).
Retries with exponential backoff are botocore's own ("standard" mode, bounded attempts); every
error that remains is mapped to `snapstore.errors` with a one-line message naming the object.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.handlers import add_expect_header

from snapstore.backend.base import (
    ObjectData,
    ObjectInfo,
    check_range,
    range_end,
    validate_name,
    validate_prefix,
)
from snapstore.errors import BackendError, NotFoundError

# Objects above this size are uploaded in parts; below it one PUT is faster and simpler.
MULTIPART_THRESHOLD = 64 * 1024 * 1024
DEFAULT_MAX_ATTEMPTS = 5
# Enough connections for the thread pools of the layers above; botocore's default is 10.
MAX_POOL_CONNECTIONS = 32

_NOT_FOUND_CODES = {"NoSuchKey", "404", "NotFound"}
_DENIED_CODES = {"AccessDenied", "403", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch"}
_UNSUPPORTED_CODES = {"NotImplemented", "501"}
# AWS answers 409 when another conditional write on the same key is in flight: try again.
_CONFLICT_CODES = {"ConditionalRequestConflict", "409"}
_CONFLICT_RETRIES = 5


class S3Backend:
    """Implements `Backend` on one bucket, optionally below a key prefix.

    `create_if_absent` uses a conditional PUT (`If-None-Match: *`), atomic on AWS and on servers
    that implement it. A server that rejects the header (NotImplemented / 501) gets a HEAD then a
    PUT instead, which is NOT atomic: two writers racing there can both get True. `remove` is a
    HEAD then a DELETE (S3 deletes of missing keys succeed silently), so NotFoundError is reliable
    only without concurrent removers.
    """

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
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        if not bucket:
            raise ValueError("bucket name must not be empty")
        self._prefix = validate_prefix(prefix.strip("/"))
        self._bucket = bucket
        where = f"{endpoint_url.rstrip('/')}/" if endpoint_url else ""
        self.location = f"s3:{where}{bucket}" + (f"/{self._prefix}" if self._prefix else "")
        session = boto3.session.Session(
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            region_name=region_name,
        )
        # S3-compatible servers on a host:port rarely resolve virtual-host bucket names.
        addressing = {"addressing_style": "path"} if endpoint_url else {}
        config = Config(
            retries={"max_attempts": max_attempts, "mode": "standard"},
            max_pool_connections=MAX_POOL_CONNECTIONS,
            connect_timeout=10,
            read_timeout=30,
            s3=addressing,
            # Checksums only where S3 requires them: the default CRC trailers (aws-chunked
            # uploads) are mishandled by some S3-compatible servers (SeaweedFS hangs on them).
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._region = session.region_name or ("us-east-1" if endpoint_url else None)
        self._client = session.client(
            "s3", endpoint_url=endpoint_url, region_name=self._region, config=config
        )
        # No `Expect: 100-continue` on uploads. When a server gives the final answer without a
        # 100 first (legal: an empty body, a 412 of a conditional PUT, an error), botocore keeps
        # that answer's status on the pooled connection, misreads the next response on it and
        # waits for the read timeout (seen as 5-30 s stalls on SeaweedFS). Without the header a
        # refused upload sends its body for nothing, a small price next to a stall.
        self._client.meta.events.unregister("before-call.s3", add_expect_header)
        self._transfer = TransferConfig(multipart_threshold=MULTIPART_THRESHOLD)
        self._conditional_writes = True
        self._lock = threading.Lock()
        if create_bucket:
            self._create_bucket_if_missing()

    # -- the protocol ----------------------------------------------------------------------

    def save(self, name: str, data: ObjectData) -> None:
        key = self._key(name)
        # bytes() copies (the caller may reuse its buffer) and flattens any memoryview format.
        content = bytes(data)
        try:
            if len(content) > MULTIPART_THRESHOLD:
                self._client.upload_fileobj(
                    io.BytesIO(content), self._bucket, key, Config=self._transfer
                )
            else:
                self._client.put_object(Bucket=self._bucket, Key=key, Body=content)
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, "save", name) from error

    def create_if_absent(self, name: str, data: ObjectData) -> bool:
        key = self._key(name)
        content = bytes(data)
        for _ in range(_CONFLICT_RETRIES):
            if not self._conditional_writes:
                return self._create_by_head_then_put(name, key, content)
            try:
                self._client.put_object(
                    Bucket=self._bucket, Key=key, Body=content, IfNoneMatch="*"
                )
                return True
            except ClientError as error:
                code = _code(error)
                if code in {"PreconditionFailed", "412"}:
                    return False
                if code in _UNSUPPORTED_CODES:
                    with self._lock:
                        self._conditional_writes = False
                    continue
                if code in _CONFLICT_CODES:
                    continue
                raise self._error(error, "create", name) from error
            except BotoCoreError as error:
                raise self._error(error, "create", name) from error
        raise BackendError(
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
            body = response["Body"].read()
        except ClientError as error:
            if _code(error) in {"InvalidRange", "416"}:
                # The range starts at or past the end: empty if exactly at the end, else an error.
                range_end(name, self.stat(name).size, offset, length, self.location)
                return b""
            raise self._error(error, "load", name) from error
        except BotoCoreError as error:
            raise self._error(error, "load", name) from error
        if "Range" in arguments:
            total = _total_size(response.get("ContentRange"), offset + len(body))
            range_end(name, total, offset, length, self.location)
        expected = response.get("ContentLength", len(body))
        if len(body) != expected:
            raise BackendError(
                f"object {name!r} in {self.location}: got {len(body)} of {expected} bytes"
            )
        return body

    def stat(self, name: str) -> ObjectInfo:
        key = self._key(name)
        try:
            response = self._client.head_object(Bucket=self._bucket, Key=key)
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, "stat", name) from error
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
            raise self._error(error, "remove", name) from error

    def close(self) -> None:
        self._client.close()

    # -- helpers ---------------------------------------------------------------------------

    def _key(self, name: str) -> str:
        validate_name(name)
        return f"{self._prefix}/{name}" if self._prefix else name

    def _list(self, key_prefix: str, prefix: str) -> Iterator[ObjectInfo]:
        strip = len(self._prefix) + 1 if self._prefix else 0
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self._bucket, Prefix=key_prefix):
                for entry in page.get("Contents", ()):
                    name = entry["Key"][strip:]
                    if _is_object_name(name):
                        yield ObjectInfo(name, int(entry["Size"]))
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, "list", prefix or "/") from error

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
            raise self._error(error, "create", name) from error
        return True

    def _create_bucket_if_missing(self) -> None:
        try:
            self._client.head_bucket(Bucket=self._bucket)
            return
        except ClientError as error:
            if _code(error) not in {"404", "NoSuchBucket", "NotFound"}:
                raise self._error(error, "open", None) from error
        except BotoCoreError as error:
            raise self._error(error, "open", None) from error
        arguments: dict[str, object] = {"Bucket": self._bucket}
        if self._region and self._region != "us-east-1":
            arguments["CreateBucketConfiguration"] = {"LocationConstraint": self._region}
        try:
            self._client.create_bucket(**arguments)
        except ClientError as error:
            if _code(error) not in {"BucketAlreadyOwnedByYou"}:
                raise self._error(error, "create bucket", None) from error
        except BotoCoreError as error:
            raise self._error(error, "create bucket", None) from error

    def _error(self, error: Exception, operation: str, name: str | None) -> BackendError:
        what = f"object {name!r} in {self.location}" if name else self.location
        if isinstance(error, ClientError):
            code = _code(error)
            message = error.response.get("Error", {}).get("Message") or code
            if code == "NoSuchBucket":
                return BackendError(f"S3 {operation} failed: bucket {self._bucket!r} does not exist")
            if code in _NOT_FOUND_CODES and name is not None:
                return NotFoundError(f"{what} not found")
            if code in _DENIED_CODES:
                return BackendError(
                    f"S3 {operation} of {what} denied ({code}): check the credentials and the "
                    f"permissions on bucket {self._bucket!r}"
                )
            return BackendError(_one_line(f"S3 {operation} of {what} failed: {code}: {message}"))
        return BackendError(_one_line(f"S3 {operation} of {what} failed: {error}"))

    def __repr__(self) -> str:
        return f"S3Backend({self.location!r})"


def _code(error: ClientError) -> str:
    code = error.response.get("Error", {}).get("Code")
    if code:
        return str(code)
    return str(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


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


def _one_line(text: str) -> str:
    return " ".join(text.split())
