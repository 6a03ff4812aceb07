"""Bad arguments give the same clear ValueError/TypeError from both implementations."""

from __future__ import annotations

from typing import Any

import pytest

from snapstore.chunker import cut_points, pure, standard_gear_table
from snapstore.chunker._fastcdc import Scanner as NativeScanner

GEAR = standard_gear_table()

BAD_CONSTRUCTIONS: list[tuple[str, tuple[Any, ...], dict[str, Any], type[Exception], str]] = [
    ("min above avg", (5000, 4096, 65536), {}, ValueError, "min_size <= avg_size <= max_size"),
    ("avg above max", (64, 8192, 4096), {}, ValueError, "min_size <= avg_size <= max_size"),
    ("min too small", (32, 4096, 65536), {}, ValueError, "min_size must be within 64..1048576"),
    ("min too large", (2 << 20, 4 << 20, 8 << 20), {}, ValueError, "min_size must be within"),
    ("avg too small", (64, 128, 1024), {}, ValueError, "avg_size must be within 256..4194304"),
    ("avg too large", (64, 8 << 20, 16 << 20), {}, ValueError, "avg_size must be within"),
    ("max too small", (64, 256, 512), {}, ValueError, "max_size must be within 1024..16777216"),
    ("max too large", (64, 4096, 32 << 20), {}, ValueError, "max_size must be within"),
    ("level too high", (64, 256, 1024), {"normalization": 4}, ValueError, "normalization must"),
    ("level negative", (64, 256, 1024), {"normalization": -1}, ValueError, "normalization must"),
    ("short table", (64, 256, 1024), {"gear": GEAR[:255]}, ValueError, "256 entries (got 255)"),
    ("long table", (64, 256, 1024), {"gear": GEAR + (1,)}, ValueError, "256 entries (got 257)"),
    ("str entries", (64, 256, 1024), {"gear": ("x",) * 256}, TypeError, "must be integers"),
    ("float entries", (64, 256, 1024), {"gear": (1.0,) * 256}, TypeError, "must be integers"),
    ("negative entry", (64, 256, 1024), {"gear": (-1,) + GEAR[1:]}, ValueError, "0..2**64-1"),
    ("huge entry", (64, 256, 1024), {"gear": (2**64,) + GEAR[1:]}, ValueError, "0..2**64-1"),
    ("table not a sequence", (64, 256, 1024), {"gear": 7}, TypeError, "sequence of 256"),
]


@pytest.mark.parametrize(
    "args,kwargs,error,message",
    [case[1:] for case in BAD_CONSTRUCTIONS],
    ids=[case[0] for case in BAD_CONSTRUCTIONS],
)
def test_bad_construction_is_rejected_alike(
    args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    options = {"normalization": 1, "gear": GEAR, **kwargs}
    messages = []
    for scanner_cls in (NativeScanner, pure.Scanner):
        with pytest.raises(error, match=None) as caught:
            scanner_cls(*args, **options)
        assert message in str(caught.value)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("value", [1.5, "64", None])
def test_non_integer_sizes_are_type_errors(scanner_cls: Any, value: Any) -> None:
    with pytest.raises(TypeError):
        scanner_cls(value, 256, 1024, normalization=1, gear=GEAR)
    with pytest.raises(TypeError):
        scanner_cls(64, 256, 1024, normalization=value, gear=GEAR)


@pytest.mark.parametrize("data", ["text", 42, None, [1, 2, 3]])
def test_non_buffer_input_is_a_type_error_alike(data: Any) -> None:
    messages = set()
    for scanner_cls in (NativeScanner, pure.Scanner):
        scanner = scanner_cls(64, 256, 1024, normalization=1, gear=GEAR)
        with pytest.raises(TypeError, match="C-contiguous buffer") as caught:
            scanner.feed(data)
        messages.add(str(caught.value))
    assert len(messages) == 1


def test_non_contiguous_buffer_is_a_type_error(scanner_cls: Any) -> None:
    scanner = scanner_cls(64, 256, 1024, normalization=1, gear=GEAR)
    with pytest.raises(TypeError, match="C-contiguous buffer"):
        scanner.feed(memoryview(bytes(100))[::2])


def test_cut_points_checks_its_seed() -> None:
    with pytest.raises(ValueError, match="seed"):
        cut_points(b"x", 64, 256, 1024, seed=-1)
    with pytest.raises(TypeError, match="seed"):
        cut_points(b"x", 64, 256, 1024, seed="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="buffer"):
        cut_points("text", 64, 256, 1024)
