"""Cutting a stream into chunks: reads through a caller's `readinto`, feeds the scanner, and
yields each chunk's bytes. Memory stays at one buffer of at most a maximum-size chunk plus one
block, whatever the stream's length."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

BLOCK_SIZE = 1 << 20
"""The least a read asks for; it asks for all the room the buffer has, usually far more."""


def iter_chunks(
    readinto: Callable[[memoryview], int | None], scanner: Any, block_size: int = BLOCK_SIZE
) -> Iterator[bytes]:
    """Yield the chunks of the stream that `readinto` fills blocks from, until it returns 0."""
    # One buffer holds the bytes not yet yielded, moved to its start after each read, and the
    # room the next read fills. Each chunk is copied out of it once and nothing else is allocated
    # per chunk: with chunks of every size from the minimum to the maximum in flight, fewer
    # allocations leave the heap less fragmented, and a backup's peak memory lower.
    # It starts at two blocks (a short stream needs no more) and grows once, to a maximum-size
    # chunk plus a block, when the scanner holds back more than a block.
    view = memoryview(bytearray(2 * block_size))
    base = 0  # stream offset of view[0]
    start = 0  # stream offset where the next chunk starts (a cut can fall before the last read)
    end = 0  # bytes of view filled
    while filled := readinto(view[end:]) or 0:
        cuts = scanner.feed(view[end : end + filled])
        end += filled
        for cut in cuts:
            yield bytes(view[start - base : cut - base])
            start = cut
        kept = end - (start - base)
        if len(view) - kept < block_size:
            grown = memoryview(bytearray(max(scanner.max_size, kept) + block_size))
            grown[:kept] = view[start - base : end]
            view = grown
        else:
            view[:kept] = view[start - base : end]  # overlapping moves are safe (memmove)
        base, end = start, kept
    for cut in scanner.finish():
        yield bytes(view[start - base : cut - base])
        start = cut
