# Types of the compiled chunker (native/fastcdc.c), for type checkers only: the same interface
# as snapstore.chunker.pure.Scanner.
from collections.abc import Sequence

from typing_extensions import Buffer

class Scanner:
    min_size: int
    avg_size: int
    max_size: int
    normalization: int
    def __init__(
        self, min_size: int, avg_size: int, max_size: int, *, normalization: int, gear: Sequence[int]
    ) -> None: ...
    @property
    def offset(self) -> int: ...
    @property
    def masks(self) -> tuple[int, int]: ...
    @property
    def gear(self) -> tuple[int, ...]: ...
    def feed(self, data: Buffer) -> list[int]: ...
    def finish(self) -> list[int]: ...
