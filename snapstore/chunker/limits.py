"""Parameter limits and mask table of FastCDC 2020, shared by the pure-Python scanner and the
tests. `native/fastcdc.c` holds the same values; `tests/chunker/test_params.py` checks that both
agree with each other and with the external oracle."""

from __future__ import annotations

U64 = (1 << 64) - 1
GEAR_ENTRIES = 256

# Inclusive ranges, as in fastcdc-rs and pyfastcdc.
MIN_SIZE_RANGE = (64, 1_048_576)
AVG_SIZE_RANGE = (256, 4_194_304)
MAX_SIZE_RANGE = (1024, 16_777_216)
NORMALIZATION_RANGE = (0, 3)

# Indexed by round(log2(avg_size)) + level (strict mask) or - level (loose mask). Entry i has i
# bits set; these are the algorithm's published constants, not derivable from a formula.
MASKS: tuple[int, ...] = (
    0, 0, 0, 0, 0,
    0x0000000001804110, 0x0000000001803110, 0x0000000018035100,
    0x0000001800035300, 0x0000019000353000, 0x0000590003530000,
    0x0000D90003530000, 0x0000D90103530000, 0x0000D90303530000,
    0x0000D90313530000, 0x0000D90F03530000, 0x0000D90303537000,
    0x0000D90703537000, 0x0000D90707537000, 0x0000D91707537000,
    0x0000D91747537000, 0x0000D91767537000, 0x0000D93767537000,
    0x0000D93777537000, 0x0000D93777577000, 0x0000DB3777577000,
)  # fmt: skip
