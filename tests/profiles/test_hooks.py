"""Hook commands: exit codes, output, a timeout that ends the whole process group."""

from __future__ import annotations

import os
import time
from datetime import timedelta

from snapstore.profiles.hooks import run_hook
from snapstore.profiles.model import Hook


def test_a_shell_hook_sees_its_environment_and_its_output_is_kept() -> None:
    done = run_hook(
        Hook('echo "result=$SNAP_RESULT"; echo err >&2'), {**os.environ, "SNAP_RESULT": "success"}
    )
    assert done.ok and done.exit_code == 0
    assert done.output == "result=success\nerr\n"


def test_a_word_list_runs_without_a_shell() -> None:
    done = run_hook(Hook(("printf", "%s|", "a b", "$HOME")), dict(os.environ))
    assert done.ok and done.output == "a b|$HOME|"


def test_a_failing_hook_reports_its_exit_code() -> None:
    done = run_hook(Hook("exit 7"), dict(os.environ))
    assert not done.ok and done.exit_code == 7 and done.error == "exited with code 7"


def test_a_missing_program_is_a_failure_not_a_crash() -> None:
    done = run_hook(Hook(("/nonexistent/program",)), dict(os.environ))
    assert not done.ok and done.error is not None and done.error.startswith("cannot start")


def test_a_timeout_ends_the_hook_and_its_children() -> None:
    started = time.monotonic()
    # The background sleep keeps the output pipe open: only killing the group ends the wait.
    done = run_hook(Hook("sleep 30 & echo started; sleep 30", timeout=timedelta(seconds=1)),
                    dict(os.environ))  # fmt: skip
    assert time.monotonic() - started < 10
    assert not done.ok and done.error == "timed out after 1s" and done.output == "started\n"
