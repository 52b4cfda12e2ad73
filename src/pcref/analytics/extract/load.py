"""Load a valid extract as an immutable, numbered dataset version; open and verify versions.

`ingest(source_dir, datasets_dir)` validates the extract (`extract.validate`) and, only when it
has no errors, writes `datasets_dir/v0001/` (the next free number): one Parquet file per table
with typed columns, the report, and `manifest.json` with checksums, row counts, ethnicity quality
and the extract period. The version is written in a temporary directory inside `datasets_dir`
and renamed into place, so it appears whole or not at all; its files are then made read-only.
An invalid extract, or a failure part way, changes nothing in `datasets_dir`.

Everything streams through DuckDB (`read_csv`, SQL checks, `COPY ... TO parquet`) within
`memory_limit`, spilling to a temporary directory, so an extract larger than memory loads.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from pcref.analytics import ethnicity
from pcref.analytics.extract import schema
from pcref.analytics.extract.report import Problem, Report
from pcref.analytics.extract.validate import (
    DEFAULT_MEMORY_LIMIT,
    ProgressCallback,
    StagedTable,
    Validation,
    sql_literal,
)

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
REPORT_CSV, REPORT_JSON = "report.csv", "report.json"
_VERSION_NAME = re.compile(r"v([0-9]{4,})")
_READ_ONLY_FILE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
_READ_ONLY_DIR = _READ_ONLY_FILE | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
_CHUNK = 1 << 20


class DatasetIntegrityError(ValueError):
    """A dataset version's files do not match its manifest; `problems` names each file."""

    def __init__(self, path: Path, problems: list[str]):
        self.path, self.problems = path, problems
        super().__init__(f"dataset {path} does not match its manifest: " + "; ".join(problems))


def version_name(number: int) -> str:
    """The directory name of a dataset version.

    >>> version_name(1), version_name(12345)
    ('v0001', 'v12345')
    """
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError(f"a dataset number is a whole number, 1 or more; got {number!r}")
    return f"v{number:04d}"


@dataclass(frozen=True)
class DatasetVersion:
    """One immutable dataset version: `datasets_dir/vNNNN/` with Parquet files and a manifest.

    Attributes:
        number: the version number (1 for v0001).
        path: its directory.
        manifest: `manifest.json`, parsed.
    """

    number: int
    path: Path
    manifest: dict = field(repr=False, compare=False)

    @property
    def name(self) -> str:
        return version_name(self.number)

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(self.manifest["tables"])

    def table_path(self, name: str) -> Path:
        """The Parquet file of a table, e.g. `table_path("mhs001_patients")`.

        Raises:
            KeyError: naming the table and the tables there are.
        """
        try:
            entry = self.manifest["tables"][name]
        except KeyError:
            raise KeyError(
                f"dataset {self.name} has no table {name!r}; tables: {', '.join(self.tables)}"
            ) from None
        return self.path / entry["file"]

    def verify(self) -> None:
        """Re-check every file against the manifest's sha256 checksums and sizes.

        Raises:
            DatasetIntegrityError: naming every file that is missing, changed or not listed.
        """
        problems = []
        listed = self.manifest.get("files", {})
        for name, entry in sorted(listed.items()):
            path = self.path / name
            if not path.is_file():
                problems.append(f"{name} is missing")
                continue
            size = path.stat().st_size
            if size != entry["bytes"]:
                problems.append(f"{name} has {size:,} bytes, not {entry['bytes']:,}")
            elif sha256(path) != entry["sha256"]:
                problems.append(f"{name} has changed (sha256 differs)")
        for path in sorted(self.path.iterdir()):
            if path.name != MANIFEST and path.name not in listed:
                problems.append(f"{path.name} is not in the manifest")
        if problems:
            raise DatasetIntegrityError(self.path, problems)


