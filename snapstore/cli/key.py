"""`snap key list|add|remove|passwd`: manage the passwords that open the repository."""

from __future__ import annotations

import click

from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import emit_json, table
from snapstore.cli.password import read_password
from snapstore.cli.repository_access import open_repository
from snapstore.crypto import KdfParams
from snapstore.errors import InputError
from snapstore.repository import keyring


def _new_password(path: str | None) -> bytes:
    return read_password(GlobalOptions(password_file=path), confirm=True) if path else _prompt_new()


def _prompt_new() -> bytes:
    import sys

    if not sys.stdin.isatty():
        raise InputError("give the new password with --new-password-file (no terminal to prompt on)")
    return click.prompt("new password", hide_input=True, confirmation_prompt=True, err=True).encode()


@click.group("key")
def key_group() -> None:
    """Manage key files (passwords) of the repository."""


@key_group.command("list")
@command_options
def key_list(options: GlobalOptions) -> None:
    """List key files; * marks the one the password opened."""
    repo = open_repository(options)
    try:
        keys = keyring.list_keys(repo.backend)
    finally:
        repo.close()
    if options.as_json:
        emit_json([{**vars(k), "current": k.id == repo.key_id} for k in keys])
        return
    rows = [[("*" if k.id == repo.key_id else " ") + k.id[:8], k.username, k.hostname, k.created] for k in keys]
    click.echo(table([" ID", "User", "Host", "Created"], rows))


@key_group.command("add")
@click.option("--new-password-file", help="File holding the new password.")
@command_options
def key_add(options: GlobalOptions, new_password_file: str | None) -> None:
    """Add a key file for another password."""
    repo = open_repository(options)
    try:
        key_id = keyring.add_key(repo.backend, repo.master, _new_password(new_password_file), KdfParams())
    finally:
        repo.close()
    if options.as_json:
        emit_json({"id": key_id})
    elif not options.quiet:
        click.echo(f"added key {key_id[:8]}")


@key_group.command("remove")
@click.argument("key_id")
@command_options
def key_remove(options: GlobalOptions, key_id: str) -> None:
    """Remove the key file KEY_ID (an id or unique prefix); the last key is never removed."""
    repo = open_repository(options)
    try:
        matches = [k for k in keyring.key_ids(repo.backend) if k.startswith(key_id)]
        if len(matches) != 1:
            raise InputError(f"key id {key_id} matches {len(matches)} keys")
        keyring.remove_key(repo.backend, matches[0])
    finally:
        repo.close()
    if not options.quiet:
        click.echo(f"removed key {matches[0][:8]}")


@key_group.command("passwd")
@click.option("--new-password-file", help="File holding the new password.")
@command_options
def key_passwd(options: GlobalOptions, new_password_file: str | None) -> None:
    """Change the password: add a key for the new one, then remove the current key."""
    repo = open_repository(options)
    try:
        new_id = keyring.add_key(repo.backend, repo.master, _new_password(new_password_file), KdfParams())
        keyring.remove_key(repo.backend, repo.key_id)
    finally:
        repo.close()
    if not options.quiet:
        click.echo(f"password changed (new key {new_id[:8]})")
