"""`snap version` through the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import snapstore

BLOCK_NATIVE = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "snapstore.chunker._fastcdc":
            raise ImportError("simulated missing build")
sys.meta_path.insert(0, Block())
from snapstore.cli.main import main
sys.argv = ["snap", "version"]
main()
"""


def run_snap(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["snap", *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=60
    )


def test_version_reports_libraries_and_native_chunker() -> None:
    result = run_snap("version", env={"SNAPSTORE_PURE_PYTHON": "0"})
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert lines["snapstore"] == snapstore.__version__
    assert lines["python"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}.")
    for library in ("blake3", "zstandard", "cryptography", "lmdb", "click", "boto3", "tqdm"):
        assert lines[library][0].isdigit(), (library, lines[library])
    assert lines["chunker"] == "native"


def test_pure_python_chunker_is_selected_explicitly() -> None:
    result = run_snap("version", "--json", env={"SNAPSTORE_PURE_PYTHON": "1"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["chunker"] == "python"


def test_missing_native_chunker_is_a_clear_error_not_a_fallback() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SNAPSTORE_PURE_PYTHON"}
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_NATIVE], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert "compiled chunker" in result.stderr and "simulated missing build" in result.stderr


def test_missing_native_chunker_is_an_import_error() -> None:
    code = BLOCK_NATIVE.split("from snapstore.cli")[0] + (
        "try:\n    import snapstore.chunker\nexcept ImportError as e:\n    print('ImportError', e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.startswith("ImportError snapstore's compiled chunker")
