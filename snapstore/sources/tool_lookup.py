"""Finding the client tool a database kind needs, or saying clearly which one is missing."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence

from snapstore.errors import InputError


def find_tool(names: Sequence[str], kind: str, env: Mapping[str, str]) -> str:
    """The path of the first of `names` found on the PATH of `env`; InputError naming them all
    if none is installed."""
    for name in names:
        found = shutil.which(name, path=env.get("PATH"))
        if found:
            return found
    wanted = " or ".join(names)
    raise InputError(f"{kind} backups need {wanted}, which is not installed (not found on PATH)")
