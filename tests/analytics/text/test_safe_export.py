"""CSV and XLSX exports in which no cell can run as a formula, with people's words kept."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from pcref.analytics.text.safe_export import (
    safe_sheet_name,
    spreadsheet_safe,
    write_csv,
    write_xlsx,
)

URDU = "وارڈ کی نرس نے میری بات غور سے سنی۔"
LONG = ("The staff listened. " * 500)[:10_000]
DANGEROUS = [
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "  =1",
    "\n=cmd|' /C calc'!A0",
    "＝1+1",
]
HARMLESS = [
    "Thank you 😀👍🏽",
    URDU,
    "ਧੰਨਵਾਦ",
    LONG,
    "line one\nline two\n\nline four",
    "a, b; \"quoted\" and 'single'",
    "email me: a@b.com",  # an @ later on is fine
    "2 + 2 = 4",
    "",
]


# --- spreadsheet_safe ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_starts_get_a_quote_in_front(value):
    assert spreadsheet_safe(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_other_text_is_unchanged(value):
    assert spreadsheet_safe(value) == value


@pytest.mark.parametrize("value", [None, 3, -2, 2.5, True, Decimal("-1.5")])
def test_values_that_are_not_text_are_unchanged(value):
    assert spreadsheet_safe(value) is value


def test_a_quoted_value_is_not_quoted_again_unless_it_starts_with_a_trigger():
    once = spreadsheet_safe("=1")
    assert spreadsheet_safe(once) == once


# --- CSV ----------------------------------------------------------------------------------------


def read_csv(text):
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_read_back_equals_the_safe_values():
    values = DANGEROUS + HARMLESS
    out = io.StringIO(newline="")
    count = write_csv([[value] for value in values], ["comment"], out)
    assert count == len(values)
    assert read_csv(out.getvalue()) == [["comment"]] + [[spreadsheet_safe(v)] for v in values]


def test_csv_keeps_every_character_of_harmless_text(tmp_path):
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        write_csv([[text] for text in HARMLESS + ["a\r\nb", "\x0bvt"]], ["comment"], file)
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert [row[0] for row in rows[1:]] == HARMLESS + ["a\r\nb", "\x0bvt"]


def test_csv_header_is_made_safe_too():
    out = io.StringIO(newline="")
    write_csv([], ["=cmd", "ok"], out)
    assert read_csv(out.getvalue()) == [["'=cmd", "ok"]]


def test_csv_rows_as_mappings_are_joined_by_name():
    out = io.StringIO(newline="")
    write_csv([{"count": 3, "comment": "-bad"}], ["comment", "count"], out)
    assert read_csv(out.getvalue()) == [["comment", "count"], ["'-bad", "3"]]


def test_csv_cells_that_are_not_text():
    out = io.StringIO(newline="")
    row = [None, -2, 2.5, float("nan"), True, datetime.date(2025, 4, 3), Decimal("1.10")]
    write_csv([row], list("abcdefg"), out)
    assert read_csv(out.getvalue())[1] == ["", "-2", "2.5", "", "True", "2025-04-03", "1.10"]


@pytest.mark.parametrize(
    ("rows", "error", "message"),
    [
        ([["only one"]], ValueError, "row 1 has 1 values; the header has 2"),
        ([["a", "b"], {"x": 1}], ValueError, r"row 2 must have exactly the header's keys"),
        ([{"a": 1, "b": 2, "c": 3}], ValueError, r"not in header \['c'\]"),
        (["ab"], TypeError, "row 1 must be a sequence or a mapping; got 'ab'"),
    ],
)
def test_csv_refuses_rows_that_do_not_fit_the_header(rows, error, message):
    with pytest.raises(error, match=message):
        write_csv(rows, ["a", "b"], io.StringIO())


@pytest.mark.parametrize(
    ("header", "error", "message"),
    [
        ("ab", TypeError, "header must be a sequence of column names"),
        (["a", 2], TypeError, "header column 2 must be a str; got 2"),
        (["a", "a"], ValueError, r"header names must be unique; repeated: \['a'\]"),
    ],
)
def test_csv_refuses_a_bad_header(header, error, message):
    with pytest.raises(error, match=message):
        write_csv([], header, io.StringIO())


# --- XLSX ---------------------------------------------------------------------------------------


def read_xlsx(file):
    workbook = openpyxl.load_workbook(file)
    sheet = workbook.active
    return sheet, [[cell for cell in row] for row in sheet.iter_rows()]


def test_xlsx_has_no_formula_cells_and_reads_back_as_safe_text():
    values = DANGEROUS + HARMLESS
    out = io.BytesIO()
    assert write_xlsx([[value, len(value)] for value in values], ["comment", "length"], out) == len(
        values
    )
    out.seek(0)
    sheet, rows = read_xlsx(out)
    assert all(cell.data_type != "f" for row in rows for cell in row)
    expected = [spreadsheet_safe(v).replace("\r", "\n") for v in values]
    assert [row[0].value or "" for row in rows[1:]] == expected
    assert [row[1].value for row in rows[1:]] == [len(v) for v in values]
    assert {row[0].data_type for row in rows[1:] if row[0].value} == {"s"}
    assert sheet.title == "Feedback"


def test_xlsx_keeps_emoji_right_to_left_text_new_lines_and_long_text(tmp_path):
    path = tmp_path / "export.xlsx"
    write_xlsx([[text] for text in HARMLESS if text], ["comment"], path)
    _, rows = read_xlsx(path)
    assert [row[0].value for row in rows[1:]] == [text for text in HARMLESS if text]


def test_xlsx_writes_characters_xml_cannot_hold_as_near_as_it_can():
    out = io.BytesIO()
    write_xlsx([["a\r\nb", "page\x0cbreak", "nul\x00here", "bell\x07"]], list("abcd"), out)
    out.seek(0)
    _, rows = read_xlsx(out)
    assert [cell.value for cell in rows[1]] == [
        "a\nb",
        "page\nbreak",
        "nul\ufffdhere",
        "bell\ufffd",
    ]


def test_xlsx_cells_that_are_not_text():
    out = io.BytesIO()
    write_xlsx([[None, -2, 2.5, True, datetime.date(2025, 4, 3)]], list("abcde"), out)
    out.seek(0)
    _, rows = read_xlsx(out)
    assert [cell.value for cell in rows[1]] == [None, -2, 2.5, True, "2025-04-03"]


def test_xlsx_sheet_name_is_made_safe():
    out = io.BytesIO()
    write_xlsx([], ["a"], out, sheet_name="Feedback: 2025/26 [all]?")
    out.seek(0)
    sheet, _ = read_xlsx(out)
    assert sheet.title == "Feedback- 2025-26 -all--"


def test_xlsx_refuses_a_cell_longer_than_excel_holds():
    with pytest.raises(ValueError, match=r"row 1, column 'comment' has 32768 characters"):
        write_xlsx([["x" * 32_768]], ["comment"], io.BytesIO())


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("Feedback", "Feedback"),
        ("", "Sheet1"),
        ("'quoted'", "quoted"),
        ("History", "History 1"),
        ("a" * 40, "a" * 31),
        ("😀" * 20, "😀" * 15),  # 31 UTF-16 code units at most
        ("رأي المرضى", "رأي المرضى"),
        ("a/b\\c*d?e:f[g]h", "a-b-c-d-e-f-g-h"),
    ],
)
def test_safe_sheet_name(name, safe):
    assert safe_sheet_name(name) == safe
