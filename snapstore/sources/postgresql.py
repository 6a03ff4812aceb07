"""`postgresql://user[:password]@host[:port]/dbname[?format=custom&...]`: `pg_dump`'s output,
stored as it streams at `/db/postgresql/<host[:port]>/<dbname>.sql` (`.dump` for the custom
format). The connection comes from the URL and the standard `PG*` environment; a password in
the URL reaches pg_dump as PGPASSWORD, never on its command line. Other query parameters
(`sslmode=...`) go to libpq unchanged."""

from __future__ import annotations

from urllib.parse import SplitResult, parse_qsl, unquote, urlencode

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

EXTENSIONS = {"plain": ".sql", "custom": ".dump"}


def postgresql_source(url: str, parts: SplitResult, settings: DumpSettings) -> CommandSource:
    shown = redact_url(url)
    dump_format, libpq_query = settings.postgresql_format, []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name == "format":
            dump_format = value
        else:
            libpq_query.append((name, value))
    if dump_format not in EXTENSIONS:
        raise InputError(f"--db {shown}: format must be plain or custom, not {dump_format!r}")
    dbname = database_name(parts) or settings.env.get("PGDATABASE", "")
    if not dbname:
        raise InputError(f"--db {shown}: no database name (postgresql://user@host:port/DBNAME)")
    tool = find_tool(["pg_dump"], "postgresql", settings.env)
    user_and_host = parts.netloc.rpartition("@")
    user = user_and_host[0].partition(":")[0]
    netloc = f"{user}@{user_and_host[2]}" if user else user_and_host[2]
    conninfo = parts._replace(netloc=netloc, query=urlencode(libpq_query), fragment="").geturl()
    password = unquote(parts.password) if parts.password is not None else None
    return CommandSource(
        snapshot_path=f"/db/postgresql/{host_folder(parts)}/{dbname}{EXTENSIONS[dump_format]}",
        tags=("db", "postgresql"),
        argv=(tool, "--no-password", f"--format={dump_format}", f"--dbname={conninfo}"),
        label=f"pg_dump for {shown}",
        env=child_env(settings, PGPASSWORD=password),
    )  # fmt: skip
