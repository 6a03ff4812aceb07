"""`snap ls`, `snap dump`, `snap diff`: look into snapshots."""

from __future__ import annotations

import os
import stat
import sys
from datetime import datetime

import click

from snapstore import browser
from snapstore.cli.options import GlobalOptions, command_options
from snapstore.cli.output import emit_json
from snapstore.cli.repository_access import open_repository
from snapstore.cli.snapshots import filter_options
from snapstore.errors import InputError
from snapstore.model import Node
from snapstore.model.node import DIR, FILE, SYMLINK
from snapstore.repository.snapshot_filter import SnapshotFilter, find_snapshot

_TYPE_CHAR = {DIR: "d", SYMLINK: "l", FILE: "-", "fifo": "p", "chardev": "c", "blockdev": "b", "socket": "s"}


def _node_json(path: bytes, node: Node) -> dict[str, object]:
    return {
        "path": os.fsdecode(path), "type": node.kind, "mode": node.mode, "size": node.size,
        "uid": node.uid, "gid": node.gid,
        "mtime": datetime.fromtimestamp(node.mtime_ns / 1e9).astimezone().isoformat(),
    }  # fmt: skip


def _long_line(path: bytes, node: Node) -> str:
    mode = _TYPE_CHAR[node.kind] + stat.filemode(node.mode)[1:]
    when = datetime.fromtimestamp(node.mtime_ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")
    owner = f"{node.user or node.uid}/{node.group or node.gid}"
    return f"{mode} {owner:>15} {node.size:>12} {when} {os.fsdecode(path)}"


@click.command("ls")
@click.argument("snapshot")
@click.argument("path", required=False, default="/")
@click.option("-l", "--long", "long_format", is_flag=True, help="Show mode, owner, size, time.")
@filter_options
@command_options
def ls_command(
    options: GlobalOptions, snapshot: str, path: str, long_format: bool,
    hosts: tuple[str, ...], tags: tuple[str, ...], paths: tuple[str, ...],
) -> None:  # fmt: skip
    """List the entries of SNAPSHOT below PATH."""
    repo = open_repository(options)
    try:
        _, snap = find_snapshot(repo.list_snapshots(), snapshot, SnapshotFilter(hosts, tags, paths))
        start = os.fsencode(path).rstrip(b"/")
        node, tree = browser.find(repo, repo.load_tree(snap.tree), start)
        entries = [(start, node)] if node is not None and node.kind != DIR else []
        entries += list(browser.walk(repo, tree, start))
    finally:
        repo.close()
    if options.as_json:
        emit_json([_node_json(p, n) for p, n in entries if n is not None])
        return
    for entry_path, entry in entries:
        assert entry is not None
        click.echo(_long_line(entry_path, entry) if long_format else os.fsdecode(entry_path))


@click.command("dump")
@click.argument("snapshot")
@click.argument("path")
@filter_options
@command_options
def dump_command(
    options: GlobalOptions, snapshot: str, path: str, hosts: tuple[str, ...],
    tags: tuple[str, ...], paths: tuple[str, ...],
) -> None:  # fmt: skip
    """Write the file at PATH in SNAPSHOT to standard output."""
    repo = open_repository(options)
    try:
        _, snap = find_snapshot(repo.list_snapshots(), snapshot, SnapshotFilter(hosts, tags, paths))
        node, _ = browser.find(repo, repo.load_tree(snap.tree), os.fsencode(path))
        if node is None or node.kind != FILE:
            raise InputError(f"{path} is not a file in the snapshot")
        out = sys.stdout.buffer
        for blob_id in node.content:
            out.write(repo.load_data(blob_id))
        out.flush()
    finally:
        repo.close()


@click.command("diff")
@click.argument("first")
@click.argument("second")
@command_options
def diff_command(options: GlobalOptions, first: str, second: str) -> None:
    """Show what changed between two snapshots (+ added, - removed, M modified, U metadata)."""
    repo = open_repository(options)
    try:
        snapshots = repo.list_snapshots()
        _, a = find_snapshot(snapshots, first)
        _, b = find_snapshot(snapshots, second)
        changes = list(browser.diff(repo, repo.load_tree(a.tree), repo.load_tree(b.tree)))
    finally:
        repo.close()
    if options.as_json:
        emit_json([{"change": c.mark, "path": os.fsdecode(c.path)} for c in changes])
        return
    for change in changes:
        click.echo(f"{change.mark}    {os.fsdecode(change.path)}")
