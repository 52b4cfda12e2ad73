"""The analytics commands of `pcref`: synth, ingest and metrics. No Django: they start fast
and run where the web app is not installed (a trust's analyst laptop, a national cluster).

Exit codes, the same for each: 0 done; 1 the input was refused (an invalid extract, an
unknown metric, a missing dataset), with the reason on standard error; 2 a wrong command line
(argparse's own code).
"""

import argparse
import datetime as dt
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from pcref.paths import VAR_DIR

DONE, REFUSED = 0, 1
EXIT_CODES = (
    "exit codes: 0 done; 1 input refused (why: a report, or a line on standard error); "
    "2 bad command line; 130 stopped (Ctrl+C or SIGTERM)"
)
STOPPED = 130
MIN_MEMORY = 64 * 10**6  # below this DuckDB runs out of memory on any table, blaming the file


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


class _Stop(KeyboardInterrupt):
    """SIGTERM, raised as Ctrl+C is: the same clean-up runs (an ingest removes its temporary
    folder), then the command says it stopped."""


def _stop(signum, frame):
    raise _Stop


def _guarded(handler, stopped: str):
    """`handler(args)` that stops cleanly: on Ctrl+C or SIGTERM (exit 130, the line `stopped`,
    no trace), and when the reader of its output goes away (`| head`: exit 1, quietly)."""

    def run(args) -> int:
        previous = signal.signal(signal.SIGTERM, _stop)
        try:
            return handler(args)
        except (KeyboardInterrupt, RuntimeError) as error:
            # DuckDB turns a signal during a query into RuntimeError("Query interrupted")
            if isinstance(error, RuntimeError) and str(error) != "Query interrupted":
                raise
            print(f"\npcref: stopped; {stopped}", file=sys.stderr)
            return STOPPED
        except BrokenPipeError:
            # the rest of the output has nowhere to go; Python would complain again at exit
            # when flushing it, so standard output goes to /dev/null (if it is a real file)
            try:
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except OSError:  # io.UnsupportedOperation too: not a file (a test's capture)
                pass
            return REFUSED
        finally:
            signal.signal(signal.SIGTERM, previous)

    run.__doc__ = handler.__doc__
    return run


def _folder_problem(path: Path, option: str) -> str | None:
    """Why a folder the command will write into cannot be used, or None; it is made if missing
    and a file is tried in it. Checked before any
    work: a run should not compute for minutes and then fail on where to write."""
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is None or not existing.is_dir():
        where = "it" if existing == path else f"{str(existing)!r}"
        return f"{option} {str(path)!r} cannot be a folder: {where} is a file"
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError as error:
        return f"{option} {str(path)!r} cannot be written: {error.strerror or error}"
    return None


def synth(args) -> int:
    """Write a synthetic extract with injected disparities and its ground truth."""
    from pcref.analytics.synth.generator import generate
    from pcref.analytics.synth.model import FILE_FORMATS

    out = Path(args.out)
    problem = _folder_problem(out, "--out")
    if problem:
        return _refused(problem)
    other = [f for f in FILE_FORMATS if f != args.format]
    mixed = sorted(path.name for f in other for path in out.glob(f"*.{f}"))
    if mixed:
        return _refused(
            f"--out {str(out)!r} already holds {mixed[0]}: an extract in {args.format} beside it "
            "would give each table twice, which ingest refuses; choose an empty folder"
        )
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

    if not Path(args.extract).is_dir():
        return _refused(f"extract {args.extract!r} is not a folder of table files")
    reports = Path(args.report_dir) if args.report_dir else Path(args.datasets) / "reports"
    for path, option in ((Path(args.datasets), "--datasets"), (reports, "--report-dir")):
        problem = _folder_problem(path, option)
        if problem:
            return _refused(problem)
    # a folder of its own: two ingests in the same second must not share (and overwrite) one
    report_dir = Path(tempfile.mkdtemp(prefix=time.strftime("ingest-%Y%m%dT%H%M%S-"), dir=reports))
    bar = _bar(None, "ingest", args.quiet)
    try:
        result = ingest_extract(
            args.extract,
            args.datasets,
            max_examples=args.max_examples,
            progress=bar,
            extract_date=args.extract_date,
            memory_limit=args.memory_limit,
            report_dir=report_dir,
        )
    finally:
        bar.close()
    # refused: the summary is the reason, on standard error as --help says; loaded: stdout
    print(result.summary(), file=sys.stdout if result.ok else sys.stderr)
    print(f"Report: {report_dir / 'report.csv'}", file=sys.stdout if result.ok else sys.stderr)
    return DONE if result.ok else REFUSED


