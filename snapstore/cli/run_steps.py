"""One step of `snap run`: a `snap` command run in this process, with the same code, options
and exit codes as on the command line, its `--json` document and warnings captured."""

from __future__ import annotations

import io
import json
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from typing import Any

import click

from snapstore.cli.commands import cli
from snapstore.cli.exit_codes import FATAL, INTERRUPTED, OK, PARTIAL, exit_code_for
from snapstore.errors import SnapError

# What a step can end as. Only "ok", "not-due", "skipped" (when nothing failed before it),
# "ignored" and "would-run" leave the run successful.
OK_STATUS, FAILED, PARTIAL_STATUS = "ok", "failed", "partial"
SKIPPED, NOT_DUE, IGNORED, NOT_AVAILABLE = "skipped", "not-due", "ignored", "not-available"
WOULD_RUN = "would-run"  # a dry run's hooks and check


@dataclass
class StepResult:
    name: str
    status: str
    seconds: float = 0.0
    exit_code: int = OK
    message: str | None = None  # one line: why it failed, or what it did
    document: Any = None  # the command's --json output
    warnings: list[str] = field(default_factory=list)
    output: str = ""  # a hook's output

    @property
    def failed(self) -> bool:
        return self.status in (FAILED, PARTIAL_STATUS, NOT_AVAILABLE)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "step": self.name, "status": self.status, "seconds": round(self.seconds, 3),
            "exit_code": self.exit_code, "message": self.message, "warnings": self.warnings,
        }  # fmt: skip
        if self.document is not None:
            document["result"] = self.document
        if self.output:
            document["output"] = self.output
        return document


def command_help(name: str) -> str:
    """The help text of a `snap` command, or "" when this version has no such command (a step
    checks that the options it needs exist before it relies on them)."""
    command = _command(name)
    if command is None:
        return ""
    with click.Context(command, info_name=f"snap {name}") as ctx:
        return command.get_help(ctx)


def run_command(step: str, name: str, args: list[str]) -> StepResult:
    """Run `snap NAME ARGS --json` in this process; the result carries its status, exit code,
    JSON document, warnings (its standard error) and, on failure, the one-line error."""
    command = _command(name)
    if command is None:
        return StepResult(step, NOT_AVAILABLE, exit_code=FATAL,
                          message=f"snap {name} is not available in this version")  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    message = None
    with redirect_stdout(out), redirect_stderr(err):
        try:
            returned = command.main(
                [*args, "--json"], prog_name=f"snap {name}", standalone_mode=False
            )
            code = returned if isinstance(returned, int) else OK
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else (OK if exit.code is None else FATAL)
        except click.exceptions.Abort:
            raise KeyboardInterrupt from None
        except click.ClickException as error:
            code, message = error.exit_code, error.format_message()
        except SnapError as error:
            code, message = exit_code_for(error), str(error).splitlines()[0]
        except OSError as error:
            code, message = FATAL, f"{error.filename or 'I/O'}: {error.strerror or error}"
        except Exception as error:  # noqa: BLE001 - a bug in one step: the run reports it, goes on
            code, message = FATAL, f"internal error: {type(error).__name__}: {error}"
    seconds = time.monotonic() - started
    status = OK_STATUS if code == OK else PARTIAL_STATUS if code == PARTIAL else FAILED
    if code == INTERRUPTED:
        raise KeyboardInterrupt
    if status != OK_STATUS and message is None:
        message = f"snap {name} exited with code {code}"
    warnings = [line for line in err.getvalue().splitlines() if line.strip()]
    return StepResult(step, status, seconds, code, message, _document(out.getvalue()), warnings)


def _document(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return {"text": text}


def _command(name: str) -> click.Command | None:
    return cli.get_command(click.Context(cli), name)
