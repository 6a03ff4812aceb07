"""Where the configuration file and the run state live by default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

SYSTEM_CONFIG = Path("/etc/snapstore/snap.toml")
SYSTEM_STATE = Path("/var/lib/snapstore")


def default_config_path(environ: Mapping[str, str], is_root: bool) -> Path:
    """$SNAP_CONFIG, else /etc/snapstore/snap.toml for root, else the XDG config folder."""
    if environ.get("SNAP_CONFIG"):
        return Path(environ["SNAP_CONFIG"]).expanduser()
    if is_root:
        return SYSTEM_CONFIG
    return _xdg(environ, "XDG_CONFIG_HOME", ".config") / "snapstore" / "snap.toml"


def default_state_dir(environ: Mapping[str, str], is_root: bool) -> Path:
    """Where `snap run` remembers when each step last ran, so "due" holds across runs."""
    if is_root:
        return SYSTEM_STATE
    return _xdg(environ, "XDG_STATE_HOME", ".local/state") / "snapstore"


def _xdg(environ: Mapping[str, str], variable: str, fallback: str) -> Path:
    value = environ.get(variable)
    # The XDG spec: a relative value is invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return Path(environ.get("HOME") or os.path.expanduser("~")) / fallback
