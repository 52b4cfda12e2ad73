"""The analytics commands of `pcref`: synth, ingest and metrics. No Django: they start fast
and run where the web app is not installed (a trust's analyst laptop, a national cluster).

Exit codes, the same for each: 0 done; 1 the input was refused (an invalid extract, an
unknown metric, a missing dataset), with the reason on standard error; 2 a wrong command line
(argparse's own code).
"""

import argparse
import os
import sys
import time
from pathlib import Path

from pcref.paths import VAR_DIR

DONE, REFUSED = 0, 1
EXIT_CODES = "exit codes: 0 done; 1 input refused (reason on standard error); 2 bad command line"


def default_datasets_dir() -> Path:
    """Where dataset versions live unless `--datasets` says: `$PCREF_VAR_DIR/datasets`."""
    return Path(os.environ.get("PCREF_DATASETS_DIR", VAR_DIR / "datasets"))


def _bar(total: int | None, description: str, quiet: bool):
    from tqdm import tqdm

    # disable=None: no bar when standard error is not a terminal (a log, a pipe)
    return tqdm(
        total=total, desc=description, unit="step", disable=True if quiet else None, file=sys.stderr
    )


def _refused(message: str) -> int:
    print(f"pcref: {message}", file=sys.stderr)
    return REFUSED


def synth(args) -> int:
    """Write a synthetic extract with injected disparities and its ground truth."""
    from pcref.analytics.synth.generator import generate

    bar = _bar(None, "synth", args.quiet)
    try:
        truth = generate(
            args.out,
            people=args.people,
            seed=args.seed,
            years=args.years,
            start=args.start,
            file_format=args.format,
            contacts_per_referral=args.contacts_per_referral,
            progress=lambda line: (bar.update(1), bar.set_postfix_str(line[:60])),
        )
    except (TypeError, ValueError) as error:
        return _refused(str(error))
    finally:
        bar.close()
    rows = sum(truth.rows.values())
    print(f"Wrote {rows:,} rows for {args.people:,} people to {args.out} (seed {args.seed}).")
    print(f"Ground truth: {Path(args.out) / 'ground_truth.json'}")
    return DONE


def ingest(args) -> int:
    """Validate an extract; if valid, store it as the next numbered dataset version."""
    from pcref.analytics.extract.load import ingest as ingest_extract

    try:
        extract_date = parse_date(args.extract_date, "--extract-date")
    except ValueError as error:
        return _refused(str(error))
    if not Path(args.extract).is_dir():
        return _refused(f"extract {args.extract!r} is not a folder of table files")
    report_dir = Path(args.report_dir) if args.report_dir else Path(args.datasets) / "reports"
    report_dir = report_dir / time.strftime("ingest-%Y%m%dT%H%M%S")
    bar = _bar(None, "ingest", args.quiet)
    try:
        result = ingest_extract(
            args.extract,
            args.datasets,
            max_examples=args.max_examples,
            progress=bar,
            extract_date=extract_date,
            memory_limit=args.memory_limit,
            report_dir=report_dir,
        )
    finally:
        bar.close()
    print(result.summary())
    print(f"Report: {report_dir / 'report.csv'}")
    return DONE if result.ok else REFUSED


def metrics(args) -> int:
    """Run the metric catalogue (or some of it) on a dataset version; write Parquet and CSV."""
    from pcref.analytics.engine import run_metrics, write_results
    from pcref.analytics.extract.load import open_dataset

    try:
        dataset = open_dataset(args.datasets, args.version)
    except (FileNotFoundError, ValueError) as error:
        return _refused(str(error))
    chosen = _names(args.metrics)
    periods = {"periods": _names(args.periods)} if _names(args.periods) else {}
    out = Path(args.out) if args.out else dataset.path.parent / "results" / dataset.name
    bar = _bar(None, "metrics", args.quiet)
    started = time.perf_counter()
    try:
        table = run_metrics(
            dataset.path,
            metrics=chosen,
            backend=args.backend,
            **periods,
            progress=lambda line: (bar.update(1), bar.set_postfix_str(line[:60])),
        )
    except ValueError as error:
        return _refused(str(error))
    finally:
        bar.close()
    parquet, csv = write_results(table, out)
    seconds = time.perf_counter() - started
    names = len(set(table.column("metric").to_pylist()))
    print(
        f"{names} metrics on dataset {dataset.name} ({args.backend}): "
        f"{table.num_rows:,} result rows in {seconds:.1f} s"
    )
    print(f"Results: {parquet}\n         {csv}")
    return DONE


