"""Hiding secrets a configuration value may carry before it is shown: the password in a
database URL (postgresql://user:secret@host/db), and in a hook's command line."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit


def mask_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(hidden)"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://[^/:@\s]*:)[^@\s/]*@")
_SECRET_ASSIGNMENT = re.compile(
    r"(?P<name>\b(?:password|passwd|pwd|secret|token|api[_-]?key)\s*[=:]\s*)(?:'[^']*'|\"[^\"]*\"|[^&\s]+)",
    re.IGNORECASE,
)


def mask_text(text: str) -> str:
    """A command line as it may be shown: passwords in URLs and `password=...`, `token=...`
    (and the like) replaced by ***."""
    text = _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)
    return _SECRET_ASSIGNMENT.sub(lambda m: f"{m.group('name')}***", text)
