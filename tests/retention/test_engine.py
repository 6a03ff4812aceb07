"""apply_policy on small hand-made histories: each test names one rule of the semantics."""

from __future__ import annotations

from datetime import datetime

import pytest

from snapstore.retention import UNLIMITED, Candidate, Decision, Policy, apply_policy, parse_duration


def snap(time: str, id: str | None = None, tags: tuple[str, ...] = ()) -> Candidate:
    return Candidate(id=id or time, time=datetime.fromisoformat(time), tags=tags)


def kept(decision: Decision) -> list[tuple[str, list[str]]]:
    return [(k.candidate.id, k.reasons) for k in decision.keep]


def removed(decision: Decision) -> list[str]:
    return [c.id for c in decision.remove]


HISTORY = [
    snap("2016-01-02T08:00:00+00:00"),
    snap("2016-01-03T10:00:00+00:00"),
    snap("2016-01-02T12:00:00+00:00"),
]


def test_empty_policy_keeps_nothing() -> None:
    decision = apply_policy(HISTORY, Policy())
    assert decision.keep == []
    assert removed(decision) == [
        "2016-01-03T10:00:00+00:00",
        "2016-01-02T12:00:00+00:00",
        "2016-01-02T08:00:00+00:00",
    ]


def test_no_candidates() -> None:
    assert apply_policy([], Policy(last=3)) == Decision(keep=[], remove=[])


def test_one_snapshot_counts_for_several_rules() -> None:
    decision = apply_policy(HISTORY, Policy(last=1, daily=2, yearly=UNLIMITED))
    assert kept(decision)[0] == (
        "2016-01-03T10:00:00+00:00",
        ["last snapshot", "daily snapshot", "yearly snapshot"],
    )
    assert decision.keep[0].counters == {"last": 0, "daily": 1, "yearly": -1}


def test_oldest_snapshot_is_kept_while_counts_are_left() -> None:
    assert kept(apply_policy(HISTORY, Policy(daily=5))) == [
        ("2016-01-03T10:00:00+00:00", ["daily snapshot"]),
        ("2016-01-02T12:00:00+00:00", ["daily snapshot"]),
        ("2016-01-02T08:00:00+00:00", ["oldest daily snapshot"]),
    ]
    # ... but not once the counts are used up
    assert removed(apply_policy(HISTORY, Policy(daily=2))) == ["2016-01-02T08:00:00+00:00"]


def test_within_counts_back_from_the_newest_snapshot_strictly() -> None:
    history = [snap("2016-01-10T00:00:00+00:00"), snap("2016-01-09T00:00:00+00:00")]
    history.append(snap("2016-01-08T23:59:59+00:00"))
    decision = apply_policy(history, Policy(within=parse_duration("1d")))
    # the cutoff is Jan 9 00:00, whatever today's date; a snapshot at the cutoff is outside
    assert kept(decision) == [("2016-01-10T00:00:00+00:00", ["within 1d"])]


def test_future_snapshots_are_not_the_reference_when_now_is_given() -> None:
    history = [snap("2030-01-01T00:00:00+00:00"), snap("2016-01-10T00:00:00+00:00")]
    history += [snap("2016-01-08T00:00:00+00:00"), snap("2016-01-05T00:00:00+00:00")]
    policy = Policy(within=parse_duration("3d"))
    now = datetime.fromisoformat("2016-02-01T00:00:00+00:00")
    assert removed(apply_policy(history, policy, now=now)) == ["2016-01-05T00:00:00+00:00"]
    assert len(apply_policy(history, policy).keep) == 1  # without `now`, 2030 is the newest
    # every snapshot after `now`: no reference, so all are inside the window (as restic)
    early = datetime.fromisoformat("2000-01-01T00:00:00+00:00")
    assert removed(apply_policy(history, policy, now=early)) == []
    with pytest.raises(ValueError, match="timezone-aware"):
        apply_policy(history, policy, now=datetime(2016, 2, 1))