def metrics(args) -> int:
    """Run the metric catalogue (or some of it) on a dataset version; write Parquet and CSV."""
    from pcref.analytics.engine import run_metrics, write_results
    from pcref.analytics.extract.load import list_datasets, open_dataset

    try:
        dataset = open_dataset(args.datasets, args.version)
        dataset.verify()  # a missing or changed file would give other figures, silently
    except (FileNotFoundError, ValueError) as error:
        return _refused(str(error))
    chosen = _names(args.metrics)
    periods = {"periods": _names(args.periods)} if _names(args.periods) else {}
    out = Path(args.out) if args.out else dataset.path.parent / "results" / dataset.name
    versions = [version.path.resolve() for version in list_datasets(args.datasets)]
    if any(folder in versions for folder in (out.resolve(), *out.resolve().parents)):
        return _refused(f"--out {str(out)!r} is inside a dataset version, which must not change")
    problem = _folder_problem(out, "--out")
    if problem:
        return _refused(problem)
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


def _whole(low: int, high: int | None = None):
    """An argparse type: a whole number from `low` (to `high`); argparse names the option."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < low or (high is not None and value > high):
            limits = f"from {low:,} to {high:,}" if high is not None else f"{low:,} or more"
            raise argparse.ArgumentTypeError(f"must be {limits}; got {value:,}")
        return value

    return parse


_positive = _whole(1)


def _number_above_zero(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 1000:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 1,000; got {text}")
    return value


def _day(first_year: int):
    """An argparse type: a date as YYYY-MM-DD, in `first_year` or later and not after today."""

    def parse(text: str) -> dt.date:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a date as YYYY-MM-DD: {text!r}") from None
        if day.year < first_year:
            raise argparse.ArgumentTypeError(f"must be in {first_year} or later; got {text}")
        if day > dt.date.today():
            raise argparse.ArgumentTypeError(f"must not be after today; got {text}")
        return day

    return parse


def _memory(text: str) -> str:
    from pcref.analytics.extract.validate import memory_bytes

    try:
        size = memory_bytes(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size such as 1GB or 512MB: {text!r}") from None
    if size < MIN_MEMORY:
        raise argparse.ArgumentTypeError(f"must be at least 64MB; got {text}")
    return text


def add_commands(commands) -> None:
    """Add synth, ingest and metrics to the `pcref` command's subparsers."""
    from pcref.analytics.synth.model import FILE_FORMATS, MAX_PEOPLE, MIN_PEOPLE

    datasets = default_datasets_dir()
    quiet = {"action": "store_true", "help": "no progress bar"}

    command = commands.add_parser(
        "synth",
        help="write a synthetic extract with known disparities",
        description="Write a realistic synthetic extract for a catchment like Leicester, "
        "Leicestershire and Rutland, its population file and the ground truth injected.",
        epilog=EXIT_CODES,
    )
    command.add_argument(
        "--people",
        type=_whole(MIN_PEOPLE, MAX_PEOPLE),
        default=200_000,
        help=f"people in contact, {MIN_PEOPLE:,} to {MAX_PEOPLE:,}; default 200,000",
    )
    command.add_argument(
        "--seed", type=_whole(0), default=0, help="random seed, 0 or more (same seed, same files)"
    )
    command.add_argument("--out", required=True, help="folder to write the extract into")
    command.add_argument(
        "--years", type=_whole(1, 10), default=3, help="years of activity, 1 to 10; default 3"
    )
    command.add_argument(
        "--start",
        type=_day(
            2000
        ),  # earlier, the oldest people would be born before 1900, which ingest refuses
        default=dt.date(2023, 4, 1),
        help="first day, YYYY-MM-DD, from 2000; default 2023-04-01",
    )
    command.add_argument("--format", default="csv", choices=FILE_FORMATS)
    command.add_argument(
        "--contacts-per-referral",
        type=_number_above_zero,
        default=18.0,
        help="mean care contacts a referral, more than 0 and at most 1,000; default 18",
    )
    command.add_argument("--quiet", **quiet)
    command.set_defaults(
        handler=_guarded(synth, "the extract in --out is incomplete: write it again")
    )

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
    command.add_argument(
        "--extract-date",
        type=_day(1900),
        help="the day the extract was taken, YYYY-MM-DD, not after today; default today",
    )
    command.add_argument(
        "--memory-limit",
        type=_memory,
        default="1GB",
        help="DuckDB memory before spilling to disk, at least 64MB; default 1GB",
    )
    command.add_argument("--quiet", **quiet)
    command.set_defaults(handler=_guarded(ingest, "no dataset version was made"))

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
    command.set_defaults(
        handler=_guarded(
            metrics, "the results in --out are from an earlier run, if any: run it again"
        )
    )
