"""Configuration files and their profiles (layer L4, beside the engines it configures).

Vocabulary: a *configuration* is one TOML file (`~/.config/snapstore/snap.toml`,
`/etc/snapstore/snap.toml` for root); it holds *profiles*, each a named routine: a repository
and its *password source*, what to back up, a retention *policy*, when *prune* and *check* are
*due* (`every`), an optional *copy* to a second repository, and *hooks* run before and after.
`[defaults]` lies under every profile and `inherit = "name"` under one profile. A *problem* is
one thing wrong in the file, with its line. The *run state* remembers when each step of a
profile last succeeded, so that "due" holds across runs.
"""

from snapstore.profiles.loader import load_config
from snapstore.profiles.locations import default_config_path, default_state_dir
from snapstore.profiles.model import Config, Hook, PasswordSource, Profile
from snapstore.profiles.problems import ConfigError, LocatedProblem
from snapstore.profiles.run_state import RunState, load_state, run_lock

__all__ = [
    "Config",
    "ConfigError",
    "Hook",
    "LocatedProblem",
    "PasswordSource",
    "Profile",
    "RunState",
    "default_config_path",
    "default_state_dir",
    "load_config",
    "load_state",
    "run_lock",
]
