"""Micro-benchmark of the vectorised statistics: crude rates and proportions over a million rows."""

# Speed is measured here, never asserted in unit tests (ARCHITECTURE §5). Run it with
# `python -m pcref.analytics.bench [--size N] [--repeats R]`. numpy only: never imports Django.

import argparse
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from pcref.analytics.stats import proportion, rate

SEED = 20_260_401  # fixed, so every run times the same rows


def _rows(size: int) -> dict[str, np.ndarray]:
    """Random but realistic rows: rates from rare to common, so both exact (< 10 events) and
    Byar limits are timed, and proportions from samples of 1 to 5,000."""
    generator = np.random.default_rng(SEED)
    populations = generator.integers(100, 200_000, size).astype(float)
    rates = generator.lognormal(mean=np.log(1e-3), sigma=1.5, size=size)
    events = generator.poisson(populations * np.minimum(rates, 1.0)).astype(float)
    samples = generator.integers(1, 5_000, size).astype(float)
    cases = generator.binomial(samples.astype(int), generator.uniform(0, 1, size)).astype(float)
    return {"events": events, "populations": populations, "cases": cases, "samples": samples}


def _best_seconds(work: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def _peak_bytes(work: Callable[[], Any]) -> int:
    """Peak memory allocated while `work` runs (numpy reports its buffers to tracemalloc)."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def stats_benchmark(size: int = 1_000_000, repeats: int = 3) -> dict[str, Any]:
    """Time `rate` and `proportion`, with 95% limits, over `size` rows.

    Args:
        size: rows per call; default 1,000,000.
        repeats: timed runs per function; the best is kept; default 3.

    Returns:
        {"rate": {...}, "proportion": {...}, "rows": size, "exact_share": ...}, where each
        function's figures are "seconds" (best of repeats), "rows_per_second" and
        "peak_memory_mb" (tracemalloc, measured in a separate, untimed run), and
        "exact_share" is the share of rate rows below 10 events (exact limits).

    >>> figures = stats_benchmark(size=1_000, repeats=1)
    >>> sorted(figures["rate"])
    ['peak_memory_mb', 'rows_per_second', 'seconds']
    """
    if size < 1 or repeats < 1:
        raise ValueError(f"size and repeats must be 1 or more; got size={size}, repeats={repeats}")
    rows = _rows(size)
    calls = {
        "rate": lambda: rate(rows["events"], rows["populations"]),
        "proportion": lambda: proportion(rows["cases"], rows["samples"], multiplier=100),
    }
    figures: dict[str, Any] = {
        "rows": size,
        "exact_share": float(np.mean(rows["events"] < 10)),
    }
    for name, work in calls.items():
        work()  # warm up: imports, scipy's first call
        seconds = _best_seconds(work, repeats)
        figures[name] = {
            "seconds": seconds,
            "rows_per_second": size / seconds,
            "peak_memory_mb": _peak_bytes(work) / 1e6,
        }
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    """Print the benchmark figures as a short table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000, help="rows per call")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the best is kept")
    arguments = parser.parse_args(argv)
    figures = stats_benchmark(arguments.size, arguments.repeats)
    print(
        f"pcref.analytics.stats: {figures['rows']:,} rows, best of {arguments.repeats}; "
        f"{figures['exact_share']:.0%} of rates below 10 events (exact limits)"
    )
    print(f"{'function':<12}{'seconds':>10}{'rows/second':>16}{'peak MB':>10}")
    for name in ("rate", "proportion"):
        row = figures[name]
        print(
            f"{name:<12}{row['seconds']:>10.3f}{row['rows_per_second']:>16,.0f}"
            f"{row['peak_memory_mb']:>10.1f}"
        )


if __name__ == "__main__":
    main()
