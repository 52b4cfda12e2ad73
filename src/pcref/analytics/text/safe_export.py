"""Spreadsheet exports of feedback (CSV and XLSX) in which no cell can run as a formula.

A person's words go into exports exactly as written, except for one change: text that a
spreadsheet would read as a formula gets a single quote in front (OWASP, "CSV Injection"). That
is text starting with =, +, -, @, a tab or a carriage return, also after leading spaces or new
lines, and the full-width forms ＝ ＋ － ＠. `spreadsheet_safe` is that rule; `write_csv` and
`write_xlsx` apply it to every header and cell. Emoji, right-to-left text, new lines and very
long text are kept.

Cells that are not text: None is an empty cell; True/False, whole numbers, decimals and finite
floats stay numbers (a number cannot be a formula; -2 stays a number, the text "-2" becomes
"'-2"); NaN is an empty cell; dates and times are written as ISO 8601 text; anything else is
written as its text, made safe.

XLSX is XML, which cannot hold some characters: there a carriage return or a CR LF pair is
written as a line feed, a vertical tab or form feed (Word's line and page breaks) as a line
feed, and other control characters and unpaired surrogates as U+FFFD (the replacement
character). CSV keeps every character. A cell of more than 32,767 characters (Excel's limit)
is refused rather than cut.

Rows are sequences in header order, or mappings keyed by the header names; a mapping must have
exactly the header's keys (joined by name, never by position).
"""

from __future__ import annotations

import csv
import datetime
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook

