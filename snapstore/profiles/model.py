"""What a configuration file says, once validated: the profiles and the global settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from snapstore.profiles.masking import mask_text
from snapstore.profiles.problems import ConfigError

ON_FAILURE = ("abort", "continue", "ignore")
WHEN = ("always", "success", "failure")


@dataclass(frozen=True)
class PasswordSource:
    """At most one of the three is set; none means the usual sources (SNAP_PASSWORD_FILE, ...)."""

    file: str | None = None
    command: str | None = None
    env: str | None = None

    def describe(self) -> str:
        """For people: the command is hidden, since one may carry a secret (`echo hunter2`)."""
        if self.file:
            return f"file {self.file}"
        if self.command:
            return "command (hidden)"
        if self.env:
            return f"environment variable {self.env}"
        return "the usual sources (SNAP_PASSWORD_FILE, SNAP_PASSWORD_COMMAND, SNAP_PASSWORD)"


@dataclass(frozen=True)
class Hook:
    """A command run before or after the steps. `on_failure`: abort (stop, the run fails),
    continue (go on, the run fails), ignore (go on, the run does not fail). `when` (after hooks):
    run after a run that succeeded, failed, or always."""

    command: str | tuple[str, ...]  # a string runs through /bin/sh -c, a list as it is
    on_failure: str = "abort"
    timeout: timedelta | None = None
    when: str = "always"

    def describe(self) -> str:
        """The command line as it may be shown (passwords and tokens in it masked)."""
        text = self.command if isinstance(self.command, str) else " ".join(self.command)
        return mask_text(text)


@dataclass(frozen=True)
class Retention:
    keep: tuple[tuple[str, str], ...]  # (forget option without "--", value), in file order
    group_by: str | None = None


@dataclass(frozen=True)
class PruneSettings:
    every: timedelta | None = None  # None: at every run
    max_unused: str | None = None
    grace: str | None = None


@dataclass(frozen=True)
class CheckSettings:
    every: timedelta | None = None
    read_data_subset: str | None = None
    read_data: bool = False


@dataclass(frozen=True)
class CopySettings:
    repository: str
    password: PasswordSource = PasswordSource()


@dataclass(frozen=True)
class Profile:
    name: str
    repository: str
    password: PasswordSource = PasswordSource()
    cache_dir: str | None = None
    paths: tuple[str, ...] = ()
    databases: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    exclude_files: tuple[str, ...] = ()
    exclude_caches: bool = False
    one_file_system: bool = False
    tags: tuple[str, ...] = ()
    host: str | None = None
    environment: tuple[tuple[str, str], ...] = ()  # S3 settings as the AWS variables they are
    retention: Retention | None = None
    prune: PruneSettings | None = None
    check: CheckSettings | None = None
    copy: CopySettings | None = None
    before: tuple[Hook, ...] = ()
    after: tuple[Hook, ...] = ()


@dataclass(frozen=True)
class Config:
    path: Path
    profiles: dict[str, Profile] = field(default_factory=dict)
    state_dir: Path | None = None

    def profile(self, name: str) -> Profile:
        if name not in self.profiles:
            known = ", ".join(sorted(self.profiles)) or "none"
            raise ConfigError(f"{self.path}: no profile {name!r} (profiles: {known})")
        return self.profiles[name]
