"""How snap runs the dump tools, seen through fake ones on PATH: the URL's password reaches
the tool in its environment only, never on its command line or in snap's output; a failing
tool's stderr tail is bounded; a missing tool is a clear one-line error."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Snap

SECRET = "s@cret-7"
URL_SECRET = "s%40cret-7"

REPORTER = """#!/bin/sh
printf 'argv: %s\\n' "$*"
printf 'PGPASSWORD=%s MYSQL_PWD=%s REDISCLI_AUTH=%s\\n' "$PGPASSWORD" "$MYSQL_PWD" "$REDISCLI_AUTH"
"""


def fake_bin(tmp_path: Path, tools: dict[str, str]) -> dict[str, str]:
    """An environment whose PATH holds only `snap` and the given fake tools (name -> script)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "snap").symlink_to(Path(sys.executable).parent / "snap")
    for name in ("sh", "printf", "cat"):  # what the fake tools themselves run
        for real in (Path("/bin") / name, Path("/usr/bin") / name):
            if real.exists():
                (folder / name).symlink_to(real)
                break
    for name, script in tools.items():
        (folder / name).write_text(script)
        (folder / name).chmod(0o755)
    return {"PATH": str(folder)}


def test_password_reaches_pg_dump_in_its_environment_only(snap: Snap, tmp_path: Path) -> None:
    env = fake_bin(tmp_path, {"pg_dump": REPORTER})
    url = f"postgresql://alice:{URL_SECRET}@DB.example:5433/app?sslmode=disable"
    result = snap.ok("--json", "backup", "--db", url, env=env)
    report = json.loads(result.stdout)
    assert report["paths"] == ["/db/postgresql/db.example:5433/app.sql"]
    dumped = snap.ok("dump", "latest", "/db/postgresql/db.example:5433/app.sql", env=env).out
    argv = dumped.splitlines()[0]
    assert argv == ("argv: --no-password --format=plain "
                    "--dbname=postgresql://alice@DB.example:5433/app?sslmode=disable")  # fmt: skip
    assert f"PGPASSWORD={SECRET} " in dumped
    assert SECRET not in result.out + result.err and URL_SECRET not in result.out + result.err
    assert SECRET not in snap.ok("snapshots", env=env).out


def test_password_reaches_mariadb_dump_and_redis_cli_in_their_environment_only(
    snap: Snap, tmp_path: Path
) -> None:
    redis_cli = REPORTER.replace("#!/bin/sh\n", '#!/bin/sh\nfor last; do :; done\nexec > "$last"\n')
    env = fake_bin(tmp_path, {"mariadb-dump": REPORTER, "redis-cli": redis_cli})
    snap.ok("backup", "--db", f"mysql://bob:{URL_SECRET}@127.0.0.1:3307/shop",
            "--db", f"redis://:{URL_SECRET}@cache:6380", env=env)  # fmt: skip
    mysql = snap.ok("dump", "latest", "/db/mysql/127.0.0.1:3307/shop.sql", env=env).out
    assert mysql.splitlines()[0] == "argv: --single-transaction --host 127.0.0.1 --port 3307 --user bob shop"
    assert f"MYSQL_PWD={SECRET} " in mysql
    redis = snap.ok("dump", "latest", "/db/redis/cache:6380/dump.rdb", env=env).out
    assert redis.splitlines()[0].startswith("argv: -h cache -p 6380 --rdb /")
    assert f"REDISCLI_AUTH={SECRET}" in redis


def test_stderr_tail_is_bounded(snap: Snap, tmp_path: Path) -> None:
    noisy = "#!/bin/sh\nfor i in $(seq 1 500); do echo \"line $i\" >&2; done\necho data\nexit 2\n"
    env = fake_bin(tmp_path, {"pg_dump": noisy})
    env["PATH"] += os.pathsep + "/usr/bin" + os.pathsep + "/bin"  # for seq
    result = snap.run("backup", "--db", "postgresql://localhost/app", env=env)
    assert result.returncode == 1
    shown = [line for line in result.err.splitlines() if line.startswith("  | ")]
    assert shown == [f"  | line {i}" for i in range(481, 501)]
    assert result.err.strip().splitlines()[-1] == (
        "snap: error: pg_dump for postgresql://localhost/app exited with code 2; no snapshot was saved")
    assert snap.json("snapshots") == []


@pytest.mark.parametrize(
    "url,message",
    [
        ("mysql://root@127.0.0.1/shop", "mysql backups need mariadb-dump or mysqldump, which is not installed"),
        ("postgresql://localhost/app", "postgresql backups need pg_dump, which is not installed"),
        ("redis://localhost", "redis backups need redis-cli, which is not installed"),
    ],
)
def test_missing_tool_is_a_one_line_error(snap: Snap, tmp_path: Path, url: str, message: str) -> None:
    env = fake_bin(tmp_path, {})
    assert message in snap.fails("backup", "--db", url, code=1, env=env)


def test_bad_urls_are_one_line_errors(snap: Snap) -> None:
    assert "not a database URL" in snap.fails("backup", "--db", "oracle://x/y", code=1)
    assert "no database name" in snap.fails("backup", "--db", "postgresql://localhost", code=1,
                                            env={"PGDATABASE": ""})  # fmt: skip
    assert "format must be plain or custom" in snap.fails(
        "backup", "--db", "postgresql://localhost/x?format=tar", code=1)
    error = snap.fails("backup", "--db", f"postgresql://u:{URL_SECRET}@localhost:99999/x", code=1)
    assert "Port out of range" in error and SECRET not in error and URL_SECRET not in error
