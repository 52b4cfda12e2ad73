"""Report: examples kept per (table, rule, column), totals counted, CSV and JSON written."""

from __future__ import annotations

import csv
import json

import pytest

from pcref.analytics.extract.report import MAX_VALUE_LENGTH, Problem, Report


def _bad_date(row: int) -> Problem:
    return Problem(
        "mhs201_care_contacts",
        "type",
        f"mhs201_care_contacts row {row}, contact_date: 'x' is not a date",
        row=row,
        column="contact_date",
        value="x",
    )


def test_examples_are_capped_per_group_and_totals_kept():
    report = Report(max_examples=2)
    report.add_group([_bad_date(3), _bad_date(9), _bad_date(12)], total=1000)
    report.add(_bad_date(15))
    report.add(Problem("population", "no_rows", "population: no data rows"))

    assert [p.row for p in report.problems if p.rule == "type"] == [3, 9]
    assert report.counts[("mhs201_care_contacts", "type", "contact_date")] == 1001
    assert (report.error_count, report.warning_count, report.ok) == (1001, 1, False)
    assert report.count(table="population") == 1


def test_warnings_alone_are_ok():
    report = Report()
    report.add(Problem("x.csv", "unknown_file", "x.csv is not an extract table"))
    assert report.ok and report.summary().startswith("0 errors and 1 warning.")


def test_a_problem_needs_a_known_rule_and_long_values_are_cut():
    with pytest.raises(ValueError, match="unknown rule 'typo'; rules: missing_table"):
        Problem("t", "typo", "message")
    problem = Problem("t", "type", "m", value="x" * 500)
    assert len(problem.value) == MAX_VALUE_LENGTH and problem.value.endswith("…")


def test_a_group_must_be_one_table_rule_and_column():
    mixed = [_bad_date(1), Problem("population", "no_rows", "m")]
    with pytest.raises(ValueError, match="one \\(table, rule, column\\) group"):
        Report().add_group(mixed, total=None)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "20"])
def test_max_examples_is_a_whole_number(bad):
    with pytest.raises(
        ValueError, match=f"max_examples must be a whole number, 1 or more; got {bad!r}"
    ):
        Report(max_examples=bad)


def test_csv_and_json(tmp_path):
    report = Report()
    report.add(_bad_date(7))
    report.add(Problem("mhs404_cto", "missing_table", "mhs404_cto: the file is missing"))

    with report.to_csv(tmp_path / "report.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    written = json.loads(report.to_json(tmp_path / "report.json").read_text("utf-8"))

    assert [(r["table"], r["row"], r["rule"], r["count"]) for r in rows] == [
        ("mhs201_care_contacts", "7", "type", "1"),
        ("mhs404_cto", "", "missing_table", "1"),
    ]
    assert written["ok"] is False and written["errors"] == 2
    assert written["problems"][0]["value"] == "x" and written["problems"][0]["severity"] == "error"
    assert {c["rule"]: c["count"] for c in written["counts"]} == {"type": 1, "missing_table": 1}
