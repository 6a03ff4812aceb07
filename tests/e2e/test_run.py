"""`snap run PROFILE` end to end on a real local repository: the routine's steps, "due" across
runs, hook failure policies, no forget after a failed backup, exit codes, and secrets kept out
of the output."""

from __future__ import annotations

import fcntl
import json
import sqlite3
import textwrap
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import S3TestServer
from tests.e2e.conftest import PASSWORD, Snap, init_local_repository

SECRET_IN_URL = "topsecret-db-pass"


def write_config(snap: Snap, body: str, data: Path | None = None) -> Path:
    """A configuration with one profile `p` on the fixture's repository, plus `body`."""
    data = data or make_data(snap)
    config = snap.root / "snap.toml"
    config.write_text(textwrap.dedent(f"""\
        [global]
        state-dir = "state"
        [profiles.p]
        repository = "{snap.repo}"
        password-file = "{snap.password_file}"
        cache-dir = "{snap.cache}"
        paths = ["{data}"]
        """) + textwrap.dedent(body))  # fmt: skip
    return config


def make_data(snap: Snap) -> Path:
    data = snap.root / "data"
    data.mkdir(exist_ok=True)
    (data / "file.txt").write_text("some content\n")
    return data


def run_json(snap: Snap, config: Path, code: int = 0, profile: str = "p") -> dict[str, Any]:
    done = snap.run("run", profile, "--config", config, "--json")
    assert done.returncode == code, (done.returncode, done.err, done.out)
    document: dict[str, Any] = json.loads(done.stdout)
    assert document["exit_code"] == code
    return document


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {step["step"]: step["status"] for step in document["steps"]}


def snapshot_count(snap: Snap) -> int:
    return len(snap.json("snapshots"))


ROUTINE = """\
    [profiles.p.retention]
    keep-last = 1
    [profiles.p.prune]
    every = "7d"
    grace = "0h"
    [profiles.p.check]
    every = "1d"
    read-data-subset = "100%"
    """


def test_the_routine_runs_and_prune_and_check_wait_until_due(snap: Snap) -> None:
    config = write_config(snap, ROUTINE)
    first = run_json(snap, config)
    assert statuses(first) == {"backup": "ok", "forget": "ok", "prune": "ok", "check": "ok"}
    assert first["ok"] and len(first["snapshot_ids"]) == 1
    check = next(s for s in first["steps"] if s["step"] == "check")
    assert check["result"]["ok"] and check["result"]["read_data"]
    backup = next(s for s in first["steps"] if s["step"] == "backup")
    assert backup["result"]["tags"] == ["p"], "the profile's name is the default tag"

    second = run_json(snap, config)
    assert statuses(second) == {
        "backup": "ok",
        "forget": "ok",
        "prune": "not-due",
        "check": "not-due",
    }
    forget = next(s for s in second["steps"] if s["step"] == "forget")
    assert sum(len(g["remove"]) for g in forget["result"]["groups"]) == 1
    assert snapshot_count(snap) == 1

    # A week later (the state file says so), prune is due again; check, daily, too.
    state_file = snap.root / "state" / "p.json"
    state = json.loads(state_file.read_text())
    for step in ("prune", "check"):
        then = datetime.fromisoformat(state["steps"][step]["last_success"]) - timedelta(days=8)
        state["steps"][step]["last_success"] = then.isoformat()
    state_file.write_text(json.dumps(state))
    third = run_json(snap, config)
    assert statuses(third)["prune"] == "ok" and statuses(third)["check"] == "ok"


def test_text_output_has_one_status_line_per_step(snap: Snap) -> None:
    config = write_config(snap, ROUTINE)
    done = snap.ok("run", "p", "--config", config)
    lines = done.out.splitlines()
    assert [line.split()[:2] for line in lines[:4]] == [
        ["backup", "ok"], ["forget", "ok"], ["prune", "ok"], ["check", "ok"]
    ]  # fmt: skip
    assert "snapshot " in lines[0] and "saved" in lines[0]
    assert lines[-1] == "run p: ok"
    assert done.err == ""


