"""validate(): the checks without loading; row numbers around refused rows; settings checked."""

from __future__ import annotations

import random

import pytest

from pcref.analytics.extract.validate import StagedTable, memory_bytes, validate


def test_validate_reports_without_loading(make_extract, valid_rows, extract_date, tmp_path):
    rows = valid_rows()
    rows["mhs404_cto"][0]["start_date"] = "2024-13-01"
    source = make_extract(rows)
    before = sorted(path.name for path in source.iterdir())

    report = validate(source, extract_date=extract_date, work_dir=tmp_path)

    assert not report.ok
    assert report.counts[("mhs404_cto", "type", "start_date")] == 1
    assert sorted(path.name for path in source.iterdir()) == before
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith("pcref-")] == []


def test_file_rows_count_the_rows_the_reader_refused():
    generator = random.Random(7)
    for _ in range(500):
        rows = generator.randint(1, 30)
        refused = sorted(generator.sample(range(1, rows + 1), generator.randint(0, rows - 1)))
        kept = [row for row in range(1, rows + 1) if row not in refused]
        staged = StagedTable(None, None, "csv", "t", {}, rejected=tuple(refused))
        assert [staged.file_row(rowid) for rowid in range(len(kept))] == kept


def test_encoding_problems_in_two_columns_are_two_groups(make_extract, extract_date):
    text = (
        "cto_id,person_id,organisation_code,start_date,end_date\n"
        "T001,P002,RT5,2024-09-15,\n"
        "T\xe9,P002,RT5,2024-09-15,\n"
        "T003,P002,R\xe95,2024-09-15,\n"
    ).encode("latin-1")

    report = validate(make_extract(raw={"mhs404_cto.csv": text}), extract_date=extract_date)

    found = {(p.column, p.row) for p in report.problems if p.rule == "encoding"}
    assert found == {("cto_id", 2), ("organisation_code", 3)}


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        ("64MB", 64_000_000),
        ("1GB", 10**9),
        ("2GiB", 2 * 2**30),
        ("512 mib", 512 * 2**20),
        (1024, 1024),
    ],
)
def test_memory_limits(limit, expected):
    assert memory_bytes(limit) == expected


@pytest.mark.parametrize("limit", ["lots", "", "-1GB", 0, True, None])
def test_bad_memory_limits_are_refused(limit):
    with pytest.raises(ValueError, match="memory_limit must be"):
        memory_bytes(limit)


def test_bad_settings_are_refused_before_anything_runs(make_extract):
    source = make_extract()
    with pytest.raises(ValueError, match="threads must be 1 or more; got 0"):
        validate(source, threads=0)
    with pytest.raises(TypeError, match="extract_date must be a date; got '2025-04-30'"):
        validate(source, extract_date="2025-04-30")
    with pytest.raises(ValueError, match="local mapping 'T' -> 'Q'"):
        validate(source, local_mappings={"T": "Q"})
