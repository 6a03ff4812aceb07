"""Canonical JSON and the field encodings shared by trees and snapshots.

Canonical JSON here means: UTF-8, keys sorted, separators (",", ":"), no whitespace, non-ASCII
characters written as themselves (``ensure_ascii=False``), no floats, no NaN. Integers are JSON
integers of any size: inode numbers and device ids use all 64 bits, so readers in other languages
must parse integers as big (or at least 64-bit) integers, never as doubles.

Field encodings:

* raw bytes that may be any bytes (file names, symlink targets, xattr names) use the key ``k``
  holding a JSON string when the bytes are valid UTF-8, else the key ``k_b64`` holding standard
  base64 with padding; exactly one of the two keys is present;
* bytes that are arbitrary binary (xattr values) always use ``k_b64``;
* ids (32 bytes) are 64 lowercase hex digits;
* times are RFC 3339 with microseconds and a numeric offset, ``2026-11-21T22:03:14.123456+01:00``.

Decoders are strict and raise `IntegrityError` naming the record and field; `decode` functions
of the records also re-encode and compare, so exactly one byte string decodes to each value.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any, NoReturn

from snapstore.errors import IntegrityError

ID_SIZE = 32
_JSON_TYPES = {int: "integer", str: "string", list: "list", dict: "object"}
_HEX_ID = re.compile(r"[0-9a-f]{64}")
# What `format_time` writes, checked before `fromisoformat`, which accepts many other spellings.
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d", re.ASCII)


def dumps(value: dict[str, Any]) -> bytes:
    """The canonical encoding of a JSON object built from dicts, lists, str, int and bool."""
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key in a JSON object")
    return result


def _no_floats(text: str) -> NoReturn:
    raise ValueError(f"number {text} is not an integer")


def loads_object(data: bytes, what: str) -> dict[str, Any]:
    """Parse `data` as one JSON object; IntegrityError for anything that is not one."""
    try:
        text = bytes(data).decode("utf-8")
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_float=_no_floats,
            parse_constant=_no_floats,
        )
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeError are ValueErrors
        raise IntegrityError(f"{what}: not valid UTF-8 JSON ({exc})") from None
    if not isinstance(value, dict):
        raise IntegrityError(f"{what}: top level is not a JSON object")
    return value


def check_canonical(data: bytes, value: dict[str, Any], what: str) -> None:
    """Refuse a well-formed encoding that is not the canonical one (spacing, key order, escapes,
    explicit default values): otherwise two byte strings, so two ids, would mean the same record."""
    if bytes(data) != dumps(value):
        raise IntegrityError(f"{what}: not in canonical form")


class FieldReader:
    """Typed, checked access to one JSON object; `finish` refuses keys that were never read."""

    def __init__(self, obj: Any, what: str) -> None:
        if not isinstance(obj, dict):
            raise IntegrityError(f"{what}: not a JSON object")
        self.obj: dict[str, Any] = obj
        self.what = what
        self._read: set[str] = set()

    def fail(self, message: str) -> NoReturn:
        raise IntegrityError(f"{self.what}: {message}")

    def has(self, key: str) -> bool:
        self._read.add(key)
        return key in self.obj

    def get(self, key: str, kind: type, default: Any = ...) -> Any:
        """The value of `key`, which must be of JSON type `kind` (int, str, list, dict)."""
        if not self.has(key):
            if default is ...:
                self.fail(f"missing field '{key}'")
            return default
        value = self.obj[key]
        # bool is an int in Python but a different JSON type
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(f"field '{key}' must be a JSON {_JSON_TYPES[kind]}")
        if isinstance(value, str) and not _is_unicode(value):
            self.fail(f"field '{key}' holds a lone surrogate escape, which is not UTF-8")
        return value

    def strings(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        """A list of strings; absent means empty unless `required`."""
        items = self.get(key, list) if required else self.get(key, list, [])
        if not all(isinstance(item, str) for item in items):
            self.fail(f"field '{key}' must be a list of strings")
        if not all(_is_unicode(item) for item in items):
            self.fail(f"field '{key}' holds a lone surrogate escape, which is not UTF-8")
        return tuple(items)

    def raw_bytes(self, key: str, default: Any = ...) -> Any:
        """Bytes stored under `key` (UTF-8 text) or `key_b64` (base64), exactly one of them."""
        text, b64 = self.has(key), self.has(key + "_b64")
        if text and b64:
            self.fail(f"both '{key}' and '{key}_b64' are present")
        if text:
            return self.get(key, str).encode("utf-8")
        if b64:
            value = self.b64(key + "_b64")
            if _is_utf8(value):
                self.fail(f"'{key}_b64' holds valid UTF-8, which must be stored as '{key}'")
            return value
        if default is ...:
            self.fail(f"missing field '{key}' (or '{key}_b64')")
        return default

    def b64(self, key: str) -> bytes:
        return decode_b64(self.get(key, str), f"{self.what}: field '{key}'")

    def id(self, key: str, default: Any = ...) -> Any:
        if not self.has(key) and default is not ...:
            return default
        return decode_id(self.get(key, str), f"{self.what}: field '{key}'")

    def ids(self, key: str) -> tuple[bytes, ...]:
        """A list of ids, absent meaning empty."""
        items = self.get(key, list, [])
        if not all(isinstance(item, str) for item in items):
            self.fail(f"field '{key}' must be a list of hex strings")
        what = f"{self.what}: field '{key}'"
        return tuple(decode_id(item, f"{what}[{i}]") for i, item in enumerate(items))

    def time(self, key: str) -> datetime:
        return parse_time(self.get(key, str), f"{self.what}: field '{key}'")

    def finish(self) -> None:
        unknown = sorted(set(self.obj) - self._read)
        if unknown:
            self.fail(f"unknown field(s) {', '.join(repr(k) for k in unknown)}")


def _is_unicode(text: str) -> bool:
    """False for a str holding lone surrogates, as JSON escapes like "\\ud800" produce."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def put_raw_bytes(obj: dict[str, Any], key: str, value: bytes) -> None:
    """Store `value` under `key` as text when it is UTF-8, else base64 under `key_b64`."""
    if _is_utf8(value):
        obj[key] = value.decode("utf-8")
    else:
        obj[key + "_b64"] = encode_b64(value)


