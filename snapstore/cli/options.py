"""Options every repository command takes, accepted before or after the command name
(`snap -r R snapshots` and `snap snapshots -r R` both work, as in restic)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

import click

from snapstore.cli import request_report

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class GlobalOptions:
    repo: str | None = None
    password_file: str | None = None
    cache_dir: str | None = None
    as_json: bool = False
    quiet: bool = False
    verbose: int = 0
    audit_log: str | None = None  # read by snapstore.cli.audit from the arguments themselves

    def merged(self, other: GlobalOptions) -> GlobalOptions:
        """`other` (the command's own options) wins where it was given."""
        given = {f.name: getattr(other, f.name) for f in fields(other) if getattr(other, f.name)}
        return replace(self, **given)


def _options(with_env: bool) -> list[Callable[[F], F]]:
    """Environment variables are read once, by the group, so that an option given on the
    command line (before or after the command name) always wins over them."""

    def env(name: str) -> dict[str, Any]:
        return {"envvar": name} if with_env else {}

    return [
        click.option("-r", "--repo", **env("SNAP_REPOSITORY"), help="Repository location ($SNAP_REPOSITORY)."),
        click.option("--password-file", **env("SNAP_PASSWORD_FILE"), help="Read the password from a file."),
        click.option("--cache-dir", **env("SNAP_CACHE_DIR"), help="Local cache folder (default ~/.cache/snapstore)."),
        click.option("--json", "as_json", is_flag=True, default=False, help="Machine-readable output."),
        click.option("-q", "--quiet", is_flag=True, default=False, help="Print only errors."),
        click.option("-v", "--verbose", count=True, help="More detail (repeat for more)."),
        click.option("--audit-log", **env("SNAP_AUDIT_LOG"), help="Audit log file ($SNAP_AUDIT_LOG, off: none)."),
    ]  # fmt: skip


def _apply(func: F, with_env: bool) -> F:
    for option in reversed(_options(with_env)):
        func = option(func)
    return func


def group_options(func: F) -> F:
    """On the `snap` group: store the options for the command that follows."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        ctx.obj = GlobalOptions(**{f.name: kwargs.pop(f.name) for f in fields(GlobalOptions)})
        return func(*args, **kwargs)

    return _apply(wrapper, with_env=True)  # type: ignore[return-value]


def command_options(func: F) -> F:
    """On a command: merge its own options over the group's and pass them as `options`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        own = GlobalOptions(**{f.name: kwargs.pop(f.name) for f in fields(GlobalOptions)})
        ctx = click.get_current_context()
        base = ctx.find_root().obj if isinstance(ctx.find_root().obj, GlobalOptions) else GlobalOptions()
        options = base.merged(own)
        request_report.start(ctx, options)
        return func(*args, options=options, **kwargs)

    return _apply(wrapper, with_env=False)  # type: ignore[return-value]
