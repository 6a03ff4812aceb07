"""Loading configuration files: each kind of problem is reported with its file, line and key;
inheritance and defaults; the documented example loads."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from snapstore.profiles import ConfigError, load_config
from snapstore.profiles.model import Hook

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "snap.example.toml"

VALID = """\
[profiles.web]
repository = "/srv/repo"
password-file = "/etc/pw"
paths = ["/var/www"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "snap.toml"
    path.write_text(textwrap.dedent(text))
    return path


def problems(tmp_path: Path, text: str) -> list[tuple[int | None, str, str]]:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert all(p.file == path for p in caught.value.problems)
    return [(p.line, p.key, p.message) for p in caught.value.problems]


def test_the_documented_example_loads_and_means_what_it_says() -> None:
    config = load_config(EXAMPLE)
    assert sorted(config.profiles) == ["homes", "web"]
    web, homes = config.profiles["web"], config.profiles["homes"]
    assert web.repository == "/mnt/nas/backups" and web.password.file == "/root/.snap-password"
    assert web.retention is not None and ("keep-daily", "7") in web.retention.keep
    assert web.prune is not None and web.prune.every == timedelta(days=7)
    assert web.check is not None and web.check.read_data_subset == "5%"
    assert web.before[0] == Hook("systemctl stop app-worker", "abort", timedelta(minutes=5))
    assert web.copy is not None and web.copy.password.command == "pass show backup/offsite"
    # homes inherits web and [defaults], overriding the password source and merging retention.
    assert homes.password.file == "/root/.snap-password-homes" and homes.password.command is None
    assert homes.copy is not None and homes.copy.password.file == "/root/.snap-password-usb"
    assert homes.copy.password.command is None
    assert homes.retention is not None
    assert (
        dict(homes.retention.keep)["keep-daily"] == "14"
        and ("keep-weekly", "4") in homes.retention.keep
    )
    assert homes.before == () and homes.databases == ()
    assert dict(homes.environment)["AWS_PROFILE"] == "backup"
    assert config.state_dir == Path("/var/lib/snapstore")


def test_a_valid_file_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID))
    assert config.profile("web").paths == ("/var/www",)


def test_a_syntax_error_names_its_line(tmp_path: Path) -> None:
    assert problems(tmp_path, VALID + "broken = \n") == [(5, "", "Invalid value")]


def test_an_unknown_key_is_an_error_with_a_hint(tmp_path: Path) -> None:
    found = problems(tmp_path, VALID + "[profiles.web.retention]\nkeep-daly = 7\n")
    assert found == [
        (6, "profiles.web.retention.keep-daly", "unknown key (did you mean keep-daily?)")
    ]


@pytest.mark.parametrize(
    "line,key,message",
    [
        ('excludes = "*.o"', "profiles.web.excludes", "expected a list of non-empty strings"),
        ('exclude-files = ["x"]', "profiles.web.exclude-files", "'x': give an absolute path"),
        ("host = 3", "profiles.web.host", "expected a non-empty string"),
        ('exclude-caches = "yes"', "profiles.web.exclude-caches", "expected true or false"),
        ('copy = { repository = "/c", password-env = "A-B" }', "profiles.web.copy.password-env",
         "expected the name of an environment"),
        ('password-command = "pass x"', "profiles.web.password-command", "give one password source"),
        ("retention = { keep-daily = -1 }", "profiles.web.retention.keep-daily", "expected a count"),
        ('retention = { keep-last = "all" }', "profiles.web.retention.keep-last", "expected a count"),
        ('retention = { keep-within = "2w" }', "profiles.web.retention.keep-within", "unknown unit 'w'"),
        ('retention = { group-by = "color" }', "profiles.web.retention.group-by", "color"),
        ('retention = { keep-tag = "a" }', "profiles.web.retention.keep-tag", "expected a list"),
        ('prune = { every = "30m" }', "profiles.web.prune.every", "write 'min' for minutes"),
        ('prune = { every = "0d" }', "profiles.web.prune.every", "longer than zero"),
        ('prune = { max-unused = "120%" }', "profiles.web.prune.max-unused", "between 0% and 100%"),
        ('prune = { grace = "1m" }', "profiles.web.prune.grace", "give days and hours"),
        ('check = { read-data-subset = "8/7" }', "profiles.web.check.read-data-subset", "n/t"),
        ('copy = { password-file = "/p" }', "profiles.web.copy", "repository is required"),
        ("before = [{ on-failure = \"abort\" }]", "profiles.web.before[0]", "command is required"),
        ('before = [{ command = "x", on-failure = "retry" }]', "profiles.web.before[0].on-failure",
         'expected one of "abort", "continue", "ignore"'),
        ('before = [{ command = "x", when = "success" }]', "profiles.web.before[0].when", "unknown key"),
        ('after = [{ command = [] }]', "profiles.web.after[0].command", "expected a command line"),
        ('after = [{ command = "x", when = "sometimes" }]', "profiles.web.after[0].when", "expected one of"),
        ('after = [{ command = "x", timeout = "soon" }]', "profiles.web.after[0].timeout", "not an interval"),
        ("retention = 7", "profiles.web.retention", "expected a table"),
    ],
)  # fmt: skip
def test_each_wrong_value_is_named_with_its_line(
    tmp_path: Path, line: str, key: str, message: str
) -> None:
    # The bad line is line 5, right under the valid profile.
    found = problems(tmp_path, VALID + line + "\n")
    assert len(found) == 1, found
    assert found[0][:2] == (5, key) and message in found[0][2], found