__all__ = ["safe_sheet_name", "spreadsheet_safe", "write_csv", "write_xlsx"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
EXCEL_MAX_CELL_CHARACTERS = 32_767
_LEADING_SPACE = re.compile(r"[^\S\t\r]*")  # whitespace other than tab and carriage return


def spreadsheet_safe(value: Any) -> Any:
    """Text with a single quote in front if a spreadsheet could read it as a formula.

    Args:
        value: a cell value. Only str is changed; anything else is returned as it is.

    Returns:
        "'" + value when value, after any leading spaces or new lines, starts with =, +, -, @,
        a tab, a carriage return, or a full-width ＝ ＋ － ＠; otherwise value unchanged.

    >>> [spreadsheet_safe(v) for v in ("=1+1", "  @SUM(A1)", "\\t=1", "-2", "fine", -2)]
    ["'=1+1", "'  @SUM(A1)", "'\\t=1", "'-2", 'fine', -2]
    """
    if not isinstance(value, str):
        return value
    if value[_LEADING_SPACE.match(value).end() :].startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(rows: Iterable[Sequence | Mapping], header: Sequence[str], file: IO[str]) -> int:
    """Write a header and rows as CSV, every cell made spreadsheet-safe.

    Args:
        rows: sequences in header order, or mappings with exactly the header's keys.
        header: column names; unique str.
        file: a text file opened with newline="" (the csv module's rule, so new lines inside a
            cell survive); open it with encoding="utf-8-sig" for Excel to read UTF-8.

    Returns:
        The number of data rows written.

    Raises:
        TypeError, ValueError: for a bad header or a row that does not fit it, naming the row.

    >>> import io
    >>> out = io.StringIO()
    >>> write_csv([["=HYPERLINK(\\"http://x\\",\\"y\\")", 3]], ["comment", "count"], out)
    1
    >>> out.getvalue()
    'comment,count\\r\\n"\\'=HYPERLINK(""http://x"",""y"")",3\\r\\n'
    """
    names = _checked_header(header)
    writer = csv.writer(file)
    writer.writerow([spreadsheet_safe(name) for name in names])
    count = 0
    for count, row in enumerate(rows, start=1):
        writer.writerow([_cell(value) for value in _values(row, names, count)])
    return count


def write_xlsx(
    rows: Iterable[Sequence | Mapping],
    header: Sequence[str],
    path_or_file: Any,
    *,
    sheet_name: str = "Feedback",
) -> int:
    """Write a header and rows as an XLSX workbook of one sheet, every cell made safe.

    Text is written as text cells (never a formula); see the module notes for numbers, dates
    and the characters XML cannot hold.

    Args:
        rows: sequences in header order, or mappings with exactly the header's keys.
        header: column names; unique str.
        path_or_file: a path, or a binary file opened for writing.
        sheet_name: the sheet's name, made valid for Excel by `safe_sheet_name`; default
            "Feedback".

    Returns:
        The number of data rows written.

    Raises:
        TypeError, ValueError: for a bad header, a row that does not fit it, or a cell longer
            than 32,767 characters, naming the row and column.
    """
    names = _checked_header(header)
    title = safe_sheet_name(sheet_name)
    # Every row is checked before anything is written, so a refused row leaves no half-written
    # workbook (openpyxl's streaming writer cannot stop cleanly part-way).
    prepared = [[_xlsx_text(spreadsheet_safe(name), 0, name) for name in names]]
    for number, row in enumerate(rows, start=1):
        values = [_cell(value) for value in _values(row, names, number)]
        prepared.append(
            [
                _xlsx_text(value, number, name) if isinstance(value, str) else value
                for value, name in zip(values, names, strict=True)
            ]
        )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    for values in prepared:
        sheet.append(values)
    workbook.save(path_or_file)
    return len(prepared) - 1


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")


def safe_sheet_name(name: str) -> str:
    """A sheet name Excel accepts: no [ ] : * ? / \\ or control characters, no quote at either
    end, not empty, not "History", at most 31 UTF-16 code units.

    >>> safe_sheet_name("Feedback: 2025/26 [draft]")
    'Feedback- 2025-26 -draft-'
    """
    if not isinstance(name, str):
        raise TypeError(f"sheet_name must be a str; got {name!r} (a {type(name).__name__})")
    cleaned = _SHEET_FORBIDDEN.sub("-", name).strip().strip("'").strip()
    while len(cleaned.encode("utf-16-le")) > 62:
        cleaned = cleaned[:-1]
    cleaned = cleaned.rstrip().rstrip("'")
    if not cleaned:
        return "Sheet1"
    if cleaned.casefold() == "history":
        return cleaned + " 1"
    return cleaned


def _checked_header(header: Sequence[str]) -> list[str]:
    if isinstance(header, (str, bytes)) or not isinstance(header, Sequence):
        raise TypeError(f"header must be a sequence of column names; got {header!r}")
    names = list(header)
    for position, name in enumerate(names, start=1):
        if not isinstance(name, str):
            raise TypeError(f"header column {position} must be a str; got {name!r}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"header names must be unique; repeated: {repeated!r}")
    return names


def _values(row: Sequence | Mapping, names: list[str], number: int) -> list[Any]:
    if isinstance(row, Mapping):
        missing = [name for name in names if name not in row]
        extra = [key for key in row if key not in names]
        if missing or extra:
            raise ValueError(
                f"row {number} must have exactly the header's keys; "
                f"missing {missing!r}, not in header {extra!r}"
            )
        return [row[name] for name in names]
    if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
        raise TypeError(f"row {number} must be a sequence or a mapping; got {row!r}")
    if len(row) != len(names):
        raise ValueError(f"row {number} has {len(row)} values; the header has {len(names)}")
    return list(row)


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, Decimal)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return value if math.isfinite(value) else spreadsheet_safe(str(value))
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return spreadsheet_safe(value if isinstance(value, str) else str(value))


_XML_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c]")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xlsx_text(value: str, row: int, column: str) -> str:
    if len(value) > EXCEL_MAX_CELL_CHARACTERS:
        where = "the header" if row == 0 else f"row {row}"
        raise ValueError(
            f"{where}, column {column!r} has {len(value)} characters; Excel holds at most "
            f"{EXCEL_MAX_CELL_CHARACTERS} in a cell (export as CSV instead)"
        )
    return _XML_ILLEGAL.sub("\ufffd", _XML_LINE_BREAKS.sub("\n", value))
