"""Every command of the lazy `snap` group resolves to a click command of that name."""

from __future__ import annotations

import click

from snapstore.cli.commands import COMMANDS, cli


def test_every_listed_command_imports_and_has_its_name() -> None:
    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name, name
    assert cli.get_command(ctx, "no-such-command") is None
