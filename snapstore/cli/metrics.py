"""Prometheus metrics of backup runs, in a text file for node_exporter's textfile collector.

`write_run_metrics(path, RunMetrics(...))` is the one entry point; `snap backup
--metrics-file F` calls it through `metrics_option`, and `snap run --metrics-file F`
(or `$SNAP_METRICS_FILE`) through `run_metrics.write_profile_metrics`, once per run with the
profile's name. (Only `snap run` reads the variable: the backups it runs in this process must
not each write their own samples.) Samples carry the labels `profile` (empty for a plain `snap backup`) and
`host`. One file may serve many profiles and hosts: a write replaces only the samples of its
own label pair and keeps the others.

What a failed run changes: only the `snapstore_last_run_*` samples (time, duration, exit
status). The last success timestamp and the figures of the last successful backup (bytes,
files, snapshots, repository size) are kept from the file, so an alert on
`time() - snapstore_last_success_timestamp_seconds` keeps counting from the last good backup.

The file is replaced atomically (a temporary file in the same folder, whose name does not end
in `.prom`, then rename), as the collector requires: it never reads half a file. Concurrent
writers (two profiles finishing at once) take turns on an flock of the folder.
"""

from __future__ import annotations

import fcntl
import functools
import os
import re
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from snapstore.cli.exit_codes import PARTIAL, exit_code_for, exit_status
from snapstore.cli.output import vars_of

F = TypeVar("F", bound=Callable[..., Any])

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Metric:
    name: str
    help: str
    field: str  # attribute of RunMetrics
    on_failure: bool  # updated by a failed run too (else kept from the last success)


METRICS = (
    Metric("snapstore_last_run_timestamp_seconds", "When the last run ended (Unix time).",
           "ended", True),
    Metric("snapstore_last_run_duration_seconds", "How long the last run took.", "duration", True),
    Metric("snapstore_last_run_exit_status", "Exit status of the last run (0 success, 3 some "
           "files unreadable, other values: failed).", "exit_status", True),
    Metric("snapstore_last_success_timestamp_seconds", "When the last successful run ended "
           "(Unix time).", "ended", False),
    Metric("snapstore_last_success_duration_seconds", "How long the last successful run took.",
           "duration", False),
    Metric("snapstore_backup_bytes_read", "Bytes read from files by the last successful run.",
           "bytes_read", False),
    Metric("snapstore_backup_bytes_processed", "Bytes of all files the last successful run "
           "covered (unchanged files included).", "bytes_processed", False),
    Metric("snapstore_backup_bytes_added", "New bytes (before compression) the last successful "
           "run added to the repository.", "bytes_added", False),
    Metric("snapstore_backup_bytes_stored", "Bytes the last successful run wrote to packs "
           "(compressed, encrypted).", "bytes_stored", False),
    Metric("snapstore_backup_files", "Files the last successful run covered.", "files", False),
    Metric("snapstore_repository_snapshots", "Snapshots in the repository after the last "
           "successful run.", "snapshots", False),
    Metric("snapstore_repository_size_bytes", "Bytes the repository holds on its backend after "
           "the last successful run.", "repository_bytes", False),
)  # fmt: skip


@dataclass
class RunMetrics:
    """One finished run. Counters are None when unknown (a run that failed early); a metric
    whose value is None is left out, or kept from the file."""

    profile: str
    host: str
    ended: float  # Unix time
    duration: float  # seconds
    exit_status: int
    bytes_read: int | None = None
    bytes_processed: int | None = None
    bytes_added: int | None = None
    bytes_stored: int | None = None
    files: int | None = None
    snapshots: int | None = None
    repository_bytes: int | None = None

    @property
    def succeeded(self) -> bool:
        # Exit 3: the snapshot was saved, some files could not be read; the status says so.
        return self.exit_status in (0, PARTIAL)

    def labels(self) -> Labels:
        return (("host", self.host), ("profile", self.profile))  # sorted, as parsed


def write_run_metrics(path: Path, run: RunMetrics) -> None:
    """Merge `run` into the metrics file at `path` (created if absent), atomically."""
    path = Path(path)
    with _folder_lock(path.parent):
        samples = read_samples(path) if path.exists() else {}
        own = run.labels()
        for metric in METRICS:
            value = getattr(run, metric.field)
            if value is None or not (metric.on_failure or run.succeeded):
                continue
            samples.setdefault(metric.name, {})[own] = float(value)
        _replace(path, render(samples))


def read_samples(path: Path) -> dict[str, dict[Labels, float]]:
    """The samples of a file this module wrote: name -> labels -> value. Lines it cannot
    parse (comments, foreign syntax) are skipped."""
    samples: dict[str, dict[Labels, float]] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parsed = parse_sample(line)
        if parsed is not None:
            name, labels, value = parsed
            samples.setdefault(name, {})[labels] = value
    return samples


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?[0-9]+)?$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)')


