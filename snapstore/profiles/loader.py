"""Reading a configuration file: TOML syntax (tomllib), then the schema, then inheritance
(`[defaults]` under every profile, `inherit = "other"` for chains), then what a runnable
profile needs. Every problem found is reported with its file and line."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from snapstore.profiles.intervals import parse_interval
from snapstore.profiles.key_lines import KeyLines, key_lines
from snapstore.profiles.model import (
    CheckSettings,
    Config,
    CopySettings,
    Hook,
    PasswordSource,
    Profile,
    PruneSettings,
    Retention,
)
from snapstore.profiles.problems import ConfigError, LocatedProblem, Problem, dotted
from snapstore.profiles.schema import COUNT_KEYS, DOCUMENT, PASSWORD_KEYS, WINDOW_KEYS, validate

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)$")
# The S3 backend reads the standard AWS variables; a profile names them in its own words.
S3_VARIABLES = {"s3-credentials-file": "AWS_SHARED_CREDENTIALS_FILE", "s3-profile": "AWS_PROFILE",
                "s3-region": "AWS_DEFAULT_REGION"}  # fmt: skip


def load_config(path: Path) -> Config:
    """The validated configuration; ConfigError listing every problem otherwise."""
    text = _read(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        position = _TOML_POSITION.search(message)
        line = int(position.group(1)) if position else None
        problem = LocatedProblem(path, line, "", _TOML_POSITION.sub("", message))
        raise ConfigError(str(problem), (problem,)) from None
    lines = key_lines(text)
    problems = validate(raw, DOCUMENT, ())
    merged: dict[str, dict[str, Any]] = {}
    if not problems:
        for name in raw.get("profiles", {}):
            profile, found = _merged(raw, name)
            problems += found or _runnable(profile, name)
            merged[name] = profile
    if problems:
        raise ConfigError.of([_locate(path, lines, p) for p in problems])
    folder = path.parent
    state_dir = raw.get("global", {}).get("state-dir")
    profiles = {name: _profile(name, settings, folder) for name, settings in merged.items()}
    return Config(path, profiles, _file(state_dir, folder) if state_dir else None)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None


def _locate(path: Path, lines: KeyLines, problem: Problem) -> LocatedProblem:
    return LocatedProblem(path, lines.line_of(problem.path), dotted(problem.path), problem.message)


def _merged(raw: dict[str, Any], name: str) -> tuple[dict[str, Any], list[Problem]]:
    """The profile with what it inherits filled in: its own keys win over its `inherit`
    chain's, which win over `[defaults]`; tables merge key by key, lists are replaced."""
    profiles = raw["profiles"]
    chain = [name]
    while "inherit" in profiles[chain[-1]]:
        parent = profiles[chain[-1]]["inherit"]
        where = ("profiles", chain[-1], "inherit")
        if parent not in profiles:
            known = ", ".join(sorted(profiles))
            return {}, [
                Problem(where, f"no profile {parent!r} to inherit from (profiles: {known})")
            ]
        if parent in chain:
            return {}, [Problem(where, "inheritance loop: " + " -> ".join([*chain, parent]))]
        chain.append(parent)
    result: dict[str, Any] = {}
    for layer in [raw.get("defaults", {}), *(profiles[n] for n in reversed(chain))]:
        result = _merge(result, layer)
    result.pop("inherit", None)
    return result, []


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    if any(k in over for k in PASSWORD_KEYS):
        # One password source per layer: a profile's own replaces the one it inherits.
        for key in PASSWORD_KEYS:
            merged.pop(key, None)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _runnable(profile: dict[str, Any], name: str) -> list[Problem]:
    """What the schema cannot see key by key: a profile must say where and what to back up."""
    where = ("profiles", name)
    found = []
    if "repository" not in profile:
        found.append(Problem(where, "repository is required (in the profile or in [defaults])"))
    if not profile.get("paths") and not profile.get("db"):
        found.append(Problem(where, "nothing to back up: give paths or db"))
    retention = profile.get("retention")
    if retention is not None and not any(
        k in retention for k in (*COUNT_KEYS, *WINDOW_KEYS, "keep-tag")
    ):
        found.append(
            Problem((*where, "retention"), "no keep-* rule: a forget would remove every snapshot")
        )
    return found


def _file(value: str, folder: Path) -> Path:
    """A file the configuration names: `~` expanded, relative to the configuration's folder."""
    return folder / os.path.expanduser(value)


def _password(settings: dict[str, Any], folder: Path) -> PasswordSource:
    file = settings.get("password-file")
    return PasswordSource(str(_file(file, folder)) if file else None,
                          settings.get("password-command"), settings.get("password-env"))  # fmt: skip


def _hooks(items: list[dict[str, Any]]) -> tuple[Hook, ...]:
    return tuple(
        Hook(
            command=item["command"] if isinstance(item["command"], str) else tuple(item["command"]),
            on_failure=item.get("on-failure", "abort"),
            timeout=parse_interval(item["timeout"]) if "timeout" in item else None,
            when=item.get("when", "always"),
        )
        for item in items
    )


def _retention(table: dict[str, Any]) -> Retention:
    keep = [(key, str(value)) for key, value in table.items() if key in (*COUNT_KEYS, *WINDOW_KEYS)]
    keep += [("keep-tag", tag) for tag in table.get("keep-tag", [])]
    return Retention(tuple(keep), table.get("group-by"))


def _every(table: dict[str, Any]) -> Any:
    return parse_interval(table["every"]) if "every" in table else None


def _profile(name: str, s: dict[str, Any], folder: Path) -> Profile:
    prune, check, copy = s.get("prune"), s.get("check"), s.get("copy")
    environment = tuple(
        (variable, str(_file(s[key], folder)) if key == "s3-credentials-file" else s[key])
        for key, variable in S3_VARIABLES.items()
        if key in s
    )
    return Profile(
        name=name,
        repository=s["repository"],
        password=_password(s, folder),
        cache_dir=str(_file(s["cache-dir"], folder)) if "cache-dir" in s else None,
        paths=tuple(os.path.expanduser(p) for p in s.get("paths", [])),
        databases=tuple(s.get("db", [])),
        excludes=tuple(s.get("excludes", [])),
        exclude_files=tuple(os.path.expanduser(p) for p in s.get("exclude-files", [])),
        exclude_caches=s.get("exclude-caches", False),
        one_file_system=s.get("one-file-system", False),
        # Forget looks only at snapshots with the profile's tags: by default its name, so
        # that one profile's policy never thins out another's snapshots of the same host.
        tags=tuple(s.get("tags", [name])),
        host=s.get("host"),
        environment=environment,
        retention=_retention(s["retention"]) if "retention" in s else None,
        prune=PruneSettings(_every(prune), prune.get("max-unused"), prune.get("grace"))
        if prune is not None
        else None,
        check=CheckSettings(
            _every(check), check.get("read-data-subset"), check.get("read-data", False)
        )
        if check is not None
        else None,
        copy=CopySettings(copy["repository"], _password(copy, folder))
        if copy is not None
        else None,
        before=_hooks(s.get("before", [])),
        after=_hooks(s.get("after", [])),
    )
