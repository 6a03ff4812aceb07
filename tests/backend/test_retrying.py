"""RetryingBackend: which failures are tried again, how often and how long it waits, and how a
retry reads what an attempt with a lost answer left behind."""

from __future__ import annotations

import random

import pytest

from snapstore.backend import MemoryBackend, ObjectInfo
from snapstore.backend.faulty import FaultyBackend, RandomFaults
from snapstore.backend.retrying import RetryingBackend, RetryPolicy
from snapstore.errors import BackendError, NotFoundError, TransientBackendError


class FailTimes:
    """A fault plan failing the first `times` calls of `kind` with `error`."""

    def __init__(self, kind: str, times: int, error: type[BackendError] = TransientBackendError):
        self.kind, self.left, self.error = kind, times, error

    def __call__(self, kind: str, name: str) -> BaseException | None:
        if kind != self.kind or self.left <= 0:
            return None
        self.left -= 1
        return self.error(f"injected {kind} {name}")


def retrying(
    inner: FaultyBackend, retries: int = 3, sleeps: list[float] | None = None
) -> RetryingBackend:
    record = sleeps if sleeps is not None else []
    policy = RetryPolicy(retries=retries, base_delay=1.0, max_delay=5.0)
    return RetryingBackend(inner, policy, sleep=record.append, rng=random.Random(1))


@pytest.mark.parametrize("kind", ["save", "load", "stat", "list", "remove", "create"])
def test_transient_failures_are_retried(kind: str) -> None:
    memory = MemoryBackend()
    memory.save("x", b"data")
    backend = retrying(FaultyBackend(memory, FailTimes(kind, 2)))
    operations = {
        "save": lambda: backend.save("x", b"new"),
        "load": lambda: backend.load("x"),
        "stat": lambda: backend.stat("x"),
        "list": lambda: list(backend.list("")),
        "remove": lambda: backend.remove("x"),
        "create": lambda: backend.create_if_absent("y", b"created"),
    }
    operations[kind]()
    assert backend.retried == 2


def test_gives_up_after_the_retries_with_one_line() -> None:
    sleeps: list[float] = []
    backend = retrying(FaultyBackend(MemoryBackend(), FailTimes("save", 10)), 3, sleeps)
    with pytest.raises(TransientBackendError) as failure:
        backend.save("x", b"data")
    assert "gave up after 4 attempts" in str(failure.value)
    assert "\n" not in str(failure.value)
    assert len(sleeps) == 3


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    policy = RetryPolicy(retries=10, base_delay=1.0, max_delay=5.0)
    rng = random.Random(3)
    for retry in range(10):
        bound = min(5.0, 2.0**retry)
        delays = [policy.delay(retry, rng) for _ in range(200)]
        assert all(0 <= d <= bound for d in delays)
        assert max(delays) > bound * 0.8  # the whole range is used: full jitter
        assert min(delays) < bound * 0.2


@pytest.mark.parametrize("error", [BackendError, NotFoundError])
def test_permanent_failures_are_not_retried(error: type[BackendError]) -> None:
    sleeps: list[float] = []
    backend = retrying(FaultyBackend(MemoryBackend(), FailTimes("load", 1, error)), 3, sleeps)
    with pytest.raises(error):
        backend.load("x")
    assert sleeps == [] and backend.retried == 0


def test_create_whose_answer_was_lost_is_known_as_won() -> None:
    memory = MemoryBackend()
    backend = retrying(FaultyBackend(memory, after=FailTimes("create", 1)))
    assert backend.create_if_absent("config", b"mine") is True
    assert memory.load("config") == b"mine"
    assert backend.create_if_absent("config", b"other") is False


def test_create_after_a_failed_attempt_still_loses_to_another_writer() -> None:
    memory = MemoryBackend()
    memory.save("config", b"theirs")
    backend = retrying(FaultyBackend(memory, FailTimes("create", 1)))
    assert backend.create_if_absent("config", b"mine") is False


def test_remove_whose_answer_was_lost_succeeds() -> None:
    memory = MemoryBackend()
    memory.save("locks/a", b"lock")
    backend = retrying(FaultyBackend(memory, after=FailTimes("remove", 1)))
    backend.remove("locks/a")
    assert list(memory.list("")) == []
    with pytest.raises(NotFoundError):
        backend.remove("locks/a")


class ListBreaksOnce:
    """A backend whose first listing fails after yielding two objects."""

    def __init__(self, inner: MemoryBackend) -> None:
        self.inner, self.location, self.broken = inner, inner.location, False

    def list(self, prefix: str):  # type: ignore[no-untyped-def]
        for number, info in enumerate(sorted(self.inner.list(prefix), key=lambda i: i.name)):
            if number == 2 and not self.broken:
                self.broken = True
                raise TransientBackendError("connection reset while listing")
            yield info


def test_listing_broken_half_way_is_resumed_without_repeats() -> None:
    memory = MemoryBackend()
    for number in range(5):
        memory.save(f"data/{number}", b"x" * number)
    backend = RetryingBackend(ListBreaksOnce(memory), RetryPolicy(3, 0, 0))  # type: ignore[arg-type]
    listed = list(backend.list("data"))
    assert listed == [ObjectInfo(f"data/{n}", n) for n in range(5)]
    assert backend.retried == 1


def test_random_faults_are_seeded_and_counted() -> None:
    def run() -> list[str]:
        faults = RandomFaults(5, fail=0.3, lose_response=0.3, cut_reads=0.3)
        backend = FaultyBackend.random(MemoryBackend(), faults)
        outcomes = []
        for number in range(50):
            try:
                backend.save(f"o{number}", b"x")
                backend.load(f"o{number}")
                outcomes.append("ok")
            except TransientBackendError as error:
                outcomes.append(str(error).split()[1])
        assert sum(faults.injected.values()) > 10
        return outcomes

    assert run() == run()


def test_bad_policy_is_refused() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(retries=-1)
