"""Policy: which rules are on, validation, and the empty policy."""

from __future__ import annotations

from typing import Any

import pytest

from snapstore.retention import UNLIMITED, Duration, Policy


def test_default_policy_is_empty() -> None:
    assert Policy().is_empty()


@pytest.mark.parametrize(
    "fields",
    [
        {"last": 1},
        {"hourly": UNLIMITED},
        {"yearly": 3},
        {"within": Duration(days=1)},
        {"within_daily": Duration(hours=1)},
        {"within_yearly": Duration(years=1)},
        {"tags": (("foo",),)},
        {"tags": ((),)},  # an empty tag set matches every snapshot (as in restic)
    ],
)
def test_any_rule_makes_it_non_empty(fields: dict[str, Any]) -> None:
    assert not Policy(**fields).is_empty()


def test_zero_durations_are_off_like_restic() -> None:
    policy = Policy(within=Duration(), within_weekly=Duration())
    assert policy.is_empty()
    assert policy.within_rule() is None and policy.windows() == {}


def test_rules_in_restic_order() -> None:
    policy = Policy(yearly=2, last=3, daily=UNLIMITED, within_monthly=Duration(months=6))
    assert list(policy.counts().items()) == [("last", 3), ("daily", -1), ("yearly", 2)]
    assert policy.windows() == {"monthly": Duration(months=6)}


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"last": -2}, "keep last"),
        ({"daily": 1.5}, "keep daily"),
        ({"weekly": True}, "keep weekly"),
        ({"within": "1d"}, "keep within"),
        ({"within_hourly": 3}, "keep within_hourly"),
    ],
)
def test_invalid_fields(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Policy(**fields)


def test_a_string_is_not_a_tag_list() -> None:
    # "foo" would otherwise silently become the tag sets ("f",), ("o",), ("o",)
    with pytest.raises(TypeError, match="not a string"):
        Policy(tags="foo")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not the string 'foo'"):
        Policy(tags=["foo"])  # type: ignore[arg-type]


def test_tag_lists_are_stored_as_tuples() -> None:
    policy = Policy(tags=[["foo", "bar"], ["baz"]])  # type: ignore[arg-type]
    assert policy.tags == (("foo", "bar"), ("baz",))
    assert hash(policy) == hash(Policy(tags=(("foo", "bar"), ("baz",))))
