"""The `snap` command group. Each command's module is imported only when that command runs (or
for `--help`), so start-up pays only for what is used."""

from __future__ import annotations

import importlib

import click

from snapstore import __version__
from snapstore.cli.options import group_options

# command name -> "module:attribute" under snapstore.cli
COMMANDS = {
    "init": "init:init_command",
    "backup": "backup:backup_command",
    "copy": "copy:copy_command",
    "snapshots": "snapshots:snapshots_command",
    "restore": "restore:restore_command",
    "ls": "browse:ls_command",
    "dump": "browse:dump_command",
    "diff": "browse:diff_command",
    "cat": "cat:cat_command",
    "forget": "forget:forget_command",
    "prune": "prune:prune_command",
    "unlock": "prune:unlock_command",
    "check": "check:check_command",
    "stats": "stats:stats_command",
    "key": "key:key_group",
    "repair": "repair:repair_group",
    "version": "version:version_command",
    "drill": "drill:drill_command",
    "run": "run:run_command",
    "config": "config:config_group",
    "schedule": "schedule:schedule_group",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(f"snapstore.cli.{module}"), attribute)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="snap")
@group_options
def cli() -> None:
    """snapstore: deduplicating, encrypted snapshots of directories and database dumps."""
