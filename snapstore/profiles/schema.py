"""The keys a configuration file may hold, and what each value must look like.

Every key is checked: an unknown key is an error (with the nearest known key as a hint), since
a typo such as `keep-daly` silently ignored would leave a repository without retention.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from snapstore.checker import parse_subset
from snapstore.errors import InputError
from snapstore.profiles.intervals import parse_interval
from snapstore.profiles.key_lines import Path
from snapstore.profiles.model import ON_FAILURE, WHEN
from snapstore.profiles.problems import Problem
from snapstore.retention import parse_duration
from snapstore.retention.grouping import normalize_group_by

Check = Callable[[Any], str | None]  # a message when the value is wrong, else None

PROFILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SHARE = re.compile(r"([0-9]+(?:\.[0-9]+)?)%")
COUNT_KEYS = tuple(f"keep-{n}" for n in ("last", "hourly", "daily", "weekly", "monthly", "yearly"))
WINDOW_KEYS = ("keep-within",) + tuple(
    f"keep-within-{n}" for n in ("hourly", "daily", "weekly", "monthly", "yearly")
)
PASSWORD_KEYS = ("password-file", "password-command", "password-env")


def text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "expected a non-empty string"


def flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else "expected true or false"


def texts(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        return "expected a list of non-empty strings"
    return None


def absolute_paths(value: Any) -> str | None:
    if problem := texts(value):
        return problem
    relative = [v for v in value if not os.path.isabs(os.path.expanduser(v))]
    # A scheduled run starts in / or $HOME: a relative path would depend on where that is.
    return f"{relative[0]!r}: give an absolute path" if relative else None


def env_name(value: Any) -> str | None:
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
        return "expected the name of an environment variable (letters, digits, _)"
    return None


def keep_count(value: Any) -> str | None:
    if value == "unlimited" or (
        isinstance(value, int) and not isinstance(value, bool) and value >= 0
    ):
        return None
    return 'expected a count (0 or more) or "unlimited"'


def keep_duration(value: Any) -> str | None:
    if not isinstance(value, str):
        return 'expected a duration string such as "1y2m3d4h"'
    try:
        parse_duration(value)
    except ValueError as error:
        return str(error)
    return None


def interval(value: Any) -> str | None:
    if not isinstance(value, str):
        return 'expected an interval string such as "7d" or "12h"'
    try:
        parse_interval(value)
    except ValueError as error:
        return str(error)
    return None


def share(value: Any) -> str | None:
    match = _SHARE.fullmatch(value) if isinstance(value, str) else None
    if match is None or float(match.group(1)) > 100:
        return 'expected a percentage between 0% and 100%, such as "5%"'
    return None


def grace(value: Any) -> str | None:
    if problem := keep_duration(value):
        return problem
    duration = parse_duration(value)
    return (
        'give days and hours (for example "1d" or "6h")'
        if duration.years or duration.months
        else None
    )


def subset(value: Any) -> str | None:
    if not isinstance(value, str):
        return 'expected N% or n/t, such as "5%" or "1/7"'
    try:
        parse_subset(value)
    except InputError as error:
        return str(error)
    return None


def group_by(value: Any) -> str | None:
    if not isinstance(value, str):
        return 'expected fields such as "host,paths"'
    try:
        normalize_group_by(g for g in value.split(",") if g)
    except ValueError as error:
        return str(error)
    return None


def one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        return (
            None if value in choices else "expected one of " + ", ".join(f'"{c}"' for c in choices)
        )

    return check


def command(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return None
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return None
    return "expected a command line (a string) or its words (a list of strings)"


@dataclass(frozen=True)
class Table:
    fields: Mapping[str, Spec]
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class Array:
    """An array of tables (`[[profiles.web.before]]` or `before = [{...}]`)."""

    element: Table


@dataclass(frozen=True)
class Names:
    """A table of any names (valid as profile names), each described by `value`."""

    value: Table
    extra: dict[str, Table] = field(default_factory=dict)


Spec = Check | Table | Array | Names
HOOK: dict[str, Spec] = {"command": command, "on-failure": one_of(*ON_FAILURE), "timeout": interval}
PASSWORD: dict[str, Spec] = dict.fromkeys(PASSWORD_KEYS[:2], text)
PASSWORD["password-env"] = env_name
RETENTION = Table({**dict.fromkeys(COUNT_KEYS, keep_count), **dict.fromkeys(WINDOW_KEYS, keep_duration),
                   "keep-tag": texts, "group-by": group_by})  # fmt: skip
PROFILE_FIELDS: dict[str, Spec] = {
    "repository": text,
    **PASSWORD,
    "cache-dir": text,
    "paths": absolute_paths,
    "db": texts,
    "excludes": texts,
    "exclude-files": absolute_paths,
    "exclude-caches": flag,
    "one-file-system": flag,
    "tags": texts,
    "host": text,
    "s3-credentials-file": text,
    "s3-profile": text,
    "s3-region": text,
    "retention": RETENTION,
    "prune": Table({"every": interval, "max-unused": share, "grace": grace}),
    "check": Table({"every": interval, "read-data-subset": subset, "read-data": flag}),
    "copy": Table({"repository": text, **PASSWORD}, required=("repository",)),
    "before": Array(Table(HOOK, required=("command",))),
    "after": Array(Table({**HOOK, "when": one_of(*WHEN)}, required=("command",))),
}
PROFILE = Table({**PROFILE_FIELDS, "inherit": text})
DOCUMENT = Table({
    "global": Table({"state-dir": text}),
    "defaults": Table(PROFILE_FIELDS),
    "profiles": Names(PROFILE),
})  # fmt: skip


def validate(value: Any, spec: Spec, path: Path) -> list[Problem]:
    """Every problem of `value` against `spec`, each with its path in the document."""
    if isinstance(spec, Table):
        return _table(value, spec, path)
    if isinstance(spec, Array):
        if not isinstance(value, list):
            return [Problem(path, "expected a list of tables ([[...]] sections)")]
        return [p for i, item in enumerate(value) for p in _table(item, spec.element, (*path, i))]
    if isinstance(spec, Names):
        if not isinstance(value, dict):
            return [Problem(path, "expected a table of named profiles ([profiles.NAME])")]
        found = []
        for name, item in value.items():
            if not PROFILE_NAME.fullmatch(name):
                found.append(
                    Problem((*path, name), "a profile name may hold letters, digits, _ . -")
                )
            found += _table(item, spec.value, (*path, name))
        return found
    message = spec(value)
    return [Problem(path, message)] if message else []


def _table(value: Any, spec: Table, path: Path) -> list[Problem]:
    if not isinstance(value, dict):
        return [Problem(path, "expected a table")]
    found = []
    for key, item in value.items():
        if key not in spec.fields:
            close = difflib.get_close_matches(key, list(spec.fields), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            found.append(Problem((*path, key), f"unknown key{hint}"))
            continue
        found += validate(item, spec.fields[key], (*path, key))
    found += [Problem(path, f"{key} is required") for key in spec.required if key not in value]
    given = [k for k in PASSWORD_KEYS if k in value]
    if len(given) > 1:
        found.append(
            Problem((*path, given[1]), f"give one password source, not {' and '.join(given)}")
        )
    return found
