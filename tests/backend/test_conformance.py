"""The behaviour every backend must share; runs once per entry of conftest.BACKEND_FACTORIES."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snapstore.backend import Backend, ObjectInfo
from snapstore.errors import BackendError, NotFoundError


def names_of(backend: Backend, prefix: str) -> set[str]:
    return {info.name for info in backend.list(prefix)}


def test_implements_protocol(backend: Backend) -> None:
    assert isinstance(backend, Backend)
    assert isinstance(backend.location, str) and backend.location


# -- save and load ------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 4096, 5 * 1024 * 1024])
def test_round_trip(backend: Backend, size: int) -> None:
    data = os.urandom(size)
    backend.save("data/ab/object", data)
    assert backend.load("data/ab/object") == data
    assert backend.stat("data/ab/object") == ObjectInfo("data/ab/object", size)


def test_save_accepts_bytearray_and_memoryview_and_copies(backend: Backend) -> None:
    buffer = bytearray(b"original")
    backend.save("a", buffer)
    backend.save("b", memoryview(buffer)[2:6])
    buffer[:] = b"mutated!"
    assert backend.load("a") == b"original"
    assert backend.load("b") == b"igin"


def test_save_of_wide_memoryview_stores_its_bytes(backend: Backend) -> None:
    words = memoryview(bytearray(range(8))).cast("I")
    backend.save("words", words)
    assert backend.load("words") == bytes(range(8))


def test_save_replaces_existing_object(backend: Backend) -> None:
    backend.save("config", b"first version, longer")
    backend.save("config", b"second")
    assert backend.load("config") == b"second"
    assert backend.stat("config").size == 6
    assert names_of(backend, "") == {"config"}


def test_load_returns_bytes(backend: Backend) -> None:
    backend.save("x", b"abc")
    assert type(backend.load("x")) is bytes
    assert type(backend.load("x", 1, 1)) is bytes


# -- range reads --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "length", "expected"),
    [
        (0, None, b"0123456789"),
        (3, None, b"3456789"),
        (3, 4, b"3456"),
        (0, 10, b"0123456789"),
        (9, 1, b"9"),
        (10, None, b""),
        (10, 0, b""),
        (4, 0, b""),
    ],
)
def test_range_read(backend: Backend, offset: int, length: int | None, expected: bytes) -> None:
    backend.save("data/00/range", b"0123456789")
    assert backend.load("data/00/range", offset, length) == expected


@pytest.mark.parametrize(("offset", "length"), [(0, 11), (5, 6), (10, 1), (11, None), (11, 0)])
def test_range_past_end_is_an_error(backend: Backend, offset: int, length: int | None) -> None:
    backend.save("data/00/range", b"0123456789")
    with pytest.raises(BackendError) as info:
        backend.load("data/00/range", offset, length)
    assert not isinstance(info.value, NotFoundError)
    assert "data/00/range" in str(info.value)


@pytest.mark.parametrize(("offset", "length"), [(-1, None), (0, -1)])
def test_negative_range_is_a_value_error(backend: Backend, offset: int, length: int | None) -> None:
    backend.save("x", b"abc")
    with pytest.raises(ValueError):
        backend.load("x", offset, length)


def test_range_read_of_large_object(backend: Backend) -> None:
    data = os.urandom(5 * 1024 * 1024)
    backend.save("data/ff/big", data)
    offset, length = 3 * 1024 * 1024 + 7, 1024 * 1024
    assert backend.load("data/ff/big", offset, length) == data[offset : offset + length]


# -- missing objects ----------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["load", "stat", "remove"])
def test_missing_object_is_not_found(backend: Backend, operation: str) -> None:
    with pytest.raises(NotFoundError) as info:
        getattr(backend, operation)("snapshots/0123")
    assert "snapshots/0123" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("operation", ["load", "stat", "remove"])
def test_folder_is_not_an_object(backend: Backend, operation: str) -> None:
    backend.save("data/ab/x", b"1")
    with pytest.raises(NotFoundError):
        getattr(backend, operation)("data/ab")
    assert backend.load("data/ab/x") == b"1"


@pytest.mark.parametrize("operation", ["load", "stat", "remove"])
def test_name_below_an_object_is_not_found(backend: Backend, operation: str) -> None:
    backend.save("config", b"1")
    with pytest.raises(NotFoundError):
        getattr(backend, operation)("config/x")


# -- remove -------------------------------------------------------------------------------


def test_remove(backend: Backend) -> None:
    backend.save("locks/1", b"a")
    backend.save("locks/2", b"b")
    backend.remove("locks/1")
    with pytest.raises(NotFoundError):
        backend.load("locks/1")
    assert names_of(backend, "locks") == {"locks/2"}
    with pytest.raises(NotFoundError):
        backend.remove("locks/1")


# -- list ---------------------------------------------------------------------------------


def test_list_with_prefixes(backend: Backend) -> None:
    sizes = {
        "config": 1,
        "keys/k1": 2,
        "data/00/p1": 3,
        "data/00/p2": 4,
        "data/ff/p3": 5,
        "data/ff/deeper/p4": 6,
        "database/x": 7,
        "index/i1": 8,
    }
    for name, size in sizes.items():
        backend.save(name, bytes(size))

    in_data = ["data/00/p1", "data/00/p2", "data/ff/deeper/p4", "data/ff/p3"]
    listed = sorted(backend.list("data"), key=lambda info: info.name)
    assert listed == [ObjectInfo(name, sizes[name]) for name in in_data]
    assert names_of(backend, "data/ff") == {"data/ff/p3", "data/ff/deeper/p4"}
    assert names_of(backend, "keys") == {"keys/k1"}
    assert names_of(backend, "") == set(sizes)


@pytest.mark.parametrize("prefix", ["snapshots", "data/zz", "config", "dat", "data/00/p"])
def test_list_without_matches_is_empty(backend: Backend, prefix: str) -> None:
    backend.save("config", b"c")
    backend.save("data/00/p1", b"p")
    assert list(backend.list(prefix)) == []


def test_list_of_empty_backend(backend: Backend) -> None:
    assert list(backend.list("")) == []
    assert list(backend.list("data")) == []


def test_list_after_removing_everything_in_a_shard(backend: Backend) -> None:
    backend.save("data/00/p1", b"p")
    backend.remove("data/00/p1")
    assert list(backend.list("data")) == []


# -- create_if_absent ---------------------------------------------------------------------


def test_create_if_absent(backend: Backend) -> None:
    assert backend.create_if_absent("locks/abc", b"first") is True
    assert backend.create_if_absent("locks/abc", b"second") is False
    assert backend.load("locks/abc") == b"first"
    assert names_of(backend, "locks") == {"locks/abc"}


def test_create_if_absent_after_save_and_after_remove(backend: Backend) -> None:
    backend.save("marker", b"saved")
    assert backend.create_if_absent("marker", b"created") is False
    assert backend.load("marker") == b"saved"
    backend.remove("marker")
    assert backend.create_if_absent("marker", b"created") is True
    assert backend.load("marker") == b"created"


def test_concurrent_create_if_absent_has_one_winner(backend: Backend) -> None:
    threads_count = 8
    # The barrier releases all threads at once, so their creates really overlap.
    barrier = threading.Barrier(threads_count)

    def contend(index: int) -> bool:
        barrier.wait()
        return backend.create_if_absent("locks/race", f"thread {index}".encode())

    # pool.map re-raises any exception of a thread here.
    with ThreadPoolExecutor(threads_count) as pool:
        results = list(pool.map(contend, range(threads_count)))

    assert results.count(True) == 1
    assert backend.load("locks/race") == f"thread {results.index(True)}".encode()
    assert names_of(backend, "locks") == {"locks/race"}


# -- names --------------------------------------------------------------------------------

INVALID_NAMES = [
    "",
    "/config",
    "config/",
    "data//ab",
    "..",
    "data/../config",
    ".",
    "./config",
    "data/.tmp-123",
    ".hidden",
    "data\\ab",
    "data/a\x00b",
]


@pytest.mark.parametrize("name", INVALID_NAMES)
@pytest.mark.parametrize(
    "operation",
    [
        lambda b, n: b.save(n, b"x"),
        lambda b, n: b.create_if_absent(n, b"x"),
        lambda b, n: b.load(n),
        lambda b, n: b.stat(n),
        lambda b, n: b.remove(n),
    ],
    ids=["save", "create_if_absent", "load", "stat", "remove"],
)
def test_invalid_name_is_a_value_error(
    backend: Backend, name: str, operation: Callable[[Backend, str], object]
) -> None:
    with pytest.raises(ValueError):
        operation(backend, name)
    assert list(backend.list("")) == []


@pytest.mark.parametrize("prefix", [p for p in INVALID_NAMES if p])
def test_invalid_prefix_is_a_value_error_when_listing(backend: Backend, prefix: str) -> None:
    with pytest.raises(ValueError):
        backend.list(prefix)


# -- property: the backend behaves like a dict --------------------------------------------

_names = st.builds(
    lambda folder, leaf: f"{folder}/{leaf}",
    st.sampled_from(["data/00", "data/01", "data/ff/x", "index", "keys", "snapshots"]),
    st.text(alphabet="0123456789abcdef", min_size=1, max_size=3),
)
_operations = st.lists(
    st.one_of(
        st.tuples(st.just("save"), _names, st.binary(max_size=64)),
        st.tuples(st.just("create"), _names, st.binary(max_size=64)),
        st.tuples(st.just("remove"), _names, st.just(b"")),
    ),
    max_size=20,
)


@settings(
    max_examples=50,
    deadline=None,
    # make_backend is function-scoped but hands out a fresh backend per call, which is exactly
    # what each example needs.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(operations=_operations)
def test_behaves_like_a_dict(
    make_backend: Callable[[], Backend], operations: list[tuple[str, str, bytes]]
) -> None:
    backend = make_backend()
    model: dict[str, bytes] = {}
    for operation, name, data in operations:
        if operation == "save":
            backend.save(name, data)
            model[name] = data
        elif operation == "create":
            assert backend.create_if_absent(name, data) is (name not in model)
            model.setdefault(name, data)
        elif name in model:
            backend.remove(name)
            del model[name]
        else:
            with pytest.raises(NotFoundError):
                backend.remove(name)

    for name, data in model.items():
        assert backend.load(name) == data
    for prefix in ["", "data", "data/ff", "index", "keys", "snapshots", "locks"]:
        expected = {
            ObjectInfo(n, len(d))
            for n, d in model.items()
            if not prefix or n.startswith(prefix + "/")
        }
        assert set(backend.list(prefix)) == expected
