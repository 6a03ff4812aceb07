"""`redis://[user[:password]@]host[:port]` (`rediss://` for TLS): an RDB snapshot taken with
`redis-cli --rdb` into a temporary file, stored at `/db/redis/<host[:port]>/dump.rdb`. A password
reaches redis-cli as REDISCLI_AUTH, never on its command line."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import SplitResult, unquote

from snapstore.sources.command import run_to_end
from snapstore.sources.produced_file import ProducedFileSource
from snapstore.sources.tool_lookup import find_tool
from snapstore.sources.url_parts import DumpSettings, child_env, host_folder, redact_url


def redis_source(url: str, parts: SplitResult, settings: DumpSettings) -> ProducedFileSource:
    shown = redact_url(url)
    tool = find_tool(["redis-cli"], "redis", settings.env)
    argv = [tool, "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 6379)]
    if parts.username:
        argv += ["--user", unquote(parts.username)]
    if parts.scheme.lower() == "rediss":
        argv.append("--tls")
    password = unquote(parts.password) if parts.password is not None else None
    env = child_env(settings, REDISCLI_AUTH=password)
    label = f"redis-cli for {shown}"

    def produce(target: Path) -> None:
        run_to_end([*argv, "--rdb", str(target)], env, label)

    return ProducedFileSource(
        snapshot_path=f"/db/redis/{host_folder(parts)}/dump.rdb", tags=("db", "redis"),
        produce=produce, label=label, temp_dir=settings.temp_dir,
    )  # fmt: skip
