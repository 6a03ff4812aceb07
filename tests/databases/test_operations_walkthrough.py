"""docs/operations.md is tested: its `sh walkthrough` blocks run in order in one bash shell,
with the settings block replaced by temporary folders, the session's PostgreSQL server and an
S3 bucket on the session's SeaweedFS server (it lives here, beside the database servers'
fixtures, because it needs PostgreSQL). The outcome is then checked: snapshots in both
repositories, the metrics file, the timer units, the freshness line, the drills, the audit
log."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import S3TestServer
from tests.databases.fixtures import unique_name
from tests.databases.postgres_server import PostgresServer

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
BLOCK = re.compile(r"^```(sh walkthrough(?:-settings)?)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
WALKTHROUGH_TIMEOUT = 300  # seconds for the whole walk-through


def walkthrough(settings: dict[str, str]) -> str:
    """The script: our settings, then every `sh walkthrough` block of the page in order."""
    blocks = BLOCK.findall(DOC.read_text())
    assert [kind for kind, _ in blocks][:1] == ["sh walkthrough-settings"], "settings come first"
    documented = set(re.findall(r"^export (\w+)=", blocks[0][1], re.MULTILINE))
    assert documented == set(settings), "the test sets exactly the documented settings"
    exports = "".join(f"export {name}={value}\n" for name, value in settings.items())
    bodies = [body for kind, body in blocks[1:] if kind == "sh walkthrough"]
    assert len(bodies) == len(blocks) - 1 >= 10
    return exports + "\n".join(bodies)


def test_operations_walkthrough(
    tmp_path: Path, postgres_server: PostgresServer, s3_server: S3TestServer
) -> None:  # fmt: skip
    app = tmp_path / "srv" / "app"
    (app / "uploads").mkdir(parents=True)
    (app / "config.ini").write_text("[app]\nname = demo\n")
    (app / "uploads" / "logo.bin").write_bytes(os.urandom(100_000))
    database = unique_name("walkthrough")
    postgres_server.create_database(database)
    postgres_server.psql(database, "CREATE TABLE orders (id int PRIMARY KEY, item text);"
                                   "INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 100) g;")  # fmt: skip
    bucket = s3_server.new_bucket("offsite")
    etc = tmp_path / "etc" / "snapstore"
    settings = {
        "NAS_REPO": str(tmp_path / "nas" / "snapstore"),
        "OFFSITE_REPO": s3_server.location(bucket, "web1"),
        "S3_KEY_ID": s3_server.access_key_id,
        "S3_SECRET": s3_server.secret_access_key,
        "APP_DIR": str(app),
        "APP_DB": postgres_server.url(database),
        "PG_DRILL_SERVER": postgres_server.url("postgres"),
        "SNAP_CONFIG": str(etc / "snap.toml"),
        "SECRETS": str(etc / "secrets"),
        "STATE_DIR": str(tmp_path / "var" / "lib" / "snapstore"),
        "CACHE_DIR": str(tmp_path / "var" / "cache" / "snapstore"),
        "TEXTFILE_DIR": str(tmp_path / "var" / "lib" / "node-exporter"),
        "UNIT_DIR": str(tmp_path / "systemd"),
    }
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8",
           "AWS_CONFIG_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true"}  # fmt: skip
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", walkthrough(settings)], env=env, cwd=tmp_path,
        capture_output=True, text=True, timeout=WALKTHROUGH_TIMEOUT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout

    assert re.search(r"^SNAP OK - .* groups=2$", out, re.MULTILINE), out
    assert out.count("drill passed") == 3, out
    assert "restored into scratch database snap_drill_" in out

    families = {f.name: f for f in text_string_to_metric_families(
        (Path(settings["TEXTFILE_DIR"]) / "snapstore.prom").read_text())}  # fmt: skip
    [status] = families["snapstore_last_run_exit_status"].samples
    assert status.labels["profile"] == "nightly" and status.value == 0
    assert families["snapstore_repository_snapshots"].samples[0].value == 2

    copied = s3_server.client().list_objects_v2(Bucket=bucket, Prefix="web1/snapshots/")
    assert copied["KeyCount"] == 2
    units = Path(settings["UNIT_DIR"])
    assert (units / "snapstore-nightly.timer").exists()
    assert (
        "SNAP_METRICS_FILE=" in (units / "snapstore-nightly.service.d" / "metrics.conf").read_text()
    )

    audit = home / ".local" / "state" / "snapstore" / "audit.jsonl"
    commands = [json.loads(line)["command"] for line in audit.read_text().splitlines()]
    assert commands == ["init", "init", "run", "schedule", "drill", "drill", "drill"]
    assert s3_server.secret_access_key not in audit.read_text()
