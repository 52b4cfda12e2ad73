"""The engine benchmark measures what it says on a small extract (never timings as asserts)."""

import pytest

from pcref.analytics.bench_engine import print_scale_benchmarks, scale_benchmark

pytestmark = pytest.mark.xdist_group("bench-engine")


def test_a_small_scale_benchmark_reports_every_phase(tmp_path):
    figures = scale_benchmark(800, 2, tmp_path)
    assert figures["people"] == 800
    assert figures["rows_by_table"]["mhs001_patients"] == 800
    assert figures["rows"] == sum(figures["rows_by_table"].values()) > 800
    for key in ("synth_seconds", "ingest_seconds", "scan_seconds", "suite_seconds"):
        assert figures[key] > 0, key
    # figures are rounded after the ratio is taken
    assert figures["ratio"] == pytest.approx(
        figures["suite_seconds"] / figures["scan_seconds"], rel=0.02
    )
    assert figures["peak_rss_mb"] > 0 and figures["result_rows"] > 0
    assert list(tmp_path.iterdir()) == []  # the extract and the store are cleaned up


def test_an_unknown_scale_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="'county'"):
        print_scale_benchmarks(["trust", "county"], work_dir=tmp_path)
