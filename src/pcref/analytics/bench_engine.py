"""Benchmark of the metric engine: the full catalogue on DuckDB against a bare scan of the
same rows, with seconds, peak memory and the suite/scan ratio."""

# Speed is measured here, never asserted in unit tests (ARCHITECTURE §5). Run it with
# `python -m pcref.analytics.bench_engine DATASET_DIR [--repeats R]`, or
# `python -m pcref.analytics.bench_engine --people N [--seed S] [--work-dir DIR]` to synthesise,
# ingest and benchmark an extract of N people; the lead's `make bench` calls the same
# functions. Goals (issue #4): a trust (250k people, ~5M rows) under 10 s, a national extract
# (4M people, ~30M rows) under 3 minutes in 8 GB, and the suite no more than 10 times a bare
# scan. Never imports Django.

import argparse
import json
import multiprocessing
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

# Mean care contacts per referral at national scale: 4M people with the generator's default
# (18) would be ~95M rows; 4.5 gives the issue's ~30M (19.5M contacts).
NATIONAL_CONTACTS_PER_REFERRAL = 4.5


@dataclass(frozen=True)
class Scale:
    """A benchmark scale and the goals of issue #4 for it."""

    people: int
    contacts_per_referral: float | None  # None: the generator's default
    suite_goal_seconds: float
    memory_goal_mb: float | None = None
    ratio_goal: float = 10.0


SCALES = {
    "trust": Scale(250_000, None, 10.0),  # ~5.5M rows
    "national": Scale(4_000_000, NATIONAL_CONTACTS_PER_REFERRAL, 180.0, 8 * 1024),  # ~30M rows
}


def _peak_rss_bytes() -> int:
    """The process's peak resident set size so far.

    On Linux this is VmHWM from /proc: ru_maxrss survives exec, so a phase started from a
    large parent (fork, then exec) would report the parent's size as its own peak.
    Elsewhere, ru_maxrss (KiB on Linux, bytes on macOS).
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _mb(size: int) -> float:
    return round(size / 2**20, 1)


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
    """Time the whole metric catalogue on DuckDB and a bare scan of the same dataset, in this
    process (`scale_benchmark` runs each in its own process, for honest peak memory).

    Args:
        dataset_dir: a dataset version folder (`<table>.parquet` files and manifest.json).
        repeats: runs of each; the best time is kept (peak memory is the process's peak).

    Returns:
        A dict: rows (by table and in all), scan_seconds, suite_seconds, ratio (suite/scan),
        result_rows, and peak_rss_mb after the scan and after the suite.
    """
    from pcref.analytics.engine import run_metrics

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
        "peak_rss_mb_scan": _mb(scan_peak),
        "peak_rss_mb": _mb(_peak_rss_bytes()),
    }


# --- One phase per process ----------------------------------------------------------------------
# Each phase runs in a fresh interpreter ("spawn"), so its peak memory is its own, not the
# peak of whatever ran before it in the same process.


def _synth_phase(out_dir: str, people: int, seed: int, contacts_per_referral) -> dict:
    from pcref.analytics.synth.generator import generate

    options = {}
    if contacts_per_referral is not None:
        options["contacts_per_referral"] = contacts_per_referral
    started = time.perf_counter()
    generate(out_dir, people=people, seed=seed, file_format="parquet", **options)
    return {"seconds": time.perf_counter() - started, "peak": _peak_rss_bytes()}


def _ingest_phase(source_dir: str, datasets_dir: str) -> dict:
    from pcref.analytics.extract.load import ingest

    started = time.perf_counter()
    result = ingest(source_dir, datasets_dir)
    seconds = time.perf_counter() - started
    if not result.ok:
        raise RuntimeError(f"the synthetic extract did not load:\n{result.summary()}")
    return {"seconds": seconds, "peak": _peak_rss_bytes(), "dataset": str(result.dataset.path)}


def _scan_phase(dataset_dir: str, repeats: int) -> dict:
    seconds, counts = _best(lambda: bare_scan(dataset_dir), repeats)
    return {"seconds": seconds, "peak": _peak_rss_bytes(), "counts": counts}


def _suite_phase(dataset_dir: str, repeats: int) -> dict:
    from pcref.analytics.engine import run_metrics  # imported before the clock starts

    seconds, results = _best(lambda: run_metrics(dataset_dir), repeats)
    return {"seconds": seconds, "peak": _peak_rss_bytes(), "result_rows": results.num_rows}


def _in_process(work, *arguments) -> dict:
    """`work(*arguments)` in a new interpreter; a crash of it raises, rather than hanging."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(work, *arguments).result()


def scale_benchmark(
    people: int,
    seed: int,
    work_dir: str | Path,
    contacts_per_referral: float | None = None,
    *,
    repeats: int = 1,
    keep: bool = False,
) -> dict[str, Any]:
    """Synthesise an extract of `people` people, ingest it, and benchmark the engine on it.

    Each phase runs in its own process, so each peak memory figure is that phase's alone.

    Args:
        people: people in the extract (`mhs001_patients` rows): 250,000 for a trust,
            4,000,000 for the national extract.
        seed: the generator's seed.
        work_dir: a folder for the extract and the dataset store (a new subfolder is made in
            it, and removed afterwards unless `keep`).
        contacts_per_referral: the generator's mean contacts per referral; None for its
            default (18). `NATIONAL_CONTACTS_PER_REFERRAL` gives ~30M rows for 4M people.
        repeats: runs of the scan and the suite; the best time of each is kept.
        keep: keep the extract and the dataset version.

    Returns:
        A dict: people, rows (in all and by table), synth_seconds, ingest_seconds,
        ingest_peak_rss_mb, scan_seconds, scan_peak_rss_mb, suite_seconds, ratio
        (suite/scan), peak_rss_mb (the suite's), result_rows and, with `keep`, dataset.
    """
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"bench-{people}-", dir=work_dir))
    try:
        raw, store = folder / "extract", folder / "datasets"
        synth = _in_process(_synth_phase, str(raw), people, seed, contacts_per_referral)
        loaded = _in_process(_ingest_phase, str(raw), str(store))
        if not keep:  # the extract is not needed once ingested: disk space, at national scale
            shutil.rmtree(raw)
        scan = _in_process(_scan_phase, loaded["dataset"], repeats)
        suite = _in_process(_suite_phase, loaded["dataset"], repeats)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    figures = {
        "people": people,
        "rows": sum(scan["counts"].values()),
        "rows_by_table": scan["counts"],
        "synth_seconds": round(synth["seconds"], 2),
        "ingest_seconds": round(loaded["seconds"], 2),
        "ingest_peak_rss_mb": _mb(loaded["peak"]),
        "scan_seconds": round(scan["seconds"], 3),
        "scan_peak_rss_mb": _mb(scan["peak"]),
        "suite_seconds": round(suite["seconds"], 3),
        "ratio": round(suite["seconds"] / scan["seconds"], 2) if scan["seconds"] > 0 else None,
        "peak_rss_mb": _mb(suite["peak"]),
        "result_rows": suite["result_rows"],
    }
    if keep:
        figures["dataset"] = loaded["dataset"]
    return figures