def encode_b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def decode_b64(text: str, what: str) -> bytes:
    try:
        value = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise IntegrityError(f"{what}: not valid base64") from None
    if encode_b64(value) != text:  # padding or unused bits that a canonical writer never sets
        raise IntegrityError(f"{what}: base64 is not canonical")
    return value


def is_hex_id(text: object) -> bool:
    return isinstance(text, str) and _HEX_ID.fullmatch(text) is not None


def decode_id(text: str, what: str) -> bytes:
    if not is_hex_id(text):
        raise IntegrityError(f"{what}: an id must be {2 * ID_SIZE} lowercase hex digits")
    return bytes.fromhex(text)


def check_time(value: object, what: str) -> None:
    """ValueError unless `value` is an aware datetime that RFC 3339 can express exactly."""
    if not isinstance(value, datetime):
        raise ValueError(f"{what} must be a datetime")
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{what} must be timezone-aware")
    if offset % timedelta(minutes=1):  # RFC 3339 offsets have no seconds (unlike old LMT zones)
        raise ValueError(f"{what} has a UTC offset that is not a whole number of minutes")


def format_time(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


def parse_time(text: str, what: str) -> datetime:
    if not _RFC3339.fullmatch(text):
        raise IntegrityError(f"{what}: not an RFC 3339 time with microseconds and an offset")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise IntegrityError(f"{what}: not a valid date and time") from None
    offset = value.utcoffset()
    assert offset is not None  # the pattern requires an offset
    # A fixed-offset zone keeps the writer's offset, so re-encoding gives the same text.
    return value.replace(tzinfo=timezone(offset))


def check_text(value: object, what: str) -> None:
    """ValueError unless `value` is a str that UTF-8 can encode (no lone surrogates, which
    os.fsdecode produces for undecodable bytes)."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a str")
    if not _is_unicode(value):
        raise ValueError(f"{what} is not encodable as UTF-8: {value!r}")
