"""Cron entries: added, replaced and removed in a crontab's text, the user's lines kept."""

from __future__ import annotations

from snapstore.schedule import CronEntry
from snapstore.schedule.cron_table import cron_line, entries, with_entry, without

USER_LINES = "MAILTO=me@example.org\n# my own job\n0 5 * * * /usr/bin/true\n"


def test_entries_are_added_replaced_and_removed_keeping_other_lines() -> None:
    web = CronEntry("web", cron_line("0 2 * * *", ["/usr/bin/snap", "run", "web"]))
    db = CronEntry("db", cron_line("0 * * * *", ["/usr/bin/snap", "run", "db"]))
    text = with_entry(with_entry(USER_LINES, web, "daily at 02:00"), db, "hourly")
    assert [(e.profile, e.fields) for e in entries(text)] == [
        ("web", "0 2 * * *"),
        ("db", "0 * * * *"),
    ]
    moved = CronEntry("web", cron_line("30 3 * * 0", ["/usr/bin/snap", "run", "web"]))
    text = with_entry(text, moved, "weekly")
    assert [(e.profile, e.fields) for e in entries(text)] == [
        ("db", "0 * * * *"),
        ("web", "30 3 * * 0"),
    ]
    assert without(without(text, "web"), "db") == USER_LINES
    assert without(USER_LINES, "web") == USER_LINES


def test_cron_lines_quote_words_escape_percent_and_carry_a_user_for_system_crontabs() -> None:
    line = cron_line("0 2 * * *", ["/usr/bin/snap", "run", "--config", "/etc/a b/50%.toml", "web"])
    assert line == "0 2 * * * /usr/bin/snap run --config '/etc/a b/50\\%.toml' web"
    assert cron_line("0 2 * * *", ["/usr/bin/snap"], user="root") == "0 2 * * * root /usr/bin/snap"
