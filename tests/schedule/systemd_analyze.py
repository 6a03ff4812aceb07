"""Running `systemd-analyze` on what `snap schedule` writes. It needs no running systemd:
`verify` loads unit files as a unit loader would, `calendar` parses and normalizes OnCalendar
expressions. CI installs it (.ci/run); a test never skips for its lack."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

TIMEOUT = 60


def analyze(*args: str | Path) -> subprocess.CompletedProcess[str]:
    found = shutil.which("systemd-analyze")
    assert found is not None, (
        "systemd-analyze is missing: .ci/run installs the Debian package systemd"
    )
    return subprocess.run([found, *map(str, args)], capture_output=True, text=True, timeout=TIMEOUT,
                          check=False)  # fmt: skip


def normalized_calendar(expression: str) -> str:
    done = analyze("calendar", expression)
    assert done.returncode == 0, done.stderr
    for line in done.stdout.splitlines():
        if line.strip().startswith("Normalized form:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(done.stdout)


def verify(*units: Path) -> str:
    """What `systemd-analyze verify` says about the units (empty when it has nothing to say);
    it fails the test when verify does."""
    done = analyze("verify", *units)
    assert done.returncode == 0, done.stderr
    return done.stderr + done.stdout
