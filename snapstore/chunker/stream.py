"""Cutting a stream into chunks: reads blocks through a caller's `readinto`, feeds the scanner,
and yields each chunk's bytes. Memory stays below one block plus one maximum-size chunk, whatever
the stream's length."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

BLOCK_SIZE = 4 << 20


def iter_chunks(
    readinto: Callable[[memoryview], int | None], scanner: Any, block_size: int = BLOCK_SIZE
) -> Iterator[bytes]:
    """Yield the chunks of the stream that `readinto` fills blocks from, until it returns 0."""
    view = memoryview(bytearray(block_size))
    # Stream bytes [chunk_start, base) not yet yielded. A cut can fall before `base`: the
    # scanner examines a block's last byte only together with the next block's first.
    carry = bytearray()
    base = 0  # stream offset of view[0]
    chunk_start = 0
    while filled := readinto(view) or 0:
        for cut in scanner.feed(view[:filled]):
            yield _take(carry, view, chunk_start, cut, base)
            chunk_start = cut
        carry += view[max(chunk_start - base, 0) : filled]
        base += filled
    for cut in scanner.finish():
        yield _take(carry, view, chunk_start, cut, base)


def _take(carry: bytearray, view: memoryview, start: int, end: int, base: int) -> bytes:
    """Bytes [start, end) of the stream, from the carry and the current block (at `base`)."""
    if end <= base:
        chunk = bytes(carry[: end - start])
        del carry[: end - start]
        return chunk
    if carry:
        chunk = bytes(carry) + view[max(start - base, 0) : end - base]
        carry.clear()
        return chunk
    return bytes(view[start - base : end - base])
