"""What may be shown of a value that can carry a secret."""

from __future__ import annotations

from snapstore.profiles.masking import mask_text, mask_url
from snapstore.profiles.model import Hook


def test_database_urls_lose_their_password_only() -> None:
    assert (
        mask_url("postgresql://backup:s3cret@db.example:5432/app")
        == "postgresql://backup:***@db.example:5432/app"
    )
    assert mask_url("postgresql://backup@db/app") == "postgresql://backup@db/app"
    assert mask_url("sqlite:///var/lib/app.db") == "sqlite:///var/lib/app.db"
    assert mask_url("mysql://root:pw@[::1]:3306/x") == "mysql://root:***@[::1]:3306/x"


def test_hook_command_lines_are_shown_without_passwords_or_tokens() -> None:
    hook = Hook(
        "curl -fsS https://user:hunter22@hc.example/ping?token=abc123&x=1 -d password='a b'"
    )
    assert (
        hook.describe()
        == "curl -fsS https://user:***@hc.example/ping?token=***&x=1 -d password=***"
    )
    assert Hook(("notify", "API_KEY=k3y", "plain")).describe() == "notify API_KEY=*** plain"
    assert mask_text("systemctl stop app") == "systemctl stop app"