def sha256(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def list_datasets(datasets_dir: str | Path) -> list[DatasetVersion]:
    """Every dataset version in a directory, oldest first (none if the directory is absent).

    Only complete versions are listed: `vNNNN` directories with a manifest. Temporary
    directories of an ingest in progress start with a dot and are never listed.
    """
    root = Path(datasets_dir)
    if not root.is_dir():
        return []
    versions = []
    for path in root.iterdir():
        match = _VERSION_NAME.fullmatch(path.name)
        if match and path.is_dir() and (path / MANIFEST).is_file():
            try:
                manifest = json.loads((path / MANIFEST).read_text("utf-8"))
            except ValueError as error:
                raise ValueError(f"{path / MANIFEST} is not valid JSON: {error}") from None
            versions.append(DatasetVersion(int(match.group(1)), path, manifest))
    return sorted(versions, key=lambda version: version.number)


def open_dataset(datasets_dir: str | Path, number: int | None = None) -> DatasetVersion:
    """A dataset version: `number`, or the latest when None.

    Raises:
        FileNotFoundError: naming the directory, when it holds no versions or not that one.
    """
    versions = list_datasets(datasets_dir)
    if not versions:
        raise FileNotFoundError(f"no dataset versions in {str(datasets_dir)!r}; ingest one first")
    if number is None:
        return versions[-1]
    for version in versions:
        if version.number == number:
            return version
    raise FileNotFoundError(
        f"no dataset version {number!r} in {str(datasets_dir)!r}; there are "
        f"{', '.join(version.name for version in versions)}"
    )


@dataclass(frozen=True)
class IngestResult:
    """What `ingest` did: the report and, when the extract was valid, the new dataset version.

    Attributes:
        report: every problem found (errors stop the load; warnings do not).
        dataset: the new `DatasetVersion`, or None when nothing was loaded.
        source_dir: the extract directory.
        row_counts: data rows read per table.
        ethnicity_quality: table -> raw ethnicity column -> {"rows", "statuses", "guessed"}.
        period: the first and last event dates, as ISO strings (None when there are none).
    """

    report: Report
    dataset: DatasetVersion | None
    source_dir: Path
    row_counts: dict[str, int]
    ethnicity_quality: dict[str, dict[str, dict]]
    period: tuple[str | None, str | None]

    @property
    def ok(self) -> bool:
        """True when the extract had no errors and a dataset version was created."""
        return self.report.ok and self.dataset is not None

    @property
    def problems(self) -> list[Problem]:
        return self.report.problems

    @property
    def counts(self) -> dict[tuple[str, str, str], int]:
        return self.report.counts

    def to_csv(self, path: str | Path) -> Path:
        return self.report.to_csv(path)

    def to_json(self, path: str | Path) -> Path:
        return self.report.to_json(path)

    def summary(self) -> str:
        """A few lines for a person: what was loaded (or why not), then the problems."""
        if self.dataset is not None:
            rows = sum(self.row_counts.values())
            start, end = self.period
            head = (
                f"Loaded {self.source_dir} as dataset {self.dataset.name} ({self.dataset.path}): "
                f"{len(self.row_counts)} tables, {rows:,} rows"
                + (f", events from {start} to {end}" if start else "")
                + "."
            )
        else:
            head = f"Extract {self.source_dir} was not loaded: nothing was changed."
        lines = [head]
        for table, columns in self.ethnicity_quality.items():
            for column, quality in columns.items():
                parts = ", ".join(
                    f"{status.replace('_', ' ')} {n:,}"
                    for status, n in quality["statuses"].items()
                    if n
                )
                lines.append(f"Ethnicity ({table}.{column}, {quality['rows']:,} rows): {parts}.")
        lines.append(self.report.summary())
        return "\n".join(lines)


def ingest(
    source_dir: str | Path,
    datasets_dir: str | Path,
    *,
    max_examples: int = 20,
    progress: ProgressCallback | object | None = None,
    extract_date: date | None = None,
    memory_limit: str | int = DEFAULT_MEMORY_LIMIT,
    threads: int | None = None,
    work_dir: str | Path | None = None,
    local_mappings: Mapping[str, str] | None = None,
    report_dir: str | Path | None = None,
    based_on: Mapping[str, object] | None = None,
) -> IngestResult:
    """Validate an extract and, if it has no errors, store it as the next dataset version.

    Args:
        source_dir: the directory holding `<table>.csv` or `<table>.parquet` files
            (docs/data-specification.md).
        datasets_dir: where versions go (`v0001`, `v0002`, ...); created when needed.
        max_examples: problems kept per (table, rule, column) in the report; all are counted.
        progress: None; a callback `(step, done, total)`; or a tqdm-like bar (its total is set,
            and it is advanced by one per step).
        extract_date: the date the extract was taken: no date may be after it. Default today.
        memory_limit: DuckDB's memory limit, e.g. "1GB" (default) or bytes; it spills beyond.
        threads: DuckDB threads (default: one per core).
        work_dir: where DuckDB's temporary files go (default: the system temporary directory).
        local_mappings: a trust's explicit local ethnicity codes, e.g. {"T": "C"}
            (`ethnicity.normalise`); recorded in the manifest.
        report_dir: if given, report.csv and report.json are also written there, loaded or not.
        based_on: when some tables in source_dir were taken from an earlier version (a new
            population file with the rest of the latest version), which version and tables,
            e.g. {"dataset": 1, "name": "v0001", "tables": [...]}; kept in the manifest.

    Returns:
        An `IngestResult`: `.ok`, `.problems`, `.counts`, `.dataset` (None if not loaded),
        `.to_csv(path)`, `.summary()`.

    Raises:
        NotADirectoryError: if source_dir is not a directory. Problems with the extract itself
        are never raised: they are in the report.
    """
    source_dir = Path(source_dir)
    datasets_dir = Path(datasets_dir)
    with Validation(
        source_dir,
        max_examples=max_examples,
        progress=progress,
        extract_date=extract_date,
        memory_limit=memory_limit,
        threads=threads,
        work_dir=work_dir,
        local_mappings=local_mappings,
        extra_steps=len(schema.TABLES) + 1,
    ) as validation:
        report = validation.run()
        quality = {
            name: {
                column: {
                    "rows": sum(read.counts.values()),
                    "statuses": dict(read.counts),
                    "guessed": read.guessed,
                }
                for column, read in staged.ethnicity.items()
            }
            for name, staged in validation.staged.items()
            if staged.ethnicity
        }
        first, last = validation.period
        period = (
            first.isoformat() if first else None,
            last.isoformat() if last else None,
        )
        row_counts = {name: staged.rows for name, staged in validation.staged.items()}
        if report_dir is not None:
            # Before the version: a disk that fills while writing the report must not leave
            # a version stored for an upload that then fails.
            Path(report_dir).mkdir(parents=True, exist_ok=True)
            report.to_csv(Path(report_dir) / REPORT_CSV)
            report.to_json(Path(report_dir) / REPORT_JSON)
        dataset = None
        if report.ok:
            dataset = _write_version(validation, datasets_dir, quality, period, based_on)
        else:
            validation.progress.finish("not loaded: see the report")
    return IngestResult(report, dataset, source_dir, row_counts, quality, period)


def _typed_select(staged: StagedTable | None, table: schema.Table) -> str:
    """SQL giving the table's stored columns (schema.stored_columns) from its staged text."""
    if staged is None:
        columns = ", ".join(
            f"CAST(NULL AS {kind}) AS {name}" for name, kind in schema.stored_columns(table)
        )
        return f"SELECT {columns} LIMIT 0"
    expressions, joins = [], []
    for column in table.columns:
        kind = schema.STORAGE_TYPES[column.type]
        if column.name not in staged.columns:
            expressions.append(f"CAST(NULL AS {kind}) AS {column.name}")
            continue
        value = f"t.{staged.sql(column.name)}"
        if column.normalise_ethnicity:
            read = staged.ethnicity[column.name]
            alias = f"e{len(joins)}"
            joins.append(f"LEFT JOIN {read.relation} AS {alias} ON {value} = {alias}.raw")
            expressions += [
                f"{value} AS {column.name}",
                f"CASE WHEN {value} IS NULL THEN NULL ELSE {alias}.code END "
                f"AS {schema.ethnicity_code_column(column.name)}",
                f"CASE WHEN {value} IS NULL THEN '{ethnicity.STATUS_MISSING}' "
                f"ELSE {alias}.status END AS {schema.ETHNICITY_STATUS_COLUMN}",
                f"{sql_literal(ethnicity.MAPPING_VERSION)} "
                f"AS {schema.ETHNICITY_MAPPING_VERSION_COLUMN}",
            ]
        elif kind == "VARCHAR":
            expressions.append(f"{value} AS {column.name}")
        else:
            expressions.append(f"CAST({value} AS {kind}) AS {column.name}")
    order = " ORDER BY t.rowid" if joins else ""
    return f"SELECT {', '.join(expressions)} FROM {staged.relation} AS t {' '.join(joins)}{order}"


# An ingest writes its version in a temporary folder and removes it if anything fails; only a
# process killed outright (SIGKILL, a power cut) leaves one. None is still in use after a day:
# a national extract writes in minutes.
ABANDONED_AFTER_SECONDS = 24 * 3600


def _remove_abandoned_staging(datasets_dir: Path) -> None:
    """Remove the temporary folders of ingests killed part way, a day or more ago."""
    now = time.time()
    for folder in datasets_dir.glob(".ingest-*"):
        try:
            abandoned = now - folder.stat().st_mtime >= ABANDONED_AFTER_SECONDS
        except FileNotFoundError:  # another ingest finished with it just now
            continue
        if abandoned and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


def _write_version(
    validation: Validation,
    datasets_dir: Path,
    quality: dict,
    period: tuple[str | None, str | None],
    based_on: Mapping[str, object] | None = None,
) -> DatasetVersion:
    created = not datasets_dir.exists()
    datasets_dir.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(datasets_dir)
    try:
        staging = Path(tempfile.mkdtemp(prefix=".ingest-", dir=datasets_dir))
    except BaseException:
        if created:
            datasets_dir.rmdir()
        raise
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            # Sources are hashed while DuckDB writes (hashlib and DuckDB both release the GIL).
            source_hashes = {
                name: pool.submit(sha256, path)
                for name, path in validation.sources.items()
                if path is not None
            }
            tables = {}
            for table in schema.TABLES:
                staged = validation.staged.get(table.name)
                file_name = f"{table.name}.parquet"
                validation.con.execute(
                    f"COPY ({_typed_select(staged, table)}) TO "
                    f"{sql_literal(str(staging / file_name))} "
                    "(FORMAT parquet, COMPRESSION zstd)"
                )
                tables[table.name] = {
                    "file": file_name,
                    "rows": staged.rows if staged else 0,
                    "columns": dict(schema.stored_columns(table)),
                    "ignored_columns": list(staged.extra_columns) if staged else [],
                }
                validation.progress.step(f"write {table.name}")
            validation.report.to_csv(staging / REPORT_CSV)
            validation.report.to_json(staging / REPORT_JSON)
            files = sorted(path.name for path in staging.iterdir())
            output_hashes = {name: pool.submit(sha256, staging / name) for name in files}
            sources = {}
            for table in schema.TABLES:
                staged = validation.staged.get(table.name)
                path = validation.sources.get(table.name)
                sources[table.name] = (
                    None
                    if path is None
                    else {
                        "file": path.name,
                        "format": staged.format,
                        "bytes": path.stat().st_size,
                        "sha256": source_hashes[table.name].result(),
                    }
                )
            outputs = {
                name: {"bytes": (staging / name).stat().st_size, "sha256": future.result()}
                for name, future in output_hashes.items()
            }
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "schema_version": schema.SCHEMA_VERSION,
            "dataset": None,
            "name": None,
            "created": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "extract_date": validation.extract_date.isoformat(),
            "source_dir": str(validation.source_dir.resolve()),
            "based_on": dict(based_on) if based_on else None,
            "period": {
                "start": period[0],
                "end": period[1],
                "by_table": {
                    name: {
                        "column": schema.EVENT_DATE_COLUMNS[name],
                        "start": staged.period[0].isoformat() if staged.period[0] else None,
                        "end": staged.period[1].isoformat() if staged.period[1] else None,
                    }
                    for name, staged in validation.staged.items()
                    if name in schema.EVENT_DATE_COLUMNS
                },
            },
            "row_counts": {name: entry["rows"] for name, entry in tables.items()},
            "tables": tables,
            "sources": sources,
            "files": outputs,
            "ethnicity_mapping_version": ethnicity.MAPPING_VERSION,
            "ethnicity_local_mappings": validation.local_mappings,
            "ethnicity_quality": quality,
            "report": {
                "errors": validation.report.error_count,
                "warnings": validation.report.warning_count,
            },
        }
        for name in files:
            os.chmod(staging / name, _READ_ONLY_FILE)
        version = _publish(staging, datasets_dir, manifest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not any(datasets_dir.iterdir()):
            datasets_dir.rmdir()
        raise
    validation.progress.step("dataset written")
    return version


def _publish(staging: Path, datasets_dir: Path, manifest: dict) -> DatasetVersion:
    """Rename the staging directory to the next free vNNNN, writing the manifest for it."""
    taken = [
        int(match.group(1))
        for path in datasets_dir.iterdir()
        if (match := _VERSION_NAME.fullmatch(path.name))
    ]
    number = max(taken, default=0) + 1
    manifest_path = staging / MANIFEST
    while True:
        manifest.update(dataset=number, name=version_name(number))
        if manifest_path.exists():
            os.chmod(manifest_path, _READ_ONLY_FILE | stat.S_IWUSR)
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        os.chmod(manifest_path, _READ_ONLY_FILE)
        target = datasets_dir / version_name(number)
        if not target.exists():
            try:
                os.rename(staging, target)
            except OSError as error:
                # Another ingest took this number first (a non-empty target); try the next.
                if error.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.EISDIR):
                    raise
            else:
                os.chmod(target, _READ_ONLY_DIR)
                return DatasetVersion(number, target, manifest)
        number += 1