def test_buckets_use_each_snapshots_own_offset() -> None:
    # Cross-checked with restic 0.14.0 (`forget --keep-daily 5`, run under TZ=UTC and
    # TZ=Asia/Tokyo alike): all three are kept, because 00:30+02:00 is on June 1 in its own
    # offset although it is May 31 22:30 in UTC.
    history = [snap("2015-05-31T23:00:00+00:00"), snap("2015-06-01T00:30:00+02:00")]
    history.append(snap("2015-05-31T21:00:00+00:00"))
    decision = apply_policy(history, Policy(daily=2))
    assert [reasons for _, reasons in kept(decision)] == [["daily snapshot"]] * 2
    assert removed(decision) == ["2015-05-31T21:00:00+00:00"]


def test_weeks_are_iso_weeks() -> None:
    # Dec 29 2014 and Jan 2 2015 are both in ISO week 1 of 2015; Dec 22 2014 is in week 52.
    history = [snap("2015-01-02T10:00:00+00:00"), snap("2014-12-29T10:00:00+00:00")]
    history.append(snap("2014-12-22T10:00:00+00:00"))
    decision = apply_policy(history, Policy(weekly=5))
    assert removed(decision) == ["2014-12-29T10:00:00+00:00"]


def test_within_buckets_keep_one_per_bucket_inside_the_window() -> None:
    times = [f"2016-01-0{day}T{hour:02d}:00:00+00:00" for day in (1, 2, 3) for hour in (6, 18)]
    history = [snap(time) for time in times]
    decision = apply_policy(history, Policy(within_daily=parse_duration("1d12h")))
    # window: after Jan 2 06:00, so Jan 3 18:00 and Jan 2 18:00 head their days
    assert kept(decision) == [
        ("2016-01-03T18:00:00+00:00", ["daily within 1d12h"]),
        ("2016-01-02T18:00:00+00:00", ["daily within 1d12h"]),
    ]


def test_tags_and_reason_order() -> None:
    history = [
        snap("2016-01-03T00:00:00+00:00", tags=("foo", "bar")),
        snap("2016-01-02T00:00:00+00:00"),
        snap("2016-01-01T00:00:00+00:00", tags=("bar",)),
    ]
    policy = Policy(last=1, within=parse_duration("1h"), tags=(("foo", "bar"), ("bar",)))
    assert kept(apply_policy(history, policy)) == [
        (history[0].id, ["has tags [foo, bar]", "has tags [bar]", "within 1h", "last snapshot"]),
        (history[2].id, ["has tags [bar]"]),
    ]
    # the empty tag "" selects untagged snapshots (restic 0.17+)
    untagged = apply_policy(history, Policy(tags=(("",),)))
    assert kept(untagged) == [(history[1].id, ["has tags []"])]


def test_equal_times_are_ordered_by_id_whatever_the_input_order() -> None:
    same = "2016-01-01T00:00:00+00:00"
    history = [snap(same, "c"), snap(same, "a"), snap(same, "b")]
    for order in (history, history[::-1], history[1:] + history[:1]):
        decision = apply_policy(order, Policy(last=1))
        assert [k.candidate.id for k in decision.keep] == ["a"]
        assert removed(decision) == ["b", "c"]


def test_same_instant_in_different_offsets_is_a_tie() -> None:
    history = [snap("2016-01-01T01:00:00+01:00", "b"), snap("2016-01-01T00:00:00+00:00", "a")]
    assert [k.candidate.id for k in apply_policy(history, Policy(last=1)).keep] == ["a"]


def test_invalid_candidates() -> None:
    with pytest.raises(ValueError, match="listed twice"):
        apply_policy([snap("2016-01-01T00:00:00+00:00", "x")] * 2, Policy(last=1))
    with pytest.raises(ValueError, match="no UTC offset"):
        Candidate(id="x", time=datetime(2016, 1, 1))
    with pytest.raises(TypeError, match="not a string"):
        Candidate(id="x", time=HISTORY[0].time, tags="foo")  # type: ignore[arg-type]
