"""The metrics file writer: label values survive escaping, and foreign lines do not break a
merge."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from snapstore.cli.metrics import RunMetrics, read_samples, render, write_run_metrics


@settings(max_examples=60, deadline=None)
@given(profile=st.text(max_size=20), host=st.text(min_size=1, max_size=20))
def test_label_values_round_trip(profile: str, host: str) -> None:
    run = RunMetrics(profile=profile, host=host, ended=1700000000.5, duration=2.25, exit_status=0,
                     files=3)  # fmt: skip
    text = render({"snapstore_backup_files": {run.labels(): 3.0}})
    [family] = text_string_to_metric_families(text)
    assert family.samples[0].labels == {"profile": profile, "host": host}


def test_merge_skips_lines_it_does_not_know(tmp_path: Path) -> None:
    path = tmp_path / "m.prom"
    path.write_text('# a comment\nother_metric{x="1"} 5\nnot a sample line\n')
    write_run_metrics(path, RunMetrics(profile="p", host="h", ended=10.0, duration=1.0,
                                       exit_status=2))  # fmt: skip
    samples = read_samples(path)
    assert samples["other_metric"] == {(("x", "1"),): 5.0}
    assert samples["snapstore_last_run_exit_status"] == {(("host", "h"), ("profile", "p")): 2.0}
    assert "snapstore_last_success_timestamp_seconds" not in samples
    list(text_string_to_metric_families(path.read_text()))  # still valid


def test_concurrent_writers_keep_every_label_pair(tmp_path: Path) -> None:
    """Profiles finishing at once take turns on the folder's lock: no sample set is lost."""
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "m.prom"

    def write(index: int) -> None:
        for _ in range(5):
            write_run_metrics(path, RunMetrics(profile=f"p{index}", host="h", ended=1.0,
                                               duration=1.0, exit_status=0, files=index))  # fmt: skip

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(8)))
    files = read_samples(path)["snapstore_backup_files"]
    assert files == {(("host", "h"), ("profile", f"p{i}")): float(i) for i in range(8)}
    assert [p.name for p in tmp_path.iterdir()] == ["m.prom"]