def print_scale_benchmarks(
    scales: list[str], work_dir: str | Path | None = None, seed: int = 1
) -> list[dict[str, Any]]:
    """Run `scale_benchmark` for each named scale ("trust", "national") and print its figures
    against the goals. Returns the figures.

    Raises:
        ValueError: an unknown scale name.
    """
    unknown = [name for name in scales if name not in SCALES]
    if unknown:
        raise ValueError(f"scales must be among {', '.join(SCALES)}; got {unknown[0]!r}")
    work_dir = work_dir or tempfile.gettempdir()
    results = []
    for name in scales:
        scale = SCALES[name]
        figures = scale_benchmark(scale.people, seed, work_dir, scale.contacts_per_referral)
        results.append({"scale": name, **figures})
        memory_goal = scale.memory_goal_mb
        goals = [
            (
                f"suite < {scale.suite_goal_seconds:g} s",
                figures["suite_seconds"] < scale.suite_goal_seconds,
            ),
            (
                f"suite/scan <= {scale.ratio_goal:g}",
                figures["ratio"] is not None and figures["ratio"] <= scale.ratio_goal,
            ),
        ]
        if memory_goal is not None:
            peak = max(figures["ingest_peak_rss_mb"], figures["peak_rss_mb"])
            goals.append((f"peak <= {memory_goal / 1024:g} GB", peak <= memory_goal))
        verdicts = "; ".join(f"{goal}: {'met' if met else 'NOT met'}" for goal, met in goals)
        print(
            f"{name}: {scale.people:,} people, {figures['rows']:,} rows\n"
            f"  ingest       {figures['ingest_seconds']:8.2f} s   peak {figures['ingest_peak_rss_mb']:8,.0f} MB\n"
            f"  metric suite {figures['suite_seconds']:8.2f} s   peak {figures['peak_rss_mb']:8,.0f} MB"
            f"   ({figures['result_rows']:,} result rows)\n"
            f"  bare scan    {figures['scan_seconds']:8.2f} s   peak {figures['scan_peak_rss_mb']:8,.0f} MB\n"
            f"  suite/scan   {figures['ratio']:8.2f}x\n"
            f"  goals: {verdicts}"
        )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset_dir", nargs="?", help="a dataset version folder of Parquet files")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each; best kept")
    parser.add_argument("--people", type=int, help="synthesise and ingest this many people first")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--contacts-per-referral", type=float)
    parser.add_argument("--work-dir", default=tempfile.gettempdir())
    parser.add_argument("--keep", action="store_true", help="keep the extract and dataset")
    arguments = parser.parse_args(argv)
    if (arguments.dataset_dir is None) == (arguments.people is None):
        parser.error("give either a dataset folder or --people")
    if arguments.people is not None:
        figures = scale_benchmark(
            arguments.people,
            arguments.seed,
            arguments.work_dir,
            arguments.contacts_per_referral,
            repeats=arguments.repeats,
            keep=arguments.keep,
        )
    else:
        figures = engine_benchmark(arguments.dataset_dir, arguments.repeats)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
