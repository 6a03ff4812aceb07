"""The `--config` option of `snap run`, `snap config` and `snap schedule`, and finding the file
when it is not given."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from snapstore.profiles import Config, default_config_path, load_config

F = TypeVar("F", bound=Callable[..., Any])


def config_option(func: F) -> F:
    return click.option(
        "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
        help="Configuration file (default $SNAP_CONFIG, /etc/snapstore/snap.toml for root, "
             "else ~/.config/snapstore/snap.toml).",
    )(func)  # fmt: skip


def is_root() -> bool:
    return os.geteuid() == 0


def config_path(given: Path | None) -> Path:
    return (given or default_config_path(os.environ, is_root())).absolute()


def open_config(given: Path | None) -> Config:
    return load_config(config_path(given))
