"""`mysql://user[:password]@host[:port]/dbname[?socket=PATH]` (or `mariadb://`): the output of
`mariadb-dump` (or `mysqldump`) with `--single-transaction`, stored as it streams at
`/db/mysql/<host[:port]>/<dbname>.sql`; without a database name, `--all-databases` into
`all-databases.sql`. A password in the URL reaches the tool as MYSQL_PWD, never on its command
line."""

from __future__ import annotations

from urllib.parse import SplitResult, parse_qsl, unquote

from snapstore.errors import InputError
from snapstore.sources.command import CommandSource
from snapstore.sources.tool_lookup import find_tool
from snapstore.sources.url_parts import (
    DumpSettings,
    child_env,
    database_name,
    host_folder,
    redact_url,
)

TOOLS = ("mariadb-dump", "mysqldump")


def mysql_source(url: str, parts: SplitResult, settings: DumpSettings) -> CommandSource:
    shown = redact_url(url)
    tool = find_tool(TOOLS, "mysql", settings.env)
    argv = [tool, "--single-transaction"]
    if parts.hostname:
        argv += ["--host", parts.hostname]
    if parts.port:
        argv += ["--port", str(parts.port)]
    if parts.username:
        argv += ["--user", unquote(parts.username)]
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name != "socket":
            raise InputError(f"--db {shown}: unknown option {name!r} (known: socket)")
        argv += ["--socket", value]
    dbname = database_name(parts)
    argv += [dbname] if dbname else ["--all-databases"]
    password = unquote(parts.password) if parts.password is not None else None
    return CommandSource(
        snapshot_path=f"/db/mysql/{host_folder(parts)}/{dbname or 'all-databases'}.sql",
        tags=("db", "mysql"), argv=tuple(argv), label=f"{tool.rsplit('/', 1)[-1]} for {shown}",
        env=child_env(settings, MYSQL_PWD=password),
    )  # fmt: skip
