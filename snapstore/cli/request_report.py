"""The storage requests a command made, reported when it ends: one line on stderr with -v, and a
"requests" object in its --json document, so users can estimate what a command costs on cloud
storage.

Every command taking the global options starts a report (options.command_options calls
`start`); each backend opened while the command runs counts into the report's counter
(backend/request_counter.py, a request scope), so no command needs code of its own. A --json
document that is an object is held back until the command ends and printed with the final
counts (the lock release comes after the command's work); a document that is a list (snapshots,
ls, key list) is printed unchanged, to keep its shape for scripts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from snapstore.backend.request_counter import RequestCounter, RequestTotals, request_scope
from snapstore.cli.output import JSON_HOOK, human_bytes, print_json

if TYPE_CHECKING:  # options.py imports this module
    from snapstore.cli.options import GlobalOptions

_REPORT = "snapstore.request_report"


@dataclass
class _Report:
    options: GlobalOptions
    counter: RequestCounter = field(default_factory=RequestCounter)
    held: list[dict[str, Any]] = field(default_factory=list)
    finished: bool = False

    def hold(self, document: Any) -> bool:
        if self.finished or not isinstance(document, dict):
            return False
        self.held.append(document)
        return True

    def finish(self) -> None:
        self.finished = True
        totals = self.counter.totals()
        for document in self.held:
            if totals.backends:
                document = {**document, "requests": totals.as_dict()}
            print_json(document)
        if totals.backends and self.options.verbose and not self.options.quiet:
            click.echo(summary_line(totals), err=True)


def start(ctx: click.Context, options: GlobalOptions) -> None:
    """Count the requests of the command running in `ctx` and report them when it ends."""
    root = ctx.find_root()
    if _REPORT in root.meta:
        return
    report = _Report(options)
    root.meta[_REPORT] = report
    root.meta[JSON_HOOK] = report.hold
    # Closed in reverse order: the report is printed, then the scope ends.
    ctx.with_resource(request_scope(report.counter))
    ctx.call_on_close(report.finish)


def summary_line(totals: RequestTotals) -> str:
    kinds = ", ".join(f"{count} {kind}" for kind, count in totals.counts.items())
    return (
        f"storage requests: {kinds} ({totals.total} in all); "
        f"{human_bytes(totals.bytes_sent)} sent, {human_bytes(totals.bytes_received)} received"
    )
