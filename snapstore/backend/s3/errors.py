"""botocore's errors as `snapstore.errors`, each one line naming the bucket or object and what
to check. Failures that trying again later may cure (server errors, throttling, dropped
connections, timeouts) become TransientBackendError, for the retry wrapper."""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    HTTPClientError,
    IncompleteReadError,
    NoCredentialsError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from snapstore.errors import BackendError, NotFoundError, TransientBackendError

_NOT_FOUND_CODES = {"NoSuchKey", "404", "NotFound"}
_DENIED_CODES = {"AccessDenied", "403", "Forbidden", "AllAccessDisabled"}
_THROTTLING_CODES = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "TooManyRequests",
    "429",
    "RequestTimeout",
    "InternalError",
    "ServiceUnavailable",
}
_TRANSIENT_BOTO_ERRORS = (BotoConnectionError, HTTPClientError, IncompleteReadError)


def error_code(error: ClientError) -> str:
    code = error.response.get("Error", {}).get("Code")
    if code:
        return str(code)
    return str(_status(error) or "")


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def one_line(text: object) -> str:
    return " ".join(str(text).split())


class S3ErrorMapper:
    def __init__(self, bucket: str, location: str) -> None:
        self.bucket = bucket
        self.location = location

    def missing_bucket(self) -> BackendError:
        return BackendError(
            f"S3 bucket {self.bucket!r} does not exist ({self.location}); `snap init` creates it"
        )

    def map(self, error: Exception, operation: str, name: str | None) -> BackendError:
        what = f"object {name!r} in {self.location}" if name else self.location
        if isinstance(error, ClientError):
            return self._client_error(error, operation, name, what)
        if isinstance(error, NoCredentialsError):
            return BackendError(
                f"S3 {operation} of {self.location} failed: no AWS credentials found (set "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)"
            )
        if isinstance(error, _TRANSIENT_BOTO_ERRORS):
            return TransientBackendError(one_line(f"S3 {operation} of {what} failed: {error}"))
        return BackendError(one_line(f"S3 {operation} of {what} failed: {error}"))

    def _client_error(
        self, error: ClientError, operation: str, name: str | None, what: str
    ) -> BackendError:
        code = error_code(error)
        message = error.response.get("Error", {}).get("Message") or code
        if code == "NoSuchBucket":
            return self.missing_bucket()
        if code in _NOT_FOUND_CODES and name is not None:
            return NotFoundError(f"{what} not found")
        if code == "InvalidAccessKeyId":
            return BackendError(
                f"S3 {operation} of {self.location} refused: the access key is not known to the "
                "server (InvalidAccessKeyId); check AWS_ACCESS_KEY_ID"
            )
        if code == "SignatureDoesNotMatch":
            return BackendError(
                f"S3 {operation} of {self.location} refused: the secret key does not match the "
                "access key (SignatureDoesNotMatch); check AWS_SECRET_ACCESS_KEY"
            )
        if code in _DENIED_CODES:
            return BackendError(
                f"S3 {operation} of {what} denied ({code}): check the credentials and the "
                f"permissions on bucket {self.bucket!r}"
            )
        text = one_line(f"S3 {operation} of {what} failed: {code}: {message}")
        if code in _THROTTLING_CODES or _status(error) >= 500:
            return TransientBackendError(text)
        return BackendError(text)
