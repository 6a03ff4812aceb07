from __future__ import annotations

from pathlib import Path

from snapstore.archiver import ExcludeRules
from snapstore.archiver.size_scan import scan_total


def test_totals_regular_files_and_honours_excludes(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one").write_bytes(b"x" * 100)
    (tmp_path / "a" / "skip.tmp").write_bytes(b"x" * 1000)
    (tmp_path / "two").write_bytes(b"y" * 50)
    (tmp_path / "link").symlink_to(tmp_path / "two")
    reports: list[int] = []
    total = scan_total([str(tmp_path)], ExcludeRules(("*.tmp",)), reports.append, every=1)
    assert total == 150
    assert reports[-1] == 150 and len(reports) == 3
