"""Formatting for people (text, tables) and machines (`--json`). Data goes to stdout, progress
and warnings to stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import click

from snapstore.model import Snapshot

# Key in the root click context's meta of a function that may hold a --json document back to
# print it later (request_report.py adds the request counts); it returns True if it did.
JSON_HOOK = "snapstore.json_hook"


def emit_json(value: Any) -> None:
    context = click.get_current_context(silent=True)
    hold = context.find_root().meta.get(JSON_HOOK) if context is not None else None
    if hold is not None and hold(value):
        return
    print_json(value)


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("-" * len(lines[0]))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def human_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.2f} {unit}"
        size /= 1024
    return f"{size} B"


def rfc3339(moment: datetime) -> str:
    return moment.isoformat()


def snapshot_json(snapshot_id: str, snapshot: Snapshot) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": snapshot_id,
        "short_id": snapshot_id[:8],
        "time": rfc3339(snapshot.time),
        "hostname": snapshot.hostname,
        "username": snapshot.username,
        "paths": list(snapshot.paths),
        "tags": list(snapshot.tags),
        "tree": snapshot.tree.hex(),
        "parent": snapshot.parent,
        "program_version": snapshot.program_version,
    }
    if snapshot.original is not None:
        document["original"] = snapshot.original
    if snapshot.summary is not None:
        summary = snapshot.summary
        document["summary"] = {
            name: (rfc3339(value) if isinstance(value, datetime) else value)
            for name, value in vars_of(summary).items()
        }
    return document


def vars_of(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


def progress_bar(enabled: bool, total: int | None, unit: str) -> Any:
    """A tqdm bar on stderr when it is a terminal; otherwise None (nothing noisy in logs)."""
    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, unit_scale=True, file=sys.stderr, leave=False)


def bar_updater(bar: Any, field: Callable[[Any], int]) -> Callable[[Any, str], None] | None:
    if bar is None:
        return None
    seen = [0]

    def update(counters: Any, path: str) -> None:
        value = field(counters)
        bar.update(value - seen[0])
        seen[0] = value
        bar.set_postfix_str(path[-40:], refresh=False)

    return update
