"""The S3 backend (AWS or any S3-compatible server) and its settings.

This package is the only place that imports boto3 or botocore (tests/test_layers.py checks it),
and it is imported only when an `s3:` location is opened, so `snap` starts without boto3.
Modules: `backend` (S3Backend, the protocol on one bucket), `client` (the boto3 client, its
request counting and the botocore quirks worked around), `errors` (botocore errors to one-line
`snapstore.errors`), `settings` (timeouts and retries, from SNAP_S3_* variables).
"""

from __future__ import annotations

from snapstore.backend.s3.backend import S3Backend
from snapstore.backend.s3.settings import S3Settings, settings_from_environment

__all__ = ["S3Backend", "S3Settings", "settings_from_environment"]
