"""The `snap` command group with every command."""

from __future__ import annotations

import click

from snapstore import __version__
from snapstore.cli.backup import backup_command
from snapstore.cli.browse import diff_command, dump_command, ls_command
from snapstore.cli.cat import cat_command
from snapstore.cli.check import check_command
from snapstore.cli.forget import forget_command
from snapstore.cli.init import init_command
from snapstore.cli.key import key_group
from snapstore.cli.options import group_options
from snapstore.cli.prune import prune_command, unlock_command
from snapstore.cli.repair import repair_group
from snapstore.cli.restore import restore_command
from snapstore.cli.snapshots import snapshots_command
from snapstore.cli.stats import stats_command
from snapstore.cli.version import version_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="snap")
@group_options
def cli() -> None:
    """snapstore: deduplicating, encrypted snapshots of directories and database dumps."""


for command in (
    init_command, backup_command, snapshots_command, restore_command, ls_command, dump_command,
    diff_command, cat_command, check_command, stats_command, key_group, repair_group,
    forget_command,
    prune_command, unlock_command, version_command,
):  # fmt: skip
    cli.add_command(command)