def test_a_failed_backup_forgets_nothing_and_the_after_hooks_learn_of_it(snap: Snap) -> None:
    config = write_config(snap, ROUTINE)
    run_json(snap, config)
    snap.ok("backup", make_data(snap), "--tag", "p")  # two snapshots: keep-last 1 would drop one
    outcome = snap.root / "outcome"
    broken = write_config(snap, ROUTINE + textwrap.dedent(f"""\
        [[profiles.p.after]]
        command = "echo $SNAP_RESULT $SNAP_FAILED_STEPS $SNAP_EXIT_CODE > {outcome}"
        when = "failure"
        [[profiles.p.after]]
        command = "echo success > {outcome}.success"
        when = "success"
        """)).read_text().replace('paths = ["', 'paths = ["/nonexistent/folder", "')  # fmt: skip
    (snap.root / "snap.toml").write_text(broken)
    document = run_json(snap, config, code=1)
    assert statuses(document) == {"backup": "failed", "forget": "skipped", "prune": "skipped",
                                  "check": "not-due", "after[0]": "ok"}  # fmt: skip
    assert "does not exist" in document["steps"][0]["message"]
    assert snapshot_count(snap) == 2, "no snapshot may be forgotten after a failed backup"
    assert outcome.read_text() == "failure backup 1\n"
    assert not Path(f"{outcome}.success").exists()


def test_the_exit_code_is_that_of_the_failed_step(snap: Snap) -> None:
    wrong = snap.root / "wrong-password"
    wrong.write_text("not the password\n")
    config = write_config(snap, ROUTINE)
    config.write_text(config.read_text().replace(str(snap.password_file), str(wrong)))
    done = snap.run("run", "p", "--config", config)
    assert done.returncode == 12, done.err
    assert done.err.splitlines() == ["snap: error: run p failed: backup, check"]
    assert done.out.splitlines()[1].split()[:2] == ["forget", "skipped"]


@pytest.mark.parametrize(
    "policy,code,backup,hook",
    [("abort", 1, "skipped", "failed"), ("continue", 1, "ok", "failed"), ("ignore", 0, "ok", "ignored")],
)  # fmt: skip
def test_before_hook_failure_policies(
    snap: Snap, policy: str, code: int, backup: str, hook: str
) -> None:
    config = write_config(snap, f"""\
        [[profiles.p.before]]
        command = "echo cannot stop the app; exit 3"
        on-failure = "{policy}"
        """)  # fmt: skip
    document = run_json(snap, config, code=code)
    assert statuses(document) == {"before[0]": hook, "backup": backup}
    assert document["steps"][0]["message"].endswith("exited with code 3")
    assert document["steps"][0]["output"] == "cannot stop the app\n"
    assert snapshot_count(snap) == (0 if backup == "skipped" else 1)


def test_secrets_stay_out_of_output_hooks_and_config_show(snap: Snap) -> None:
    password_text = PASSWORD.decode()
    environment_dump = snap.root / "hook-environment"
    config = write_config(snap, f"""\
        db = ["postgresql://backup:{SECRET_IN_URL}@127.0.0.1:9/app"]
        [[profiles.p.after]]
        command = "env > {environment_dump}"
        [[profiles.p.after]]
        command = "true token=hook-token-123"
        """)  # fmt: skip
    config.write_text(config.read_text().replace(
        f'password-file = "{snap.password_file}"', f"password-command = \"echo '{password_text}'\""))  # fmt: skip
    outputs = []
    for extra in ([], ["--json"], ["-v"]):
        done = snap.run("run", "p", "--config", config, *extra)
        assert done.returncode == 1, done.err  # the database cannot be reached
        outputs.append(done.out + done.err)
    shown = snap.ok("config", "show", "p", "--config", config)
    outputs.append(shown.out + snap.ok("config", "show", "p", "--config", config, "--json").out)
    assert "command (hidden)" in shown.out and "backup:***@127.0.0.1:9/app" in shown.out
    for text in outputs:
        assert password_text not in text and SECRET_IN_URL not in text, text
        assert "hook-token-123" not in text, text
    hook_environment = environment_dump.read_text()
    assert password_text not in hook_environment and "SNAP_RESULT=failure" in hook_environment
    assert snapshot_count(snap) == 3, "each run backed up the files with the command's password"


