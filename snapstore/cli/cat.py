"""`snap cat config|snapshot|tree|index|pack|key ID`: print stored objects, decrypted, for
debugging."""

from __future__ import annotations

import json

import click

from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import emit_json, snapshot_json
from snapstore.cli.repository_access import open_repository
from snapstore.errors import InputError
from snapstore.index import decode_index, index_object_name
from snapstore.pack import load_pack_header, pack_object_name
from snapstore.repository import Repository, layout
from snapstore.repository.snapshot_filter import find_snapshot


def _unique(repo: Repository, folder: str, prefix: str) -> str:
    names = [i.name.rsplit("/", 1)[1] for i in repo.backend.list(folder)]
    matches = [n for n in names if n.startswith(prefix.lower())]
    if len(matches) != 1:
        raise InputError(f"{prefix} matches {len(matches)} objects in {folder}/")
    return matches[0]


def _entries_json(entries: object) -> list[dict[str, object]]:
    return [
        {"blob_id": e.blob_id.hex(), "type": e.blob_type, "pack": e.pack_id.hex(),
         "offset": e.offset, "length": e.length, "raw_length": e.raw_length,
         "compression": e.compression}
        for e in entries  # type: ignore[attr-defined]
    ]  # fmt: skip


def _cat(repo: Repository, kind: str, ident: str | None) -> object:
    if kind == "config":
        return repo.config.public()
    if ident is None:
        raise InputError(f"cat {kind} needs an id")
    if kind == "snapshot":
        return snapshot_json(*find_snapshot(repo.list_snapshots(), ident))
    if kind == "tree":
        return json.loads(repo.load_tree(bytes.fromhex(ident)).encode())
    if kind == "key":
        return json.loads(repo.backend.load(layout.key_name(_unique(repo, layout.KEYS, ident))))
    if kind == "index":
        name = index_object_name(bytes.fromhex(_unique(repo, layout.INDEX, ident)))
        index = decode_index(repo.backend.load(name), repo.sealer, name)
        return {"supersedes": [s.hex() for s in index.supersedes], "entries": _entries_json(index.entries)}
    if kind == "pack":
        pack_id = bytes.fromhex(ident)
        name = pack_object_name(pack_id)
        return _entries_json(load_pack_header(repo.backend, name, repo.sealer))
    raise InputError(f"unknown object kind {kind}")


@click.command("cat")
@click.argument("kind", type=click.Choice(["config", "snapshot", "tree", "index", "pack", "key"]))
@click.argument("ident", required=False)
@command_options
def cat_command(options: GlobalOptions, kind: str, ident: str | None) -> None:
    """Print a stored object as JSON (config, snapshot, tree, index, pack header, key file)."""
    repo = open_repository(options)
    try:
        emit_json(_cat(repo, kind, ident))
    except ValueError as error:
        raise InputError(f"bad id: {error}") from None
    finally:
        repo.close()