def _names(text: str) -> list[str] | None:
    """A comma-separated option as a list; None when empty."""
    return [name.strip() for name in text.split(",") if name.strip()] or None


def parse_date(text: str | None, option: str):
    """A YYYY-MM-DD option as a date (None when not given); ValueError naming the option."""
    import datetime as dt

    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{option} must be a date as YYYY-MM-DD; got {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text!r}")
    return value


def add_commands(commands) -> None:
    """Add synth, ingest and metrics to the `pcref` command's subparsers."""
    from pcref.analytics.synth.model import FILE_FORMATS

    datasets = default_datasets_dir()
    quiet = {"action": "store_true", "help": "no progress bar"}

    command = commands.add_parser(
        "synth",
        help="write a synthetic extract with known disparities",
        description="Write a realistic synthetic extract for a catchment like Leicester, "
        "Leicestershire and Rutland, its population file and the ground truth injected.",
        epilog=EXIT_CODES,
    )
    command.add_argument("--people", type=_positive, default=200_000, help="people in contact")
    command.add_argument("--seed", type=int, default=0, help="random seed (same seed, same files)")
    command.add_argument("--out", required=True, help="folder to write the extract into")
    command.add_argument("--years", type=_positive, default=3, help="years of activity")
    command.add_argument("--start", default="2023-04-01", help="first day, YYYY-MM-DD")
    command.add_argument("--format", default="csv", choices=FILE_FORMATS)
    command.add_argument(
        "--contacts-per-referral", type=float, default=18.0, help="mean care contacts a referral"
    )
    command.add_argument("--quiet", **quiet)
    command.set_defaults(handler=synth)

    command = commands.add_parser(
        "ingest",
        help="validate an extract and store it as a dataset version",
        description="Check every table of an extract (docs/data-specification.md). A valid "
        "extract becomes the next numbered, immutable dataset version; an invalid one changes "
        "nothing. Either way a report names each problem's table, row, column, value and rule.",
        epilog=EXIT_CODES,
    )
    command.add_argument("extract", help="folder of <table>.csv or <table>.parquet files")
    command.add_argument("--datasets", default=str(datasets), help=f"default {datasets}")
    command.add_argument("--report-dir", help="where reports go; default DATASETS/reports")
    command.add_argument("--max-examples", type=_positive, default=20, help="problems kept a rule")
    command.add_argument("--extract-date", help="the day the extract was taken; default today")
    command.add_argument("--memory-limit", default="1GB", help="DuckDB memory before spilling")
    command.add_argument("--quiet", **quiet)
    command.set_defaults(handler=ingest)

    command = commands.add_parser(
        "metrics",
        help="compute the PCREF metrics on a dataset version",
        description="Run the metric catalogue (docs/metrics.md) on a dataset version and write "
        "one long results table as results.parquet and results.csv.",
        epilog=EXIT_CODES,
    )
    command.add_argument("--datasets", default=str(datasets), help=f"default {datasets}")
    command.add_argument("--version", type=_positive, help="dataset version; default the latest")
    command.add_argument("--backend", default="duckdb", choices=["duckdb", "spark"])
    command.add_argument("--metrics", default="", help="metric ids, comma-separated; default all")
    command.add_argument(
        "--periods",
        default="",
        help="period types, comma-separated, of financial_year, quarter, month; default all",
    )
    command.add_argument("--out", help="results folder; default DATASETS/results/VERSION")
    command.add_argument("--quiet", **quiet)
    command.set_defaults(handler=metrics)
