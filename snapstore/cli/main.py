"""The `snap` command group and the console-script entry point."""

from __future__ import annotations

import click

from snapstore import __version__
from snapstore.cli.exit_codes import run_guarded
from snapstore.cli.version import version_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="snap")
def cli() -> None:
    """snapstore: deduplicating, encrypted snapshots of directories and database dumps."""


cli.add_command(version_command)


def main() -> None:
    run_guarded(lambda: cli.main(standalone_mode=True))