def parse_sample(line: str) -> tuple[str, Labels, float] | None:
    match = _SAMPLE.match(line.strip())
    if match is None or line.startswith("#"):
        return None
    name, label_text, value_text = match.groups()
    labels = []
    position = 0
    text = label_text or ""
    while position < len(text):
        label = _LABEL.match(text, position)
        if label is None:
            return None
        labels.append((label.group(1), _unescape(label.group(2))))
        position = label.end()
    try:
        value = float(value_text)
    except ValueError:
        return None
    return name, tuple(sorted(labels)), value


def render(samples: dict[str, dict[Labels, float]]) -> str:
    """The text exposition format: HELP and TYPE once per metric, then its samples."""
    known = {metric.name: metric for metric in METRICS}
    lines = []
    for name in sorted(samples):
        if name in known:
            lines.append(f"# HELP {name} {known[name].help}")
            lines.append(f"# TYPE {name} gauge")
        for labels, value in sorted(samples[name].items()):
            text = ",".join(f'{key}="{_escape(val)}"' for key, val in sorted(labels))
            braced = f"{{{text}}}" if text else ""
            lines.append(f"{name}{braced} {_number(value)}")
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _replace(path: Path, text: str) -> None:
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o644)  # the collector usually runs as another user
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


# -- `snap backup --metrics-file` ------------------------------------------------------------

_NOTES = "snapstore.metrics"


def metrics_option(func: F) -> F:
    """Add `--metrics-file FILE` to a backup-like command; when given, write the run's metrics
    at its end, whatever the outcome. The command reports its figures with `note_backup`."""

    @functools.wraps(func)
    def wrapper(*args: Any, metrics_file: Path | None, **kwargs: Any) -> Any:
        if metrics_file is None:
            return func(*args, **kwargs)
        notes: dict[str, Any] = {}
        click.get_current_context().meta[_NOTES] = notes
        started = time.monotonic()
        status = 1
        try:
            result = func(*args, **kwargs)
            status = 0
            return result
        except SystemExit as done:
            status = exit_status(done)
            raise
        except BaseException as error:
            status = exit_code_for(error)
            raise
        finally:
            if not notes.pop("dry_run", False):
                run = RunMetrics(profile="", host=kwargs.get("host") or socket.gethostname(),
                                 ended=time.time(), duration=time.monotonic() - started,
                                 exit_status=status, **notes)  # fmt: skip
                write_or_warn(metrics_file, run)

    option = click.option(
        "--metrics-file", type=click.Path(path_type=Path),
        help="Write Prometheus metrics of this run to FILE (node_exporter textfile collector).",
    )  # fmt: skip
    return option(wrapper)  # type: ignore[return-value]


def write_or_warn(path: Path, run: RunMetrics) -> None:
    try:
        write_run_metrics(path, run)
    except OSError as error:  # the backup itself is what matters: never fail it for metrics
        click.echo(f"warning: metrics file {path}: {error.strerror or error}", err=True)


def note_backup(result: Any, repo: Any) -> None:
    """Called by `snap backup` with its BackupResult while the repository is open: records
    the figures for `--metrics-file` (the snapshot count and repository size cost a listing,
    so they are taken only when a metrics file was asked for)."""
    context = click.get_current_context(silent=True)
    notes = context.meta.get(_NOTES) if context is not None else None
    if notes is None:
        return
    if result.snapshot_id is None:  # a dry run stores nothing: it leaves the metrics alone
        notes["dry_run"] = True
        return
    snapshots, repository_bytes = repository_figures(repo.backend)
    notes.update(counter_figures(vars_of(result.counters)), snapshots=snapshots,
                 repository_bytes=repository_bytes)  # fmt: skip


def counter_figures(counters: dict[str, Any]) -> dict[str, int]:
    """RunMetrics fields from a backup's counters (as `snap backup --json` prints them)."""
    return {
        "bytes_read": counters.get("bytes_read", 0),
        "bytes_processed": counters.get("total_bytes_processed", 0),
        "bytes_added": counters.get("data_added", 0),
        "bytes_stored": counters.get("data_added_packed", 0),
        "files": counters.get("total_files_processed", 0),
    }


def repository_figures(backend: Any) -> tuple[int, int]:
    """(snapshots, bytes stored) from one listing of the backend: no key is needed."""
    snapshots = size = 0
    for info in backend.list(""):
        size += info.size
        snapshots += info.name.startswith("snapshots/")
    return snapshots, size