def test_databases_and_the_off_site_copy(snap: Snap) -> None:
    database = snap.root / "app.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("create table t (x)")
        connection.execute("insert into t values (42)")
    connection.close()
    offsite = snap.root / "offsite"
    offsite_password = snap.root / "offsite-password"
    offsite_password.write_text("another password\n")
    init_local_repository(offsite, snap.root / "offsite-cache")
    # The off-site repository was made with the fixture's password; give it its own.
    snap.ok("key", "add", "--new-password-file", offsite_password, "-r", offsite)
    config = write_config(snap, f"""\
        db = ["sqlite://{database}"]
        [profiles.p.copy]
        repository = "{offsite}"
        password-file = "{offsite_password}"
        """)  # fmt: skip
    document = run_json(snap, config)
    assert statuses(document) == {"backup": "ok", "backup db[0]": "ok", "copy": "ok"}
    copied = document["steps"][-1]["result"]["copied"]
    assert len(copied) == 2
    offsite_snapshots = snap.json("snapshots", "-r", offsite, "--password-file", offsite_password)
    assert sorted(s["id"] for s in offsite_snapshots) == sorted(c["snapshot_id"] for c in copied)
    again = run_json(snap, config)
    assert len(again["steps"][-1]["result"]["copied"]) == 2, "only the two new snapshots"
    assert len(again["steps"][-1]["result"]["skipped"]) == 2


def test_configuration_errors_are_one_line_with_file_and_line(snap: Snap) -> None:
    config = write_config(snap, "[profiles.p.retention]\nkeep-daly = 7\n")
    error = snap.fails("run", "p", "--config", config, code=1)
    assert (
        error
        == f"snap: error: {config}:9: profiles.p.retention.keep-daly: unknown key (did you mean keep-daily?)"
    )
    validate = snap.run("config", "validate", "--config", config)
    assert validate.returncode == 1 and validate.out.startswith(f"{config}:9: ")
    assert validate.err == f"snap: error: {config}: 1 problem\n"
    good = write_config(snap, "")
    assert snap.fails("run", "q", "--config", good, code=1).endswith("no profile 'q' (profiles: p)")
    assert snap.ok("config", "validate", "--config", good).out == f"{good}: ok, 1 profiles: p\n"


def test_the_configuration_is_found_through_snap_config(snap: Snap) -> None:
    config = write_config(snap, "")
    assert snap.ok("config", "validate", env={"SNAP_CONFIG": str(config)}).out.startswith(
        str(config)
    )
    missing = snap.root / "missing.toml"
    error = snap.fails("run", "p", env={"SNAP_CONFIG": str(missing)}, code=1)
    assert error == f"snap: error: {missing}: no such configuration file"


def test_the_documented_example_validates(snap_env: Snap) -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "snap.example.toml"
    done = snap_env.ok("config", "validate", "--config", example)
    assert done.out == f"{example}: ok, 2 profiles: homes, web\n"