def test_problems_in_headers_and_arrays_of_tables_have_their_lines(tmp_path: Path) -> None:
    text = VALID + textwrap.dedent("""\
        [[profiles.web.after]]
        command = "ok"
        [[profiles.web.after]]
        command = "x"
        on-failure = "sometimes"
        [profiles.web.check]
        every = "often"
        [global]
        state = "/x"
        [profile.typo]
        """)  # fmt: skip
    assert [(line, key) for line, key, _ in problems(tmp_path, text)] == [
        (9, "profiles.web.after[1].on-failure"),
        (11, "profiles.web.check.every"),
        (13, "global.state"),
        (14, "profile"),
    ]


def test_every_problem_is_reported_not_only_the_first(tmp_path: Path) -> None:
    text = VALID + 'hots = 1\n[profiles.db]\nrepository = 1\ndb = ["sqlite:///x"]\n'
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}:5: profiles.web.hots: unknown key (did you mean host?) " \
        "(and 1 more problem: see snap config validate)"  # fmt: skip
    assert [p.line for p in caught.value.problems] == [5, 7]


def test_profile_names_must_be_usable_in_file_and_unit_names(tmp_path: Path) -> None:
    found = problems(tmp_path, VALID.replace("profiles.web", 'profiles."my web"'))
    assert found == [(1, "profiles.my web", "a profile name may hold letters, digits, _ . -")]


@pytest.mark.parametrize(
    "extra,key,message",
    [
        ('paths = ["/x"]', "profiles.other", "repository is required"),
        ('repository = "/r"', "profiles.other", "nothing to back up"),
        ('repository = "/r"\npaths = ["/x"]\nretention = { group-by = "host" }',
         "profiles.other.retention", "no keep-* rule"),
        ('inherit = "nope"', "profiles.other.inherit", "no profile 'nope' to inherit from"),
        ('repository = "/r"\npaths = ["rel"]', "profiles.other.paths", "'rel': give an absolute path"),
    ],
)  # fmt: skip
def test_a_profile_must_be_runnable(tmp_path: Path, extra: str, key: str, message: str) -> None:
    found = problems(tmp_path, VALID + "[profiles.other]\n" + extra + "\n")
    assert len(found) == 1 and found[0][1] == key and message in found[0][2], found
    assert found[0][0] is not None and found[0][0] >= 5


def test_an_inheritance_loop_is_an_error(tmp_path: Path) -> None:
    text = VALID + '[profiles.a]\ninherit = "b"\n[profiles.b]\ninherit = "a"\n'
    found = problems(tmp_path, text)
    assert (8, "profiles.b.inherit", "inheritance loop: a -> b -> a") in found


def test_inheritance_and_defaults_merge_tables_and_replace_lists(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """\
        [defaults]
        repository = "/r"
        password-command = "pass show x"
        tags = ["all"]
        retention = { keep-daily = 7, keep-weekly = 4 }
        [profiles.base]
        paths = ["/a"]
        excludes = ["*.o"]
        [profiles.child]
        inherit = "base"
        password-env = "PW"
        tags = ["child"]
        retention = { keep-daily = 3 }
        """))  # fmt: skip
    base, child = config.profile("base"), config.profile("child")
    assert base.password.command == "pass show x" and base.tags == ("all",)
    assert child.password.env == "PW" and child.password.command is None
    assert child.paths == ("/a",) and child.excludes == ("*.o",) and child.tags == ("child",)
    assert child.retention is not None
    assert dict(child.retention.keep) == {"keep-daily": "3", "keep-weekly": "4"}


def test_relative_files_are_taken_from_the_configuration_folder(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID.replace('"/etc/pw"', '"secret/pw"') + 'cache-dir = "cache"\n'
                               '[global]\nstate-dir = "state"\n'))  # fmt: skip
    web = config.profile("web")
    assert web.password.file == str(tmp_path / "secret/pw") and web.cache_dir == str(
        tmp_path / "cache"
    )
    assert config.state_dir == tmp_path / "state"


def test_an_unknown_profile_names_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    with pytest.raises(ConfigError, match=r"snap.toml: no profile 'wbe' \(profiles: web\)"):
        load_config(path).profile("wbe")


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "absent.toml")
