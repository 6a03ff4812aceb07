"""`snap version`: what is installed, including which chunker implementation is loaded."""

from __future__ import annotations

import json
import platform
from importlib import metadata

import click

import snapstore

LIBRARIES = ("blake3", "zstandard", "cryptography", "lmdb", "click", "boto3", "tqdm")


def _library_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "missing"


def version_report() -> dict[str, str]:
    from snapstore.chunker import IMPLEMENTATION

    report = {
        "snapstore": snapstore.__version__,
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
    }
    report.update({name: _library_version(name) for name in LIBRARIES})
    report["chunker"] = IMPLEMENTATION
    return report


@click.command("version")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def version_command(as_json: bool) -> None:
    """Print the versions of snapstore, Python and its libraries, and the chunker in use."""
    report = version_report()
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    for key, value in report.items():
        click.echo(f"{key}: {value}")
