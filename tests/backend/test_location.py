"""Repository locations: the forms of `s3:` locations, and what is refused in one line."""

from __future__ import annotations

import pytest

from snapstore.backend.location import S3Location, open_backend, parse_s3_location
from snapstore.errors import InputError


@pytest.mark.parametrize(
    ("rest", "expected"),
    [
        ("my-bucket", S3Location(None, "my-bucket", "")),
        ("my-bucket/team/backups/", S3Location(None, "my-bucket", "team/backups")),
        ("https://s3.example.com/b/p", S3Location("https://s3.example.com", "b", "p")),
        ("https://s3.example.com:9000/b", S3Location("https://s3.example.com:9000", "b", "")),
        ("http://127.0.0.1:8333/b/x/y", S3Location("http://127.0.0.1:8333", "b", "x/y")),
        ("http://localhost:9000/b", S3Location("http://localhost:9000", "b", "")),
        ("http://[::1]:9000/b", S3Location("http://[::1]:9000", "b", "")),
    ],
)
def test_s3_location_forms(rest: str, expected: S3Location) -> None:
    assert parse_s3_location(rest, {}) == expected


@pytest.mark.parametrize(
    ("rest", "message"),
    [
        ("", "names no bucket"),
        ("https://s3.example.com/", "names no bucket"),
        ("https:///bucket", "has no host"),
        ("http://nas.lan:9000/b", "SNAP_S3_ALLOW_HTTP"),
        ("http://192.168.1.5:9000/b", "plain http"),
    ],
)
def test_bad_s3_locations_are_one_line_errors(rest: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as failure:
        parse_s3_location(rest, {})
    assert "\n" not in str(failure.value)


def test_plain_http_on_a_trusted_network_is_allowed_when_asked() -> None:
    where = parse_s3_location("http://nas.lan:9000/b", {"SNAP_S3_ALLOW_HTTP": "1"})
    assert where.endpoint_url == "http://nas.lan:9000"


def test_no_location_is_an_input_error() -> None:
    with pytest.raises(InputError, match="SNAP_REPOSITORY"):
        open_backend("")
