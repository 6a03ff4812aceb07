"""Properties of apply_policy over random histories (mixed UTC offsets, equal times, tags)."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from snapstore.retention import UNLIMITED, Candidate, Duration, Policy, apply_policy, newest_first
from snapstore.retention.policy import COUNT_RULES

START = datetime(2014, 12, 20, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
COUNTS = st.sampled_from([0, 0, 1, 2, 3, 7, UNLIMITED])
SMALL_DURATIONS = st.builds(
    Duration, st.integers(0, 1), st.integers(0, 2), st.integers(0, 9), st.integers(0, 30)
)
DURATIONS = st.one_of(st.none(), SMALL_DURATIONS)


@st.composite
def histories(draw: st.DrawFn) -> list[Candidate]:
    # Times within a few weeks around a year end, so hours, days, ISO weeks and years collide;
    # whole minutes (and repeats) so that equal times happen.
    minutes = draw(st.lists(st.integers(0, 60 * 24 * 30), max_size=40))
    size = len(minutes)
    # UTC offsets from -12:00 to +14:00 in quarter hours, one per snapshot
    quarters = draw(st.lists(st.integers(-12 * 4, 14 * 4), min_size=size, max_size=size))
    tags = draw(st.lists(st.sets(st.sampled_from("ab")), min_size=size, max_size=size))
    return [
        Candidate(
            id=f"s{number}",
            time=(START + timedelta(minutes=minute)).astimezone(timezone(15 * q * MINUTE)),
            tags=tuple(sorted(tag_set)),
        )
        for number, (minute, q, tag_set) in enumerate(zip(minutes, quarters, tags))
    ]


policies = st.builds(
    Policy,
    **{name: COUNTS for name in COUNT_RULES},
    within=DURATIONS,
    within_daily=DURATIONS,
    within_weekly=DURATIONS,
    tags=st.sampled_from([(), (("a",),), (("a", "b"), ("",))]),
)


def kept_ids(candidates: list[Candidate], policy: Policy) -> list[str]:
    return [k.candidate.id for k in apply_policy(candidates, policy).keep]


@given(histories(), policies)
def test_every_snapshot_is_kept_or_removed_once_newest_first(
    candidates: list[Candidate], policy: Policy
) -> None:
    decision = apply_policy(candidates, policy)
    kept = [k.candidate for k in decision.keep]
    assert sorted(c.id for c in kept + decision.remove) == sorted(c.id for c in candidates)
    assert kept == [c for c in newest_first(candidates) if c in set(kept)]
    assert decision.remove == [c for c in newest_first(candidates) if c in set(decision.remove)]
    assert all(k.reasons for k in decision.keep)
    if policy.is_empty():
        assert decision.keep == []


@given(histories(), policies, st.randoms(use_true_random=False))
def test_independent_of_input_order(
    candidates: list[Candidate], policy: Policy, rng: random.Random
) -> None:
    shuffled = list(candidates)
    rng.shuffle(shuffled)
    assert apply_policy(shuffled, policy) == apply_policy(candidates, policy)


@given(histories(), st.integers(1, 50))
def test_keep_last_n_keeps_min_n_count(candidates: list[Candidate], n: int) -> None:
    assert len(kept_ids(candidates, Policy(last=n))) == min(n, len(candidates))
    assert len(kept_ids(candidates, Policy(last=UNLIMITED))) == len(candidates)


@given(histories(), policies)
def test_a_rule_uses_at_most_its_count(candidates: list[Candidate], policy: Policy) -> None:
    decision = apply_policy(candidates, policy)
    for name, count in policy.counts().items():
        uses = sum(f"{name} snapshot" in " ".join(k.reasons) for k in decision.keep)
        if count > 0:
            assert uses <= count
            assert all(k.counters[name] >= 0 for k in decision.keep)


@given(histories(), policies, st.sampled_from(COUNT_RULES))
def test_a_larger_count_keeps_a_superset(
    candidates: list[Candidate], policy: Policy, rule: str
) -> None:
    # Each rule runs on its own state, so raising one count can only add kept snapshots
    # (including the "oldest" one, which a larger count leaves counts for).
    count: int = getattr(policy, rule)
    changes: dict[str, int] = {rule: UNLIMITED if count == UNLIMITED else count + 1}
    larger = dataclasses.replace(policy, **changes)  # type: ignore[arg-type]
    assert set(kept_ids(candidates, policy)) <= set(kept_ids(candidates, larger))
