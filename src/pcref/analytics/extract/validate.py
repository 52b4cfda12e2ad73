"""Validate an extract in DuckDB: files, columns, values and keys, as SQL over the staged files.

Each file is read once into DuckDB with every column as text (`read_csv` with VARCHAR columns,
or `read_parquet` cast to VARCHAR), so a bad value is reported, never a failed read. Every check
is then SQL: one aggregate query per table counts all the value problems at once; examples are
fetched only for the rules that failed, in row order; duplicate keys are a GROUP BY ... HAVING
and foreign keys an anti-join. No row passes through Python, and DuckDB's `memory_limit` and
temporary directory let a file larger than memory spill to disk.

Values are trimmed of surrounding spaces and a blank value is missing (null), except in raw
ethnicity columns, which are kept exactly as given and read with `ethnicity.normalise` (the
distinct values only, then joined). Rows in messages are 1-based data rows as in the file,
header excluded (blank lines are not rows; a quoted value spanning lines is one row).
"""

from __future__ import annotations

import bisect
import csv
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from pcref.analytics import ethnicity
from pcref.analytics.extract import schema
from pcref.analytics.extract.nhs_number import sql_is_nhs_number
from pcref.analytics.extract.report import Problem, Report

FORMATS = ("csv", "parquet")
DEFAULT_MEMORY_LIMIT = "1GB"

_INTEGER = r"[+-]?[0-9]{1,18}"
_NUMBER = r"[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]{1,3})?"
NHS_SAMPLE_ROWS = 50_000  # rows sampled per table before counting NHS-number-like values
_HEADER_LIMIT = 1 << 20  # a header row longer than 1 MiB is not a header
_MAX_CODES_LISTED = 25
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?\s*", re.I)
_UNITS = {
    "B": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "TB": 1000**4,
    "KIB": 1024,
    "MIB": 1024**2,
    "GIB": 1024**3,
    "TIB": 1024**4,
}

ProgressCallback = Callable[[str, int, int], None]


def memory_bytes(limit: str | int) -> int:
    """A DuckDB memory limit as bytes: an int, or text such as "1GB", "512MB" or "2GiB".

    >>> memory_bytes("64MB"), memory_bytes("1GiB")
    (64000000, 1073741824)
    """
    if isinstance(limit, bool):
        raise ValueError(f"memory_limit must be bytes or text such as '1GB'; got {limit!r}")
    if isinstance(limit, int):
        if limit <= 0:
            raise ValueError(f"memory_limit must be more than 0 bytes; got {limit!r}")
        return limit
    match = _SIZE.fullmatch(limit) if isinstance(limit, str) else None
    if not match:
        raise ValueError(f"memory_limit must be bytes or text such as '1GB'; got {limit!r}")
    size = int(float(match.group(1)) * _UNITS[(match.group(2) or "B").upper()])
    if size <= 0:
        raise ValueError(f"memory_limit must be more than 0 bytes; got {limit!r}")
    return size


class Progress:
    """Reports steps to a callback `(step, done, total)` or to a tqdm-like bar (update, total)."""

    def __init__(self, target, total: int):
        self.target, self.total, self.done = target, total, 0
        if target is not None and not callable(target) and hasattr(target, "update"):
            target.total = total
            if hasattr(target, "refresh"):
                target.refresh()

    def step(self, description: str, steps: int = 1) -> None:
        """Report that `steps` more steps are done, the last being `description`."""
        steps = min(steps, self.total - self.done)
        self.done += steps
        if self.target is None:
            return
        if callable(self.target):
            self.target(description, self.done, self.total)
        else:
            if hasattr(self.target, "set_description_str"):
                self.target.set_description_str(description)
            self.target.update(steps)

    def finish(self, description: str) -> None:
        """Report the remaining steps as done (e.g. when there is nothing to write)."""
        if self.done < self.total:
            self.step(description, self.total - self.done)


@dataclass
class EthnicityColumn:
    """How a raw ethnicity column was read: a DuckDB table of its distinct values and counts.

    `relation` has columns raw, code, status, guessed, n (rows with that raw value; raw NULL is
    one row, status missing). `counts` is rows per status (all five statuses, zeros included).
    """

    column: str
    relation: str
    counts: dict[str, int]
    guessed: int


@dataclass
class StagedTable:
    """One extract file read into DuckDB with every column as text.

    Attributes:
        table: its schema.
        path: the source file.
        format: "csv" or "parquet".
        relation: the DuckDB table name; its `rowid` is the order rows were read.
        columns: header name -> staged column name (c0, c1, ... in file order).
        rows: data rows read.
        rejected: data rows the CSV reader refused (malformed), sorted; they are not staged.
        ethnicity: raw ethnicity column name -> how it was read.
        period: the (first, last) event date, when the table has an event date column.
    """

    table: schema.Table
    path: Path
    format: str
    relation: str
    columns: dict[str, str]
    rows: int = 0
    rejected: tuple[int, ...] = ()
    ethnicity: dict[str, EthnicityColumn] = field(default_factory=dict)
    period: tuple[date | None, date | None] = (None, None)

    @property
    def known_columns(self) -> tuple[str, ...]:
        """The schema's columns that are in the file, in schema order."""
        return tuple(name for name in self.table.column_names if name in self.columns)

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """Columns in the file that are not in the schema, in file order."""
        return tuple(name for name in self.columns if name not in self.table.column_names)

    def sql(self, column: str) -> str:
        """The staged (quoted) column name of a header column."""
        return f'"{self.columns[column]}"'

    def file_row(self, rowid: int) -> int:
        """The 1-based data row in the file of a staged row, counting rows the reader refused."""
        kept = rowid + 1
        row = kept
        while True:  # the smallest row with `kept` rows not refused up to it
            shifted = kept + bisect.bisect_right(self.rejected, row)
            if shifted == row:
                return row
            row = shifted


