"""Benchmark of the metric engine: the full catalogue on DuckDB against a bare scan of the
same rows, with seconds, peak memory and the suite/scan ratio."""

# Speed is measured here, never asserted in unit tests (ARCHITECTURE §5). Run it with
# `python -m pcref.analytics.bench_engine DATASET_DIR [--repeats R]`; the lead's `make bench`
# combines it with the synthetic generator. Goals: a trust (250k people, ~5M rows) under
# 10 s, a national extract (4M people, ~30M rows) under 3 minutes in 8 GB, and the suite no
# more than 10 times a bare scan. Never imports Django.

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from pcref.analytics.engine import run_metrics


def _peak_rss_bytes() -> int:
    """The process's peak resident set size so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def bare_scan(dataset_dir: str | Path) -> dict[str, int]:
    """Read every column of every Parquet table once with DuckDB: `count(*)` and a hash of
    each row, so no column can be skipped. Returns the row count of each table."""
    counts = {}
    connection = duckdb.connect()
    try:
        for path in sorted(Path(dataset_dir).glob("*.parquet")):
            columns = pq.read_schema(path).names
            row = ", ".join(f'"{column}"' for column in columns)
            query = f"SELECT count(*), sum(hash({row})) FROM read_parquet(?)"
            counts[path.stem] = int(connection.execute(query, [str(path)]).fetchone()[0])
    finally:
        connection.close()
    return counts


def _best(work, repeats: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def engine_benchmark(dataset_dir: str | Path, repeats: int = 1) -> dict[str, Any]:
    """Time the whole metric catalogue on DuckDB and a bare scan of the same dataset.

    Args:
        dataset_dir: a dataset version folder (`<table>.parquet` files and manifest.json).
        repeats: runs of each; the best time is kept (peak memory is the process's peak).

    Returns:
        A dict: rows (by table and in all), scan_seconds, suite_seconds, ratio (suite/scan),
        result_rows, and peak_rss_mb after the scan and after the suite.
    """
    dataset_dir = Path(dataset_dir)
    scan_seconds, counts = _best(lambda: bare_scan(dataset_dir), repeats)
    scan_peak = _peak_rss_bytes()
    suite_seconds, results = _best(lambda: run_metrics(dataset_dir), repeats)
    return {
        "dataset": str(dataset_dir),
        "rows": sum(counts.values()),
        "rows_by_table": counts,
        "scan_seconds": round(scan_seconds, 3),
        "suite_seconds": round(suite_seconds, 3),
        "ratio": round(suite_seconds / scan_seconds, 2) if scan_seconds > 0 else None,
        "result_rows": results.num_rows,
        "peak_rss_mb_scan": round(scan_peak / 2**20, 1),
        "peak_rss_mb": round(_peak_rss_bytes() / 2**20, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset_dir", help="a dataset version folder of Parquet files")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each; best kept")
    arguments = parser.parse_args(argv)
    print(json.dumps(engine_benchmark(arguments.dataset_dir, arguments.repeats), indent=2))


if __name__ == "__main__":
    main()
