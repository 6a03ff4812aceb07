"""restic's own `forget` policy tests as an oracle: each of its 40 policies applied to its 103
snapshots must keep exactly the snapshots restic keeps, in the same order, for the same reasons
and with the same counters left (../shared/oracles/restic-forget, used by path)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from snapstore.retention import Candidate, Policy, apply_policy, parse_duration
from tests.oracles import oracles_dir

FIXTURE_COUNT = 40
COUNTS = {"Last": "last", "Hourly": "hourly", "Daily": "daily", "Weekly": "weekly"}
COUNTS |= {"Monthly": "monthly", "Yearly": "yearly"}
WITHIN = {"Within": "within", "WithinHourly": "within_hourly", "WithinDaily": "within_daily"}
WITHIN |= {"WithinWeekly": "within_weekly", "WithinMonthly": "within_monthly"}
WITHIN |= {"WithinYearly": "within_yearly"}


def forget_dir() -> Path:
    return oracles_dir() / "restic-forget"


def load_candidates() -> list[Candidate]:
    inputs = json.loads((forget_dir() / "inputs.json").read_text())
    # Ids ascend with restic's input order, so that our tie-break of equal times (ascending id)
    # is the order restic's stable sort leaves them in.
    return [
        Candidate(
            id=f"{snapshot['index']:04d}",
            time=datetime.fromisoformat(snapshot["time"]),
            tags=tuple(snapshot["tags"]),
            hostname=snapshot["hostname"],
            paths=tuple(snapshot["paths"]),
        )
        for snapshot in inputs["snapshots"]
    ]


def policy_from_restic(fields: dict[str, Any]) -> Policy:
    arguments: dict[str, Any] = {}
    for name, value in fields.items():
        if name in COUNTS:
            arguments[COUNTS[name]] = value
        elif name in WITHIN:
            arguments[WITHIN[name]] = parse_duration(value)
        elif name == "Tags":
            arguments["tags"] = tuple(tuple(tag_set) for tag_set in value)
        else:
            raise AssertionError(f"unknown restic policy field {name}")
    return Policy(**arguments)


def identity(snapshot: dict[str, Any]) -> tuple[datetime, tuple[str, ...], tuple[str, ...]]:
    """What tells the fixture snapshots apart: several share a time but differ in tags/paths."""
    return (
        datetime.fromisoformat(snapshot["time"]),
        tuple(snapshot.get("tags") or ()),
        tuple(snapshot.get("paths") or ()),
    )


def policies() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads((forget_dir() / "policies.json").read_text())
    return entries


def test_all_fixtures_are_present() -> None:
    assert [entry["index"] for entry in policies()] == list(range(FIXTURE_COUNT))
    assert len(list((forget_dir() / "fixtures").iterdir())) == FIXTURE_COUNT


@pytest.mark.parametrize("index", range(FIXTURE_COUNT))
def test_matches_restic(index: int) -> None:
    entry = policies()[index]
    expected = json.loads((forget_dir() / entry["fixture"]).read_text())
    decision = apply_policy(load_candidates(), policy_from_restic(entry["policy"]))

    got = [
        {
            "snapshot": (k.candidate.time, k.candidate.tags, k.candidate.paths),
            "matches": k.reasons,
            # restic's JSON leaves out zero counters (omitempty)
            "counters": {name: left for name, left in k.counters.items() if left != 0},
        }
        for k in decision.keep
    ]
    want = [
        {
            "snapshot": identity(reason["snapshot"]),
            "matches": reason["matches"],
            "counters": reason["counters"],
        }
        for reason in expected.get("reasons") or []
    ]
    assert [identity(s) for s in expected["keep"] or []] == [w["snapshot"] for w in want]
    assert got == want
    assert len(decision.keep) + len(decision.remove) == len(load_candidates())
