"""Verifying a repository and measuring it (layer L4): `snap check` and `snap stats`.

Vocabulary: the *structure* check reads every index file, pack header, snapshot and tree blob,
and proves that each reference resolves (snapshot -> tree -> subtree and data blob -> index
entry -> pack on the backend, of the size and header the index implies). *Reading data*
(`--read-data`) downloads whole packs, checks each against its name and opens every blob in it
(authentication, decompression, id); a *subset* reads a random percentage of the packs, or one
*slice* n/t of them (slices partition the pack id space, so t runs with n = 1..t read every pack
once). A *problem* is one finding with a *kind* (a short category) and a one-line message:
*errors* make the check fail, *info* (packs no index lists, packs marked as trash by a prune,
superseded index files still present) does not. *Statistics* sum what the selected snapshots
hold: the *restore size* (every file path counted), the *unique* data blobs they reference (raw
and stored sizes, hence deduplication and compression ratios) and the backend's object sizes;
*duplicates* are blobs the index lists in more than one pack (two hosts stored the same new data
at the same moment), garbage for the next prune.
Engines never print: they return a `CheckReport` or `RepositoryStats`.
"""

from snapstore.checker.checker import BlobOpener, CheckSource, check_repository
from snapstore.checker.duplicates import DuplicateCount, count_duplicates
from snapstore.checker.options import CheckOptions, CheckReport, Problem
from snapstore.checker.stats import (
    FolderUsage,
    RepositoryStats,
    StatsOptions,
    StatsSource,
    collect_stats,
)
from snapstore.checker.subset import ReadSubset, parse_subset, select_packs

__all__ = [
    "BlobOpener",
    "CheckOptions",
    "CheckReport",
    "CheckSource",
    "DuplicateCount",
    "FolderUsage",
    "Problem",
    "ReadSubset",
    "RepositoryStats",
    "StatsOptions",
    "StatsSource",
    "check_repository",
    "collect_stats",
    "count_duplicates",
    "parse_subset",
    "select_packs",
]