def sql_literal(text: str) -> str:
    """A SQL string literal.

    >>> sql_literal("it's")
    "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_BARE_LF = re.compile(rb"(?<!\r)\n")


def _mixed_line_endings(path: Path) -> bool:
    """Whether the file has both CRLF and bare LF line ends: DuckDB's parser then only says
    its "state machine reached an invalid state". Read in chunks, on that error only."""
    crlf = lf = False
    previous = b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            data = previous + chunk
            crlf = crlf or b"\r\n" in data
            # From the chunk's first byte; the byte kept before it is seen by the lookbehind.
            lf = lf or _BARE_LF.search(data, len(previous)) is not None
            if crlf and lf:
                return True
            previous = data[-1:]
    return False


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


class Validation:
    """Validate one extract directory: a context manager owning a DuckDB connection.

    Use `run()` for the report; while the context is open, `connection` and `staged` hold the
    staged tables so `extract.load` can write them. On exit the connection is closed and its
    working directory (DuckDB's spill files) removed.

    Args:
        source_dir: the directory holding `<table>.csv` or `<table>.parquet` files.
        max_examples: problems kept per (table, rule, column); all are counted.
        progress: None, a callback `(step, done, total)`, or a tqdm-like bar.
        extract_date: no date may be after it (default today); years of birth up to its year.
        memory_limit: DuckDB's memory limit ("1GB" by default); beyond it DuckDB spills to disk.
        threads: DuckDB threads (default: one per core).
        work_dir: where the working directory goes (default: the system temporary directory).
        local_mappings: a trust's explicit local ethnicity codes, as for `ethnicity.normalise`.
        extra_steps: steps the caller will report after `run()` (so a bar's total is right).
    """

    def __init__(
        self,
        source_dir: str | Path,
        *,
        max_examples: int = 20,
        progress: ProgressCallback | object | None = None,
        extract_date: date | None = None,
        memory_limit: str | int = DEFAULT_MEMORY_LIMIT,
        threads: int | None = None,
        work_dir: str | Path | None = None,
        local_mappings: Mapping[str, str] | None = None,
        extra_steps: int = 0,
    ):
        self.source_dir = Path(source_dir)
        if not self.source_dir.is_dir():
            raise NotADirectoryError(f"extract directory {str(self.source_dir)!r} does not exist")
        self.report = Report(max_examples)
        self.extract_date = extract_date or date.today()
        if not isinstance(self.extract_date, date):
            raise TypeError(f"extract_date must be a date; got {extract_date!r}")
        if isinstance(self.extract_date, datetime):
            self.extract_date = self.extract_date.date()
        self.memory = memory_bytes(memory_limit)
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)):
            raise TypeError(f"threads must be a whole number or None; got {threads!r}")
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be 1 or more; got {threads!r}")
        self.threads = threads
        self.work_dir = Path(work_dir) if work_dir is not None else None
        self.local_mappings = ethnicity.check_local_mappings(local_mappings)
        self.progress = Progress(progress, 3 * len(schema.TABLES) + extra_steps)
        self.sources: dict[str, Path | None] = {}
        self.staged: dict[str, StagedTable] = {}
        self.connection: duckdb.DuckDBPyConnection | None = None
        self._work: Path | None = None

    # --- context ------------------------------------------------------------------------------

    def __enter__(self) -> Validation:
        self._work = Path(tempfile.mkdtemp(prefix="pcref-validate-", dir=self.work_dir))
        config = {
            "memory_limit": f"{self.memory}B",
            "temp_directory": str(self._work / "spill"),
            "preserve_insertion_order": True,
        }
        if self.threads:
            config["threads"] = self.threads
        try:
            self.connection = duckdb.connect(":memory:", config=config)
            self.connection.execute("SET enable_progress_bar = false")
        except BaseException:
            shutil.rmtree(self._work, ignore_errors=True)
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self.connection is None:
            raise RuntimeError("Validation is used as a context manager: with Validation(...) as v")
        return self.connection

    # --- the run ------------------------------------------------------------------------------

    def run(self) -> Report:
        """Check every table and return the report (also kept as `self.report`)."""
        self._find_files()
        for index, table in enumerate(schema.TABLES):
            path = self.sources.get(table.name)
            if path is not None:
                staged = self._stage(index, table, path)
                if staged is not None:
                    self.staged[table.name] = staged
            self.progress.step(f"read {table.name}")
        for table in schema.TABLES:
            staged = self.staged.get(table.name)
            if staged is not None:
                self._check_columns(staged)
                self._check_values(staged)
                self._check_ethnicity(staged)
                self._check_duplicates(staged)
            self.progress.step(f"check {table.name}")
        for table in schema.TABLES:
            staged = self.staged.get(table.name)
            if staged is not None:
                self._check_foreign_keys(staged)
            self.progress.step(f"check keys of {table.name}")
        return self.report

    @property
    def period(self) -> tuple[date | None, date | None]:
        """The first and last event dates over every table (schema.EVENT_DATE_COLUMNS)."""
        firsts = [s.period[0] for s in self.staged.values() if s.period[0] is not None]
        lasts = [s.period[1] for s in self.staged.values() if s.period[1] is not None]
        return (min(firsts) if firsts else None, max(lasts) if lasts else None)

    # --- files --------------------------------------------------------------------------------

    def _find_files(self) -> None:
        try:
            entries = list(self.source_dir.iterdir())
        except OSError as error:
            self.report.add(
                Problem(
                    self.source_dir.name,
                    "unreadable",
                    f"the extract folder {self.source_dir.name} cannot be read: "
                    f"{error.strerror or error}",
                )
            )
            return
        files = {path.name: path for path in entries if path.is_file()}
        # a table's name on something that is not a file: a folder, a broken link, a pipe
        others = {path.name for path in entries if path.name not in files}
        used: set[str] = set()
        for table in schema.TABLES:
            found = [
                files[f"{table.name}.{fmt}"] for fmt in FORMATS if f"{table.name}.{fmt}" in files
            ]
            used.update(path.name for path in found)
            if len(found) > 1:
                self.report.add(
                    Problem(
                        table.name,
                        "ambiguous_table",
                        f"{table.name}: both {found[0].name} and {found[1].name} are given; "
                        "send one file per table",
                    )
                )
                self.sources[table.name] = None
            elif found:
                self.sources[table.name] = found[0]
            else:
                self.sources[table.name] = None
                odd = [f"{table.name}.{fmt}" for fmt in FORMATS if f"{table.name}.{fmt}" in others]
                if odd:
                    self.report.add(
                        Problem(
                            table.name,
                            "unreadable",
                            f"{table.name}: {odd[0]} is not a file that can be read (a folder, "
                            "a broken link or a pipe?)",
                        )
                    )
                elif table.required:
                    similar = [
                        name
                        for name in files
                        if name.lower() in {f"{table.name}.{fmt}" for fmt in FORMATS}
                    ]
                    hint = (
                        f" ({', '.join(similar)} is there: file names are lower case)"
                        if similar
                        else ""
                    )
                    self.report.add(
                        Problem(
                            table.name,
                            "missing_table",
                            f"{table.name}: the required file {table.name}.csv or "
                            f"{table.name}.parquet is missing{hint}",
                        )
                    )
        for name in sorted(files):
            if name in used or name.startswith("."):
                continue
            if name.lower().endswith((".csv", ".parquet")):
                self.report.add(
                    Problem(
                        name,
                        "unknown_file",
                        f"{name} is not an extract table, so it is not loaded; tables: "
                        f"{', '.join(t.name for t in schema.TABLES)}",
                    )
                )

    def _stage(self, index: int, table: schema.Table, path: Path) -> StagedTable | None:
        try:
            if path.stat().st_size == 0:
                self.report.add(
                    Problem(
                        table.name, "empty_file", f"{table.name}: {path.name} is empty (0 bytes)"
                    )
                )
                return None
            with path.open("rb"):  # a file without read permission: said here, not as a trace
                pass
        except OSError as error:
            self.report.add(
                Problem(
                    table.name,
                    "unreadable",
                    f"{table.name}: {path.name} cannot be opened: {error.strerror or error}",
                )
            )
            return None
        if path.suffix == ".csv":
            return self._stage_csv(index, table, path)
        return self._stage_parquet(index, table, path)

    def _read_header(self, table: schema.Table, path: Path) -> list[str] | None:
        with path.open("rb") as handle:
            head = handle.read(1 << 16)
            while b"\n" not in head and len(head) < _HEADER_LIMIT:
                more = handle.read(1 << 16)
                if not more:
                    break
                head += more
        boms = {
            b"\xff\xfe\x00\x00": "UTF-32",
            b"\x00\x00\xfe\xff": "UTF-32",
            b"\xff\xfe": "UTF-16",
            b"\xfe\xff": "UTF-16",
        }
        for bom, name in boms.items():
            if head.startswith(bom):
                self._encoding_problem(table, path, f"it is {name} text")
                return None
        if b"\x00" in head:
            self._encoding_problem(table, path, "it contains NUL bytes, as UTF-16 text does")
            return None
        line = head.split(b"\n", 1)[0].rstrip(b"\r")
        if line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            self._encoding_problem(
                table,
                path,
                f"the header row has byte 0x{line[error.start]:02X} at position {error.start + 1}, "
                "which is not UTF-8 (Latin-1 or Windows-1252?)",
            )
            return None
        if not text.strip():
            self.report.add(
                Problem(table.name, "empty_file", f"{table.name}: {path.name} has no header row")
            )
            return None
        return [name.strip() for name in next(csv.reader([text]))]

    def _encoding_problem(self, table: schema.Table, path: Path, why: str) -> None:
        self.report.add(
            Problem(
                table.name,
                "encoding",
                f"{table.name}: {path.name} is not UTF-8: {why}; save it as UTF-8 (CSV UTF-8)",
            )
        )

    def _check_header(self, table: schema.Table, path: Path, header: Sequence[str]) -> bool:
        seen: set[str] = set()
        ok = True
        for position, name in enumerate(header, start=1):
            if name in seen:
                self.report.add(
                    Problem(
                        table.name,
                        "duplicate_column",
                        f"{table.name}: column {name!r} appears more than once in {path.name}",
                        column=name,
                    )
                )
                ok = False
            seen.add(name)
            if not name:
                self.report.add(
                    Problem(
                        table.name,
                        "unnamed_column",
                        f"{table.name}: column {position} of {path.name} has no name "
                        "(a trailing comma in the header row?)",
                    )
                )
                ok = False
        return ok

    def _stage_csv(self, index: int, table: schema.Table, path: Path) -> StagedTable | None:
        header = self._read_header(table, path)
        if header is None or not self._check_header(table, path, header):
            return None
        columns = {name: f"c{position}" for position, name in enumerate(header)}
        raw = {column.name for column in table.columns if column.normalise_ethnicity}
        struct = ", ".join(f"'c{position}': 'VARCHAR'" for position in range(len(header)))
        buffer = min(32 << 20, max(2 << 20, self.memory // 16))
        relation, rejects = f"stage_{index}", f"rejects_{index}"
        select = ", ".join(
            f"c{position}" if name in raw else f"{_trimmed(f'c{position}')} AS c{position}"
            for position, name in enumerate(header)
        )
        try:
            self.con.execute(
                f"CREATE OR REPLACE TABLE {relation} AS SELECT {select} FROM read_csv("
                f"{sql_literal(str(path))}, columns={{{struct}}}, header=true, "
                "auto_detect=false, delim=',', quote='\"', escape='\"', strict_mode=true, "
                f"store_rejects=true, rejects_table='{rejects}', rejects_scan='{rejects}_scan', "
                f"buffer_size={buffer}, max_line_size={buffer // 2})"
            )
        except duckdb.Error as error:
            reason = (
                "it mixes Windows (CRLF) and Unix (LF) line endings; save it with one kind"
                if _mixed_line_endings(path)
                else _first_line(error)
            )
            self.report.add(
                Problem(
                    table.name,
                    "unreadable",
                    f"{table.name}: {path.name} cannot be read as CSV (UTF-8, comma-separated, "
                    f"fields with commas in double quotes): {reason}",
                )
            )
            return None
        staged = StagedTable(table, path, "csv", relation, columns)
        staged.rows = self.con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
        self._report_rejects(staged, rejects, header)
        return staged

    def _report_rejects(self, staged: StagedTable, rejects: str, header: Sequence[str]) -> None:
        """Report the rows the CSV reader refused (bad UTF-8, wrong number of fields, quoting)."""
        names = {f"c{position}": name for position, name in enumerate(header)}
        refused = (
            f"SELECT line - 1 AS row, CASE WHEN error_type = 'INVALID ENCODING' THEN 'encoding' "
            f"ELSE 'malformed_row' END AS rule, CASE WHEN error_type = 'INVALID ENCODING' "
            f"THEN column_name ELSE '' END AS column_name, csv_line, error_message "
            f"FROM {rejects}"
        )
        staged.rejected = tuple(
            row
            for (row,) in self.con.execute(
                f"SELECT DISTINCT line - 1 AS row FROM {rejects} ORDER BY row"
            ).fetchall()
        )
        if not staged.rejected:
            return
        totals = self.con.execute(
            f"SELECT rule, column_name, count(DISTINCT row) FROM ({refused}) GROUP BY ALL"
        ).fetchall()
        examples = self.con.execute(
            f"SELECT rule, column_name, row, any_value(csv_line), any_value(error_message) "
            f"FROM ({refused}) GROUP BY rule, column_name, row QUALIFY row_number() OVER "
            f"(PARTITION BY rule, column_name ORDER BY row) <= {self.report.max_examples} "
            "ORDER BY rule, column_name, row"
        ).fetchall()
        table = staged.table.name
        for rule, column, total in sorted(totals):
            label = names.get(column, column or "")
            group = [
                Problem(
                    table,
                    rule,
                    f"{table} row {row}: "
                    + (
                        f"the value in column {label!r} is not UTF-8 (Latin-1 or "
                        "Windows-1252?); save the file as UTF-8"
                        if rule == "encoding"
                        else f"{message.strip().rstrip('.')}"
                    ),
                    row=row,
                    column=label,
                    value=line.rstrip("\r\n") if line is not None else None,
                )
                for found_rule, found_column, row, line, message in examples
                if (found_rule, found_column) == (rule, column)
            ]
            self.report.add_group(group, total=total)

    def _stage_parquet(self, index: int, table: schema.Table, path: Path) -> StagedTable | None:
        relation = f"stage_{index}"
        source = f"read_parquet({sql_literal(str(path))})"
        try:
            described = self.con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        except duckdb.Error as error:
            self._unreadable_parquet(table, path, error)
            return None
        header = [name for name, *_ in described]
        if not self._check_header(table, path, header):
            return None
        types = {name: kind.upper() for name, kind, *_ in described}
        raw = {column.name for column in table.columns if column.normalise_ethnicity}
        schema_types = {column.name: column.type for column in table.columns}
        select = []
        for position, name in enumerate(header):
            value = _parquet_text(_quote_identifier(name), types[name], schema_types.get(name))
            select.append(
                f"{value} AS c{position}" if name in raw else f"{_trimmed(value)} AS c{position}"
            )
        try:
            self.con.execute(
                f"CREATE OR REPLACE TABLE {relation} AS SELECT {', '.join(select)} FROM {source}"
            )
        except duckdb.Error as error:
            self._unreadable_parquet(table, path, error)
            return None
        columns = {name: f"c{position}" for position, name in enumerate(header)}
        staged = StagedTable(table, path, "parquet", relation, columns)
        staged.rows = self.con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
        return staged

    def _unreadable_parquet(self, table: schema.Table, path: Path, error: BaseException) -> None:
        self.report.add(
            Problem(
                table.name,
                "unreadable",
                f"{table.name}: {path.name} cannot be read as Parquet (corrupt or truncated?): "
                f"{_first_line(error)}",
            )
        )

    # --- columns ------------------------------------------------------------------------------

    def _check_columns(self, staged: StagedTable) -> None:
        table = staged.table
        lower = {name.lower(): name for name in staged.columns}
        for column in table.columns:
            if column.name in staged.columns or not column.required:
                continue
            near = lower.get(column.name.lower())
            hint = f" ({near!r} is there: column names are lower case)" if near else ""
            if len(staged.columns) == 1 and re.search(r"[;\t|]", next(iter(staged.columns))):
                hint = " (the file has one column: is it separated by commas?)"
            self.report.add(
                Problem(
                    table.name,
                    "missing_column",
                    f"{table.name}: required column {column.name!r} is not in "
                    f"{staged.path.name}{hint}",
                    column=column.name,
                )
            )
        if staged.rows == 0 and not staged.rejected and table.name == "population":
            self.report.add(  # an empty table of CTOs may be true; an empty population never is
                Problem(
                    table.name,
                    "no_population",
                    f"{table.name}: {staged.path.name} has a header but no data rows; every "
                    "rate per resident needs the population",
                )
            )
        elif staged.rows == 0 and not staged.rejected:
            self.report.add(
                Problem(
                    table.name,
                    "no_rows",
                    f"{table.name}: {staged.path.name} has a header but no data rows",
                )
            )

    # --- values -------------------------------------------------------------------------------

    def _value_rules(self, staged: StagedTable) -> list[_Rule]:
        """Every row-level rule for the table's known columns, as SQL predicates."""
        rules: list[_Rule] = []
        table = staged.table
        name = table.name
        latest = sql_literal(self.extract_date.isoformat())
        earliest = sql_literal(schema.EARLIEST_DATE.isoformat())
        for column in table.columns:
            if column.name not in staged.columns:
                continue
            c = staged.sql(column.name)
            label = column.name
            if not column.nullable:
                rules.append(
                    _Rule(
                        "blank",
                        label,
                        f"{c} IS NULL",
                        c,
                        lambda row, value, _, label=label: (
                            f"{name} row {row}, {label}: the value is blank; it is required"
                        ),
                    )
                )
            if column.normalise_ethnicity:
                continue
            if column.pattern:
                rules.append(
                    _Rule(
                        "format",
                        label,
                        f"{c} IS NOT NULL AND NOT regexp_full_match({c}, "
                        f"{sql_literal(column.pattern)})",
                        c,
                        lambda row, value, _, label=label, example=column.pattern_example: (
                            f"{name} row {row}, {label}: {value!r} is not an ONS geography "
                            f"code like {example}"
                        ),
                    )
                )
            if column.type == schema.INTEGER:
                rules.append(
                    _Rule(
                        "type",
                        label,
                        f"NOT regexp_full_match({c}, '{_INTEGER}')",
                        c,
                        lambda row, value, _, label=label: (
                            f"{name} row {row}, {label}: {value!r} is not a whole number"
                        ),
                    )
                )
            elif column.type == schema.NUMBER:
                rules.append(
                    _Rule(
                        "type",
                        label,
                        f"(NOT regexp_full_match({c}, '{_NUMBER}') OR "
                        f"NOT coalesce(isfinite(try_cast({c} AS DOUBLE)), false))",
                        c,
                        lambda row, value, _, label=label: (
                            f"{name} row {row}, {label}: {value!r} is not a number"
                        ),
                    )
                )
            elif column.type == schema.DATE:
                rules.append(
                    _Rule(
                        "type",
                        label,
                        f"{c} IS NOT NULL AND ({c} NOT LIKE '____-__-__' OR "
                        f"try_cast({c} AS DATE) IS NULL)",
                        c,
                        lambda row, value, _, label=label: (
                            f"{name} row {row}, {label}: {value!r} is not a date in the form "
                            "YYYY-MM-DD"
                        ),
                    )
                )
                rules.append(
                    _Rule(
                        "date_range",
                        label,
                        f"try_cast({c} AS DATE) NOT BETWEEN DATE {earliest} AND DATE {latest}",
                        c,
                        lambda row, value, _, label=label: (
                            f"{name} row {row}, {label}: {value} is "
                            + (
                                f"before {schema.EARLIEST_DATE.isoformat()}"
                                if value < schema.EARLIEST_DATE.isoformat()
                                else f"after the extract date {self.extract_date.isoformat()}"
                            )
                        ),
                    )
                )
            if column.codes is not None:
                codes = sorted(column.codes, key=_code_order)
                listed = ", ".join(codes[:_MAX_CODES_LISTED]) + (
                    ", …" if len(codes) > _MAX_CODES_LISTED else ""
                )
                rules.append(
                    _Rule(
                        "code",
                        label,
                        f"{c} NOT IN ({', '.join(sql_literal(code) for code in codes)})",
                        c,
                        lambda row, value, _, label=label, listed=listed: (
                            f"{name} row {row}, {label}: {value!r} is not a code of {label}; "
                            f"expected one of {listed}"
                        ),
                    )
                )
            if column.name in schema.YEAR_COLUMNS.get(name, ()):
                first, last = schema.EARLIEST_DATE.year, self.extract_date.year
                rules.append(
                    _Rule(
                        "year_range",
                        label,
                        f"regexp_full_match({c}, '{_INTEGER}') AND "
                        f"try_cast({c} AS BIGINT) NOT BETWEEN {first} AND {last}",
                        c,
                        lambda row, value, _, label=label, first=first, last=last: (
                            f"{name} row {row}, {label}: {value} is not a year from {first} "
                            f"to {last} (the extract date's year)"
                        ),
                    )
                )
            if column.name in schema.NON_NEGATIVE_COLUMNS.get(name, ()):
                rules.append(
                    _Rule(
                        "negative",
                        label,
                        f"try_cast({c} AS DOUBLE) < 0",
                        c,
                        lambda row, value, _, label=label: (
                            f"{name} row {row}, {label}: {value} is negative"
                        ),
                    )
                )
        for start, end in schema.DATE_ORDER.get(name, ()):
            if start not in staged.columns or end not in staged.columns:
                continue
            s, e = staged.sql(start), staged.sql(end)
            rules.append(
                _Rule(
                    "date_order",
                    end,
                    f"try_cast({e} AS DATE) < try_cast({s} AS DATE)",
                    e,
                    lambda row, value, other, start=start, end=end: (
                        f"{name} row {row}, {end}: {value} is before {start} {other}"
                    ),
                    other=s,
                )
            )
        return rules

    def _nhs_candidates(self, staged: StagedTable) -> list[str]:
        """Columns to test for NHS numbers: all but dates, code lists and raw ethnicity."""
        candidates = []
        for name in staged.columns:
            if name in staged.table.column_names:
                column = staged.table.column(name)
                if column.type == schema.DATE or column.codes is not None:
                    continue
                if column.normalise_ethnicity:
                    continue
            candidates.append(name)
        return candidates

    def _check_values(self, staged: StagedTable) -> None:
        table = staged.table
        rules = self._value_rules(staged)
        candidates = self._nhs_candidates(staged)
        event = schema.EVENT_DATE_COLUMNS.get(table.name)
        if event not in staged.columns:
            event = None
        aggregates = [f"count_if(coalesce({rule.predicate}, false))" for rule in rules]
        if event:
            c = staged.sql(event)
            aggregates += [f"min(try_cast({c} AS DATE))", f"max(try_cast({c} AS DATE))"]
        rest: tuple = ()
        if aggregates:
            result = self.con.execute(
                f"SELECT {', '.join(aggregates)} FROM {staged.relation}"
            ).fetchone()
            counts, rest = result[: len(rules)], result[len(rules) :]
            for rule, total in zip(rules, counts, strict=True):
                if total:
                    self._examples(staged, rule, total)
        identifying = {name for name in staged.columns if schema.looks_identifying(name)}
        nhs_like = self._nhs_numbers(staged, candidates)
        if event:
            staged.period = (rest[-2], rest[-1])
        for name in staged.columns:
            if name in identifying:
                self.report.add(
                    Problem(
                        table.name,
                        "identifying_column",
                        f"{table.name}: column {name!r} looks like it identifies people "
                        "(names, addresses, postcodes, dates of birth and NHS numbers must not "
                        "be sent); remove it and send pseudonymised data only",
                        column=name,
                    )
                )
            elif name in nhs_like:
                valid, nonblank = nhs_like[name]
                self.report.add(
                    Problem(
                        table.name,
                        "nhs_number",
                        f"{table.name}: column {name!r} holds NHS numbers ({valid:,} of "
                        f"{nonblank:,} values are 10 digits with a valid check digit); send "
                        "pseudonymised identifiers only (values not shown)",
                        column=name,
                    )
                )
            elif name not in table.column_names:
                self.report.add(
                    Problem(
                        table.name,
                        "unknown_column",
                        f"{table.name}: column {name!r} is not in the specification, so it is "
                        "not loaded",
                        column=name,
                    )
                )

    def _nhs_numbers(self, staged: StagedTable, candidates: list[str]) -> dict[str, tuple]:
        """Columns most of whose non-blank values are valid NHS numbers: name -> (valid, all).

        Counting every value of every column would cost as much as the other checks together,
        so a sample of about NHS_SAMPLE_ROWS rows, spread evenly through the file (every k-th
        row), picks the columns worth counting: those where more than a quarter of the sample
        passes. Those are then counted exactly, and refused if more than half of all their
        non-blank values pass.
        """
        if not candidates or not staged.rows:
            return {}
        every = max(1, staged.rows // NHS_SAMPLE_ROWS)
        where = f"WHERE rowid % {every} = 0" if every > 1 else ""

        def count(names: list[str], where: str) -> list[tuple[int, int]]:
            aggregates = []
            for name in names:
                c = staged.sql(name)
                aggregates += [f"count({c})", f"count_if({sql_is_nhs_number(c)})"]
            row = self.con.execute(
                f"SELECT {', '.join(aggregates)} FROM {staged.relation} {where}"
            ).fetchone()
            return [(row[2 * i + 1], row[2 * i]) for i in range(len(names))]

        sampled = count(candidates, where)
        likely = [
            name
            for name, (valid, nonblank) in zip(candidates, sampled, strict=True)
            if nonblank and 4 * valid > nonblank
        ]
        if not likely:
            return {}
        by_name = dict(zip(candidates, sampled, strict=True))
        exact = count(likely, "") if every > 1 else [by_name[name] for name in likely]
        return {
            name: (valid, nonblank)
            for name, (valid, nonblank) in zip(likely, exact, strict=True)
            if 2 * valid > nonblank
        }

    def _examples(self, staged: StagedTable, rule: _Rule, total: int) -> None:
        other = f", {rule.other}" if rule.other else ", NULL"
        rows = self.con.execute(
            f"SELECT rowid, {rule.value}{other} FROM {staged.relation} "
            f"WHERE coalesce({rule.predicate}, false) ORDER BY rowid LIMIT {self.report.max_examples}"
        ).fetchall()
        problems = []
        for rowid, value, other_value in rows:
            row = staged.file_row(rowid)
            problems.append(
                Problem(
                    staged.table.name,
                    rule.rule,
                    rule.message(row, value, other_value),
                    row=row,
                    column=rule.column,
                    value=value,
                )
            )
        self.report.add_group(problems, total=total)

    # --- ethnicity ----------------------------------------------------------------------------

    def _check_ethnicity(self, staged: StagedTable) -> None:
        for column in staged.table.columns:
            if not column.normalise_ethnicity or column.name not in staged.columns:
                continue
            c = staged.sql(column.name)
            distinct = self.con.execute(
                f"SELECT {c}, count(*) FROM {staged.relation} GROUP BY ALL"
            ).fetchall()
            raws, codes, statuses, guessed_flags, ns = [], [], [], [], []
            counts = dict.fromkeys(ethnicity.STATUSES, 0)
            guessed = 0
            invalid: dict[str, str] = {}
            for raw, n in distinct:
                result = ethnicity.normalise(raw, self.local_mappings)
                raws.append(raw)
                codes.append(result.code)
                statuses.append(result.status)
                guessed_flags.append(result.guessed)
                ns.append(n)
                counts[result.status] += n
                guessed += n if result.guessed else 0
                if result.status == ethnicity.STATUS_INVALID:
                    invalid[raw] = result.note
            relation = f"{staged.relation}_ethnicity_{staged.columns[column.name]}"
            self.con.execute(
                f"CREATE OR REPLACE TABLE {relation} AS SELECT unnest($1::VARCHAR[]) AS raw, "
                "unnest($2::VARCHAR[]) AS code, unnest($3::VARCHAR[]) AS status, "
                "unnest($4::BOOLEAN[]) AS guessed, unnest($5::BIGINT[]) AS n",
                [raws, codes, statuses, guessed_flags, ns],
            )
            staged.ethnicity[column.name] = EthnicityColumn(column.name, relation, counts, guessed)
            if invalid:
                rows = self.con.execute(
                    f"SELECT rowid, {c} FROM {staged.relation} WHERE {c} IN "
                    f"(SELECT raw FROM {relation} WHERE status = 'invalid') "
                    f"ORDER BY rowid LIMIT {self.report.max_examples}"
                ).fetchall()
                problems = [
                    Problem(
                        staged.table.name,
                        "ethnicity_invalid",
                        f"{staged.table.name} row {staged.file_row(rowid)}, {column.name}: "
                        f"{invalid[value]}; it is kept as given and counted as invalid (DQ3)",
                        row=staged.file_row(rowid),
                        column=column.name,
                        value=value,
                    )
                    for rowid, value in rows
                ]
                self.report.add_group(problems, total=counts[ethnicity.STATUS_INVALID])

    # --- keys ---------------------------------------------------------------------------------

    def _check_duplicates(self, staged: StagedTable) -> None:
        key = staged.table.primary_key
        if not key or any(column not in staged.columns for column in key):
            return
        columns = ", ".join(staged.sql(column) for column in key)
        not_blank = " AND ".join(f"{staged.sql(column)} IS NOT NULL" for column in key)
        groups = (
            f"SELECT {columns}, min(rowid) AS first_rowid FROM {staged.relation} "
            f"WHERE {not_blank} GROUP BY ALL HAVING count(*) > 1"
        )
        if len(key) == 1:  # rows beyond the first of each key: cheaper as a distinct count
            total = self.con.execute(
                f"SELECT count({columns}) - count(DISTINCT {columns}) FROM {staged.relation}"
            ).fetchone()[0]
        else:
            total = self.con.execute(
                f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n "
                f"FROM {staged.relation} WHERE {not_blank} GROUP BY {columns} "
                "HAVING count(*) > 1)"
            ).fetchone()[0]
        if not total:
            return
        join = " AND ".join(f"t.{staged.sql(column)} = d.{staged.sql(column)}" for column in key)
        rows = self.con.execute(
            f"SELECT t.rowid, d.first_rowid, {', '.join(f't.{staged.sql(c)}' for c in key)} "
            f"FROM {staged.relation} AS t JOIN ({groups}) AS d ON {join} "
            f"WHERE t.rowid <> d.first_rowid ORDER BY t.rowid LIMIT {self.report.max_examples}"
        ).fetchall()
        name = staged.table.name
        label = ", ".join(key)
        problems = []
        for rowid, first_rowid, *values in rows:
            value = values[0] if len(values) == 1 else " / ".join(values)
            row = staged.file_row(rowid)
            problems.append(
                Problem(
                    name,
                    "duplicate_key",
                    f"{name} row {row}, {label}: {value!r} is already on row "
                    f"{staged.file_row(first_rowid)}; the key must be unique",
                    row=row,
                    column=label,
                    value=value,
                )
            )
        self.report.add_group(problems, total=int(total))

    def _check_foreign_keys(self, staged: StagedTable) -> None:
        name = staged.table.name
        for key in staged.table.foreign_keys:
            target = self.staged.get(key.table)
            if key.column not in staged.columns or target is None:
                continue
            if key.target_column not in target.columns or target.rejected:
                continue  # with rows refused, their keys would look missing: fix those first
            c, t = staged.sql(key.column), target.sql(key.target_column)
            orphans = (
                f"FROM {staged.relation} AS child ANTI JOIN {target.relation} AS parent "
                f"ON child.{c} = parent.{t} WHERE child.{c} IS NOT NULL"
            )
            total = self.con.execute(f"SELECT count(*) {orphans}").fetchone()[0]
            if not total:
                continue
            rows = self.con.execute(
                f"SELECT child.rowid, child.{c} {orphans} ORDER BY child.rowid "
                f"LIMIT {self.report.max_examples}"
            ).fetchall()
            problems = [
                Problem(
                    name,
                    "foreign_key",
                    f"{name} row {staged.file_row(rowid)}, {key.column}: {value!r} is not a "
                    f"{key.target_column} in {key.table}",
                    row=staged.file_row(rowid),
                    column=key.column,
                    value=value,
                )
                for rowid, value in rows
            ]
            self.report.add_group(problems, total=total)


@dataclass(frozen=True)
class _Rule:
    """A row-level rule: SQL that is true for a bad row, the value to show, and the message."""

    rule: str
    column: str
    predicate: str
    value: str
    message: Callable[[int, str, str | None], str]
    other: str = ""


def _trimmed(value: str) -> str:
    """SQL: the value without surrounding spaces, blank as NULL (trim only runs where needed)."""
    return (
        f"CASE WHEN prefix({value}, ' ') OR suffix({value}, ' ') THEN nullif(trim({value}), '') "
        f"WHEN {value} = '' THEN NULL ELSE {value} END"
    )


def _code_order(code: str) -> tuple[int, str]:
    return (0, f"{int(code):08d}") if code.isdigit() else (1, code)


def _parquet_text(column: str, kind: str, schema_type: str | None) -> str:
    """SQL reading a Parquet column as text the checks understand (dates as YYYY-MM-DD)."""
    if kind.startswith("TIMESTAMP") and schema_type == schema.DATE:
        return f"CAST(CAST({column} AS DATE) AS VARCHAR)"
    if kind in ("FLOAT", "DOUBLE"):
        if schema_type == schema.INTEGER:
            return (
                f"CASE WHEN isnan({column}) THEN NULL WHEN {column} = trunc({column}) AND "
                f"abs({column}) < 1e18 THEN CAST(CAST({column} AS BIGINT) AS VARCHAR) "
                f"ELSE CAST({column} AS VARCHAR) END"
            )
        return f"CASE WHEN isnan({column}) THEN NULL ELSE CAST({column} AS VARCHAR) END"
    return f"CAST({column} AS VARCHAR)"


def validate(
    source_dir: str | Path,
    *,
    max_examples: int = 20,
    progress: ProgressCallback | object | None = None,
    extract_date: date | None = None,
    memory_limit: str | int = DEFAULT_MEMORY_LIMIT,
    threads: int | None = None,
    work_dir: str | Path | None = None,
    local_mappings: Mapping[str, str] | None = None,
) -> Report:
    """Check an extract without loading it: the same checks as `extract.load.ingest`.

    Args:
        source_dir: the directory holding the extract's files.
        max_examples, progress, extract_date, memory_limit, threads, work_dir, local_mappings:
            as for `Validation`.

    Returns:
        The `Report`; `report.ok` is True when nothing stops the extract loading.
    """
    with Validation(
        source_dir,
        max_examples=max_examples,
        progress=progress,
        extract_date=extract_date,
        memory_limit=memory_limit,
        threads=threads,
        work_dir=work_dir,
        local_mappings=local_mappings,
    ) as validation:
        return validation.run()