def test_an_s3_profile_takes_its_credentials_from_the_named_file(
    snap: Snap, s3_server: S3TestServer, s3_bucket: str
) -> None:
    credentials = snap.root / "aws-credentials"
    credentials.write_text(f"[backup]\naws_access_key_id = {s3_server.access_key_id}\n"
                           f"aws_secret_access_key = {s3_server.secret_access_key}\n")  # fmt: skip
    location = s3_server.location(s3_bucket)
    snap.ok("init", "-r", location, env=s3_server.env)
    # Only the profile's settings can give `snap run` the credentials.
    environment = {**s3_server.env, "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
                   "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "nobody"}  # fmt: skip
    config = write_config(snap, f"""\
        s3-credentials-file = "{credentials}"
        s3-profile = "backup"
        s3-region = "{s3_server.region}"
        """)  # fmt: skip
    config.write_text(
        config.read_text().replace(f'repository = "{snap.repo}"', f'repository = "{location}"')
    )
    done = snap.run("run", "p", "--config", config, "--json", env=environment)
    assert done.returncode == 0, done.out + done.err
    assert json.loads(done.stdout)["steps"][0]["status"] == "ok"
    assert s3_server.secret_access_key not in done.out + done.err
    config.write_text(config.read_text().replace('s3-profile = "backup"', 's3-profile = "other"'))
    assert snap.run("run", "p", "--config", config, env=environment).returncode != 0


def test_an_after_hook_that_aborts_stops_the_later_ones(snap: Snap) -> None:
    marker = snap.root / "second-ran"
    config = write_config(snap, f"""\
        [[profiles.p.after]]
        command = "exit 1"
        [[profiles.p.after]]
        command = "touch {marker}"
        """)  # fmt: skip
    document = run_json(snap, config, code=1)
    assert statuses(document) == {"backup": "ok", "after[0]": "failed"}
    assert not marker.exists()


def test_a_profile_runs_once_at_a_time(snap: Snap) -> None:
    config = write_config(snap, "")
    lock = snap.root / "state" / "p.lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        error = snap.fails("run", "p", "--config", config, code=11)
    assert error == f"snap: error: profile p is already running ({lock} is locked)"
    assert snapshot_count(snap) == 0
    snap.ok("run", "p", "--config", config)


def test_a_password_that_cannot_be_read_skips_the_steps_but_not_the_after_hooks(snap: Snap) -> None:
    marker = snap.root / "told"
    config = write_config(snap, ROUTINE + f"""\
        [[profiles.p.after]]
        command = "echo $SNAP_FAILED_STEPS > {marker}"
        when = "failure"
        """)  # fmt: skip
    config.write_text(config.read_text().replace(
        f'password-file = "{snap.password_file}"', 'password-env = "SNAP_TEST_NO_SUCH_VARIABLE"'))  # fmt: skip
    document = run_json(snap, config, code=1)
    assert statuses(document) == {"password": "failed", "backup": "skipped", "forget": "skipped",
                                  "prune": "skipped", "check": "skipped", "after[0]": "ok"}  # fmt: skip
    assert document["steps"][0]["message"] == (
        "environment variable SNAP_TEST_NO_SUCH_VARIABLE (the password source) is not set"
    )
    assert marker.read_text() == "password\n"


def test_a_dry_run_changes_nothing(snap: Snap) -> None:
    marker = snap.root / "hook-ran"
    config = write_config(snap, ROUTINE + f"""\
        [[profiles.p.before]]
        command = "touch {marker}"
        """)  # fmt: skip
    snap.ok("backup", make_data(snap), "--tag", "p")
    snap.ok("backup", make_data(snap), "--tag", "p")
    document = run_json_dry(snap, config)
    assert statuses(document) == {"before[0]": "would-run", "backup": "ok", "forget": "ok",
                                  "prune": "ok", "check": "would-run"}  # fmt: skip
    forget = next(s for s in document["steps"] if s["step"] == "forget")
    assert forget["result"]["dry_run"] and len(forget["result"]["groups"][0]["remove"]) == 1
    assert document["dry_run"] and document["snapshot_ids"] == []
    assert snapshot_count(snap) == 2 and not marker.exists()
    assert not (snap.root / "state" / "p.json").exists(), "a dry run leaves prune and check due"


def run_json_dry(snap: Snap, config: Path) -> dict[str, Any]:
    done = snap.run("run", "p", "--config", config, "--json", "--dry-run")
    assert done.returncode == 0, done.err
    document: dict[str, Any] = json.loads(done.stdout)
    return document
