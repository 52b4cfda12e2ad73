"""The validation report: every problem named by table, row, column, value and rule.

A `Report` keeps the first `max_examples` problems of each (table, rule, column) group and the
total count of every group, so a file with a million bad dates gives a short report that still
says how many there are. Rows are 1-based data row numbers as in the file, the header excluded.
Values that might identify a person (a column of NHS numbers) are never copied into a report.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

ERROR, WARNING = "error", "warning"

# Every rule a problem can break, with its severity and what it means. The keys are the `rule`
# values in reports; docs/data-specification.md lists them (a test keeps the two in step).
RULES: dict[str, tuple[str, str]] = {
    "missing_table": (ERROR, "a required table has no file"),
    "ambiguous_table": (ERROR, "a table has both a CSV and a Parquet file"),
    "unknown_file": (WARNING, "a file that is not an extract table; it is not loaded"),
    "empty_file": (ERROR, "the file is empty (0 bytes, or no header row)"),
    "encoding": (ERROR, "the file is not UTF-8 text"),
    "unreadable": (
        ERROR,
        "the file or the extract folder cannot be read (corrupt or truncated Parquet, no read "
        "permission, not a regular file)",
    ),
    "malformed_row": (ERROR, "a row has the wrong number of fields, or bad quoting"),
    "duplicate_column": (ERROR, "the same column name appears twice"),
    "unnamed_column": (ERROR, "a column has no name in the header row"),
    "missing_column": (ERROR, "a required column is not in the file"),
    "unknown_column": (WARNING, "a column that is not in the specification; it is not loaded"),
    "identifying_column": (ERROR, "a column name says it holds names, addresses or NHS numbers"),
    "nhs_number": (ERROR, "most values in a column are valid NHS numbers"),
    "no_rows": (WARNING, "the table has a header but no data rows"),
    "no_population": (ERROR, "the population table has no rows: every rate per resident needs it"),
    "blank": (ERROR, "a required value is blank"),
    "type": (ERROR, "a value is not an integer, a number or a date (YYYY-MM-DD)"),
    "code": (ERROR, "a value is not in the column's code list"),
    "format": (ERROR, "a value is not in the column's format (an ONS geography code)"),
    "date_range": (ERROR, "a date is before 1900 or after the extract date"),
    "year_range": (ERROR, "a year is before 1900 or after the extract date's year"),
    "negative": (ERROR, "a count is negative"),
    "date_order": (ERROR, "an end date is before its start date"),
    "foreign_key": (ERROR, "a value refers to a row that is not in the table it points to"),
    "duplicate_key": (ERROR, "a primary key value appears in more than one row"),
    "ethnicity_invalid": (WARNING, "an ethnicity value is not an NHS ethnic category code"),
}

REPORT_COLUMNS = ("severity", "table", "row", "column", "value", "rule", "message", "count")
MAX_VALUE_LENGTH = 200  # longer values are cut in reports


@dataclass(frozen=True)
class Problem:
    """One problem found in an extract.

    Attributes:
        table: the table (or, for `unknown_file`, the file name).
        rule: a key of `RULES`.
        message: a sentence naming the table, row, column and value.
        row: 1-based data row number as in the file (header excluded); None for a problem with
            a whole file or column.
        column: the column, or "" for a problem with a whole file; columns joined by ", " for a
            key of several columns.
        value: the value as given, cut to MAX_VALUE_LENGTH characters; None when there is no
            single value or it is withheld (NHS numbers are never copied).
    """

    table: str
    rule: str
    message: str
    row: int | None = None
    column: str = ""
    value: str | None = None

    def __post_init__(self):
        if self.rule not in RULES:
            raise ValueError(f"unknown rule {self.rule!r}; rules: {', '.join(RULES)}")
        if self.value is not None and len(self.value) > MAX_VALUE_LENGTH:
            object.__setattr__(self, "value", self.value[: MAX_VALUE_LENGTH - 1] + "…")

    @property
    def severity(self) -> str:
        return RULES[self.rule][0]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.table, self.rule, self.column)


class Report:
    """Problems found in an extract: up to `max_examples` per (table, rule, column), all counted.

    Attributes:
        max_examples: how many problems are kept per (table, rule, column).
        problems: the problems kept, in the order found.
        counts: (table, rule, column) -> the total number of problems of that group, kept or not.
    """

    def __init__(self, max_examples: int = 20):
        if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
            raise ValueError(
                f"max_examples must be a whole number, 1 or more; got {max_examples!r}"
            )
        self.max_examples = max_examples
        self.problems: list[Problem] = []
        self.counts: dict[tuple[str, str, str], int] = {}

    def add(self, problem: Problem) -> None:
        """Count one problem, keeping it if its group has fewer than `max_examples`."""
        self.add_group([problem], total=None)

    def add_group(self, examples: Iterable[Problem], total: int | None) -> None:
        """Record problems of one (table, rule, column) group.

        Args:
            examples: problems of the group, in row order; more than `max_examples` may be given.
            total: the number of problems in the group, when more exist than `examples` (a
                database count); None counts the examples.
        """
        examples = list(examples)
        if not examples:
            return
        keys = {problem.key for problem in examples}
        if len(keys) != 1:
            raise ValueError(f"add_group needs one (table, rule, column) group; got {keys}")
        (key,) = keys
        already = self.counts.get(key, 0)
        room = max(self.max_examples - already, 0)
        self.problems.extend(examples[:room])
        self.counts[key] = already + (len(examples) if total is None else total)

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings allowed)."""
        return self.error_count == 0

    @property
    def error_count(self) -> int:
        return sum(n for (_, rule, _), n in self.counts.items() if RULES[rule][0] == ERROR)

    @property
    def warning_count(self) -> int:
        return sum(n for (_, rule, _), n in self.counts.items() if RULES[rule][0] == WARNING)

    def count(self, table: str | None = None, rule: str | None = None) -> int:
        """The number of problems, optionally of one table and/or rule."""
        return sum(
            n
            for (t, r, _), n in self.counts.items()
            if (table is None or t == table) and (rule is None or r == rule)
        )

    def rows(self) -> list[dict[str, object]]:
        """The kept problems as dicts with REPORT_COLUMNS, errors first, then by table and row."""
        ordered = sorted(
            self.problems,
            key=lambda p: (p.severity != ERROR, p.table, p.rule, p.column, p.row or 0),
        )
        return [
            {
                "severity": problem.severity,
                "table": problem.table,
                "row": problem.row,
                "column": problem.column,
                "value": problem.value,
                "rule": problem.rule,
                "message": problem.message,
                "count": self.counts[problem.key],
            }
            for problem in ordered
        ]

    def as_dict(self) -> dict[str, object]:
        """The report as JSON-ready data: ok, totals, counts per group and the kept problems."""
        return {
            "ok": self.ok,
            "errors": self.error_count,
            "warnings": self.warning_count,
            "max_examples": self.max_examples,
            "counts": [
                {
                    "table": table,
                    "rule": rule,
                    "column": column,
                    "severity": RULES[rule][0],
                    "count": count,
                }
                for (table, rule, column), count in sorted(self.counts.items())
            ],
            "problems": [
                {**asdict(problem), "severity": problem.severity} for problem in self.problems
            ],
        }

    def to_csv(self, path: str | Path) -> Path:
        """Write the kept problems as CSV (UTF-8, header row); `count` is the group's total.
        Values from the extract that a spreadsheet would run as a formula get a ' in front."""
        from pcref.analytics.text.safe_export import spreadsheet_safe

        path = Path(path)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=REPORT_COLUMNS)
            writer.writeheader()
            for row in self.rows():
                writer.writerow(
                    {k: "" if v is None else spreadsheet_safe(v) for k, v in row.items()}
                )
        return path

    def to_json(self, path: str | Path) -> Path:
        """Write `as_dict()` as JSON (UTF-8, indented)."""
        path = Path(path)
        path.write_text(json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n", "utf-8")
        return path

    def summary(self, *, groups: int = 30) -> str:
        """A human summary: totals, then one line per (table, rule, column) group.

        Args:
            groups: the most groups to list; the rest are counted in a final line.
        """
        errors, warnings = self.error_count, self.warning_count
        lines = [
            f"{_plural(errors, 'error')} and {_plural(warnings, 'warning')}."
            if errors or warnings
            else "No problems found."
        ]
        first = {}
        for problem in self.problems:
            first.setdefault(problem.key, problem)
        ordered = sorted(self.counts, key=lambda key: (RULES[key[1]][0] != ERROR, key))
        for key in ordered[:groups]:
            table, rule, column = key
            example = first[key]
            where = f"{table}" + (f".{column}" if column else "")
            lines.append(
                f"  {RULES[rule][0]}: {where}: {rule}, {_plural(self.counts[key], 'problem')}; "
                f"first: {example.message}"
            )
        if len(ordered) > groups:
            lines.append(f"  … and {len(ordered) - groups} more groups (see report.csv)")
        return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"
