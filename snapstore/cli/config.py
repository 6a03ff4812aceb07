"""`snap config validate` and `snap config show PROFILE`: check a configuration file (every
problem with its file and line) and show a profile as `snap run` will use it, secrets hidden."""

from __future__ import annotations

from typing import Any

import click

from snapstore.cli.config_file import config_option, config_path
from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import emit_json
from snapstore.profiles import ConfigError, Profile, load_config
from snapstore.profiles.intervals import format_interval
from snapstore.profiles.masking import mask_url


@click.group("config")
def config_group() -> None:
    """Check and show the configuration file of `snap run` and `snap schedule`."""


@config_group.command("validate")
@config_option
@command_options
def validate_command(options: GlobalOptions, config_path: Any) -> None:
    """Check the configuration file; list every problem with its line."""
    path = _path(config_path)
    try:
        config = load_config(path)
    except ConfigError as error:
        problems = error.problems
        if not problems and not options.as_json:
            raise  # the file itself is missing or unreadable: one line says it
        if options.as_json:
            emit_json({"file": str(path), "ok": False, "profiles": [],
                       "problems": [{"line": p.line, "key": p.key, "message": p.message}
                                    for p in problems] or [{"line": None, "key": "", "message": str(error)}]})  # fmt: skip
        else:
            for problem in problems:
                click.echo(str(problem))
        count = len(problems) or 1
        raise ConfigError(f"{path}: {count} problem{'s' if count > 1 else ''}") from None
    names = sorted(config.profiles)
    if options.as_json:
        emit_json({"file": str(path), "ok": True, "profiles": names, "problems": []})
    elif not options.quiet:
        click.echo(f"{path}: ok, {len(names)} profiles: {', '.join(names) or 'none'}")


@config_group.command("show")
@click.argument("profile_name", metavar="PROFILE")
@config_option
@command_options
def show_command(options: GlobalOptions, profile_name: str, config_path: Any) -> None:
    """Show PROFILE with what it inherits filled in (passwords and URL secrets hidden)."""
    profile = load_config(_path(config_path)).profile(profile_name)
    document = profile_document(profile)
    if options.as_json:
        emit_json(document)
        return
    for key, value in document.items():
        if isinstance(value, dict):
            for inner, item in value.items():
                if item not in (None, [], False):
                    click.echo(f"{key}.{inner}: {_text(item)}")
        elif key in ("before", "after"):
            for index, hook in enumerate(value):
                settings = ", ".join(f"{k} {v}" for k, v in hook.items() if k != "command" and v)
                click.echo(f"{key}[{index}]: {hook['command']} ({settings})")
        elif value not in (None, [], False):
            click.echo(f"{key}: {_text(value)}")


def _path(given: Any) -> Any:
    return config_path(given)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def profile_document(profile: Profile) -> dict[str, Any]:
    """The profile as data, secrets left out: a password command is never shown (it may carry
    the password itself), nor a password inside a database URL."""
    document: dict[str, Any] = {
        "name": profile.name,
        "repository": profile.repository,
        "password": profile.password.describe(),
        "cache-dir": profile.cache_dir,
        "paths": list(profile.paths),
        "db": [mask_url(url) for url in profile.databases],
        "excludes": list(profile.excludes),
        "exclude-files": list(profile.exclude_files),
        "exclude-caches": profile.exclude_caches,
        "one-file-system": profile.one_file_system,
        "tags": list(profile.tags),
        "host": profile.host,
        "environment": dict(profile.environment),
    }
    if profile.retention is not None:
        document["retention"] = {key: value for key, value in profile.retention.keep}
        document["retention"]["keep-tag"] = [
            v for k, v in profile.retention.keep if k == "keep-tag"
        ]
        if profile.retention.group_by:
            document["retention"]["group-by"] = profile.retention.group_by
    if profile.prune is not None:
        document["prune"] = {"every": _every(profile.prune.every), "max-unused": profile.prune.max_unused,
                             "grace": profile.prune.grace}  # fmt: skip
    if profile.check is not None:
        document["check"] = {"every": _every(profile.check.every),
                             "read-data-subset": profile.check.read_data_subset,
                             "read-data": profile.check.read_data}  # fmt: skip
    if profile.copy is not None:
        document["copy"] = {"repository": profile.copy.repository,
                            "password": profile.copy.password.describe()}  # fmt: skip
    for kind, hooks in (("before", profile.before), ("after", profile.after)):
        document[kind] = [{"command": hook.describe(), "on-failure": hook.on_failure,
                           "timeout": format_interval(hook.timeout) if hook.timeout else None,
                           **({"when": hook.when} if kind == "after" else {})} for hook in hooks]  # fmt: skip
    return document


def _every(value: Any) -> str | None:
    return format_interval(value) if value is not None else "every run"
