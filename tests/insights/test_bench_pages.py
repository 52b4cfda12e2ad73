"""The pages benchmark runs end to end on a small trust and reports every installed page."""

import pytest

from pcref.insights.bench_pages import pages_benchmark, percentile


def test_percentile_is_nearest_rank():
    times = list(range(1, 101))
    assert percentile(times, 0.95) == 95
    assert percentile(times, 0.5) == 50
    assert percentile([7.0], 0.95) == 7.0


@pytest.mark.slow
def test_pages_benchmark_on_a_small_trust(tmp_path):
    figures = pages_benchmark(tmp_path, requests=2, people=1_500)

    assert figures["result_rows"] > 0
    pages = {page["page"]: page for page in figures["pages"]}
    overview = pages["overview dashboard"]
    assert overview["status"] == 200
    assert overview["requests"] == 2
    assert 0 < overview["p50_ms"] <= overview["p95_ms"] <= overview["max_ms"]
    # made once, then reused
    assert (tmp_path / "results-1500-20260401" / "results.parquet").is_file()
