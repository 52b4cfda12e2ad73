"""Each class of problem is reported by table, row, column, value and rule, and loads nothing."""

from __future__ import annotations

import csv
import json
import os

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pcref.analytics.extract.load import ingest
from pcref.analytics.extract.nhs_number import check_digit


def _nhs_numbers(count: int) -> list[str]:
    numbers, base = [], 612_345_000
    while len(numbers) < count:
        base += 1
        digit = check_digit(f"{base:09d}")
        if digit is not None:
            numbers.append(f"{base:09d}{digit}")
    return numbers


def _set(table, index, column, value):
    def change(rows):
        rows[table][index][column] = value
        return {"rows": rows}

    return change


def _drop_column(table, column):
    def change(rows):
        for row in rows[table]:
            del row[column]
        return {"rows": rows}

    return change


def _add_column(table, column, values):
    def change(rows):
        for row, value in zip(rows[table], values, strict=False):
            row[column] = value
        return {"rows": rows}

    return change


def _raw(file_name, content_of):
    def change(rows):
        return {"raw": {file_name: content_of(rows)}}

    return change


def _csv_text(rows, table) -> str:
    names = list(rows[table][0])
    lines = [",".join(names)] + [",".join(row[name] for name in names) for row in rows[table]]
    return "\n".join(lines) + "\n"


def _latin1_row(rows):
    rows["mhs101_referrals"][2]["service_team_code"] = "Équipe"
    return _csv_text(rows, "mhs101_referrals").encode("latin-1")


def _extra_field(rows):
    text = _csv_text(rows, "mhs201_care_contacts").splitlines()
    text[2] += ",surplus"  # data row 2
    text[4] = text[4].replace("2024-07-01", "2024-13-01")  # data row 4: a bad date after it
    return ("\n".join(text) + "\n").encode()


# (id, change, expected table, rule, column, row, value)
CASES = [
    (
        "missing column",
        _drop_column("mhs201_care_contacts", "contact_date"),
        "mhs201_care_contacts",
        "missing_column",
        "contact_date",
        None,
        None,
    ),
    (
        "wrong type: integer",
        _set("mhs001_patients", 2, "year_of_birth", "19x8"),
        "mhs001_patients",
        "type",
        "year_of_birth",
        3,
        "19x8",
    ),
    (
        "wrong type: number",
        _set("mhs606_outcome_measures", 0, "first_score", "ten"),
        "mhs606_outcome_measures",
        "type",
        "first_score",
        1,
        "ten",
    ),
    (
        "wrong type: date that does not exist",
        _set("mhs201_care_contacts", 3, "contact_date", "2024-02-30"),
        "mhs201_care_contacts",
        "type",
        "contact_date",
        4,
        "2024-02-30",
    ),
    (
        "wrong type: date not ISO",
        _set("mhs201_care_contacts", 1, "contact_date", "10/05/2024"),
        "mhs201_care_contacts",
        "type",
        "contact_date",
        2,
        "10/05/2024",
    ),
    (
        "bad code",
        _set("mhs101_referrals", 1, "source_of_referral", "ZZ"),
        "mhs101_referrals",
        "code",
        "source_of_referral",
        2,
        "ZZ",
    ),
    (
        "code with the wrong form",
        _set("mhs401_mha_episodes", 0, "legal_status_code", "3"),
        "mhs401_mha_episodes",
        "code",
        "legal_status_code",
        1,
        "3",
    ),
    (
        "blank required value",
        _set("mhs201_care_contacts", 1, "attended", ""),
        "mhs201_care_contacts",
        "blank",
        "attended",
        2,
        None,
    ),
    (
        "date before 1900",
        _set("mhs101_referrals", 0, "referral_received_date", "1899-12-31"),
        "mhs101_referrals",
        "date_range",
        "referral_received_date",
        1,
        "1899-12-31",
    ),
    (
        "future date",
        _set("mhs201_care_contacts", 4, "contact_date", "2025-05-01"),
        "mhs201_care_contacts",
        "date_range",
        "contact_date",
        5,
        "2025-05-01",
    ),
    (
        "year of birth in the future",
        _set("mhs001_patients", 0, "year_of_birth", "2026"),
        "mhs001_patients",
        "year_range",
        "year_of_birth",
        1,
        "2026",
    ),
    (
        "negative population",
        _set("population", 3, "population", "-3"),
        "population",
        "negative",
        "population",
        4,
        "-3",
    ),
    (
        "end before start",
        _set("mhs501_hospital_spells", 0, "discharge_date", "2024-07-31"),
        "mhs501_hospital_spells",
        "date_order",
        "discharge_date",
        1,
        "2024-07-31",
    ),
    (
        "orphan foreign key",
        _set("mhs201_care_contacts", 2, "person_id", "P999"),
        "mhs201_care_contacts",
        "foreign_key",
        "person_id",
        3,
        "P999",
    ),
    (
        "orphan foreign key to a spell",
        _set("mhs505_restrictive_interventions", 1, "spell_id", "S999"),
        "mhs505_restrictive_interventions",
        "foreign_key",
        "spell_id",
        2,
        "S999",
    ),
    (
        "duplicate key",
        _set("mhs201_care_contacts", 4, "contact_id", "C002"),
        "mhs201_care_contacts",
        "duplicate_key",
        "contact_id",
        5,
        "C002",
    ),
    (
        "duplicate key of several columns",
        _set("population", 1, "sex", "1"),
        "population",
        "duplicate_key",
        "area_code, census2021_ethnic_group, sex, age_band",
        2,
        "E06000016 / 1 / 1 / 18-34",
    ),
    (
        "NHS numbers in an extra column",
        _add_column("mhs001_patients", "patient_ref", _nhs_numbers(6)),
        "mhs001_patients",
        "nhs_number",
        "patient_ref",
        None,
        None,
    ),
    (
        "NHS numbers as the person id",
        _add_column("mhs404_cto", "person_id", ["943 476 5919"]),
        "mhs404_cto",
        "nhs_number",
        "person_id",
        None,
        None,
    ),
    (
        "NHS numbers written as decimals",
        _add_column("mhs001_patients", "patient_ref", [f"{n}.0" for n in _nhs_numbers(6)]),
        "mhs001_patients",
        "nhs_number",
        "patient_ref",
        None,
        None,
    ),
    (
        "a population area code that is not an ONS code",
        _set("population", 1, "area_code", "<script>alert(1)</script>"),
        "population",
        "format",
        "area_code",
        2,
        "<script>alert(1)</script>",
    ),
    (
        "a population file with a header and no rows",
        _raw(
            "population.csv",
            lambda rows: (
                _csv_text({"population": rows["population"][:1]}, "population")
                .splitlines()[0]
                .encode()
                + b"\n"
            ),
        ),
        "population",
        "no_population",
        "",
        None,
        None,
    ),
    (
        "a name column",
        _add_column("mhs101_referrals", "Surname", ["Smith", "Jones", "Khan", "Patel"]),
        "mhs101_referrals",
        "identifying_column",
        "Surname",
        None,
        None,
    ),
    (
        "a postcode column",
        _add_column("mhs001_patients", "home_postcode", ["LE1 1AA"] * 6),
        "mhs001_patients",
        "identifying_column",
        "home_postcode",
        None,
        None,
    ),
    (
        "empty file",
        _raw("mhs404_cto.csv", lambda rows: b""),
        "mhs404_cto",
        "empty_file",
        "",
        None,
        None,
    ),
    (
        "UTF-16 file",
        _raw(
            "mhs001_patients.csv", lambda rows: _csv_text(rows, "mhs001_patients").encode("utf-16")
        ),
        "mhs001_patients",
        "encoding",
        "",
        None,
        None,
    ),
    (
        "Latin-1 bytes in a row",
        _raw("mhs101_referrals.csv", _latin1_row),
        "mhs101_referrals",
        "encoding",
        "service_team_code",
        3,
        None,
    ),
    (
        "Latin-1 bytes in the header",
        _raw("mhs404_cto.csv", lambda rows: "cto_id,pérson_id\n".encode("latin-1")),
        "mhs404_cto",
        "encoding",
        "",
        None,
        None,
    ),
    (
        "a row with an extra field",
        _raw("mhs201_care_contacts.csv", _extra_field),
        "mhs201_care_contacts",
        "malformed_row",
        "",
        2,
        "C002,R001,P001,CMHT-N,2024-05-10,3,surplus",
    ),
    (
        "rows after a malformed row keep their numbers",
        _raw("mhs201_care_contacts.csv", _extra_field),
        "mhs201_care_contacts",
        "type",
        "contact_date",
        4,
        "2024-13-01",
    ),
    (
        "a header with a trailing comma",
        _raw(
            "mhs404_cto.csv",
            lambda rows: b"cto_id,person_id,organisation_code,start_date,end_date,\n",
        ),
        "mhs404_cto",
        "unnamed_column",
        "",
        None,
        None,
    ),
    (
        "missing required table",
        lambda rows: {"drop": ["population"]},
        "population",
        "missing_table",
        "",
        None,
        None,
    ),
    (
        "a table given twice",
        lambda rows: {"also": {"mhs404_cto.parquet": b"PAR1"}},
        "mhs404_cto",
        "ambiguous_table",
        "",
        None,
        None,
    ),
]


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    """A datasets directory holding one version already, made once for every case."""
    return tmp_path_factory.mktemp("datasets-with-v0001") / "datasets"


@pytest.mark.parametrize(
    ("change", "table", "rule", "column", "row", "value"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_problem_is_reported_and_nothing_is_loaded(
    make_extract,
    populated,
    extract_date,
    valid_rows,
    snapshot,
    change,
    table,
    rule,
    column,
    row,
    value,
):
    if not populated.exists():
        assert ingest(make_extract(), populated, extract_date=extract_date).ok
    before = snapshot(populated)

    result = ingest(make_extract(**change(valid_rows())), populated, extract_date=extract_date)

    assert not result.ok and result.dataset is None
    assert snapshot(populated) == before  # no new version, no temporary directory left
    found = [p for p in result.problems if (p.table, p.rule, p.column) == (table, rule, column)]
    assert found, result.summary()
    problem = found[0]
    assert (problem.row, problem.severity) == (row, "error")
    if value is not None:
        assert problem.value == value
    assert problem.message.startswith(table)
    if row is not None:
        assert f"row {row}" in problem.message
    if column:
        assert column.split(", ")[0] in problem.message
    assert result.counts[(table, rule, column)] >= 1
    if rule == "nhs_number":  # NHS numbers are never copied into the report
        assert all(p.value is None for p in result.problems if p.rule == "nhs_number")
        shown = json.dumps(result.report.as_dict())
        assert not any(number in shown for number in _nhs_numbers(6) + ["9434765919"])


def test_nhs_numbers_in_a_float_parquet_column_are_refused(
    make_extract, datasets_dir, extract_date
):
    # pandas writes an identifier column with a blank as float64: 6123450014.0, not text
    source = make_extract(drop=["mhs001_patients"])
    patients = pq.read_table(make_extract(parquet=["mhs001_patients"]) / "mhs001_patients.parquet")
    numbers = [float(n) for n in _nhs_numbers(patients.num_rows)]
    patients = patients.append_column("patient_ref", pa.array(numbers, pa.float64()))
    pq.write_table(patients, source / "mhs001_patients.parquet")

    result = ingest(source, datasets_dir, extract_date=extract_date)

    assert not result.ok and not datasets_dir.exists()
    assert ("mhs001_patients", "nhs_number", "patient_ref") in result.counts, result.summary()


@pytest.mark.parametrize("kind", ["folder", "broken link", "pipe"])
def test_a_table_name_on_something_that_is_not_a_file_is_unreadable(
    make_extract, datasets_dir, extract_date, kind
):
    source = make_extract(drop=["mhs404_cto"])
    entry = source / "mhs404_cto.csv"
    if kind == "folder":
        entry.mkdir()
    elif kind == "broken link":
        entry.symlink_to(source / "nowhere.csv")
    else:
        os.mkfifo(entry)

    result = ingest(source, datasets_dir, extract_date=extract_date)

    (problem,) = [p for p in result.problems if p.severity == "error"]
    assert (problem.table, problem.rule) == ("mhs404_cto", "unreadable"), result.summary()
    assert "mhs404_cto.csv is not a file that can be read" in problem.message
    assert not datasets_dir.exists()


@pytest.mark.parametrize("endings", ["mixed", "crlf", "lf"])
def test_a_csv_mixing_line_endings_is_named_as_such(
    make_extract, datasets_dir, extract_date, endings
):
    source = make_extract()
    path = source / "mhs101_referrals.csv"
    lines = path.read_bytes().replace(b"\r\n", b"\n").split(b"\n")
    if endings == "mixed":
        # The break between two lines written by two tools falls deep in a big file.
        path.write_bytes(b"\r\n".join(lines[:3]) + b"\r\n" + b"\n".join(lines[3:]))
    else:
        path.write_bytes((b"\r\n" if endings == "crlf" else b"\n").join(lines))

    result = ingest(source, datasets_dir, extract_date=extract_date)

    if endings != "mixed":  # one kind of line ending throughout is read as usual
        assert result.ok, result.summary()
        return
    (problem,) = [p for p in result.problems if p.severity == "error"]
    assert (problem.table, problem.rule) == ("mhs101_referrals", "unreadable"), result.summary()
    assert "mixes Windows (CRLF) and Unix (LF) line endings" in problem.message
    assert not datasets_dir.exists()


def test_a_truncated_parquet_file_is_unreadable(make_extract, datasets_dir, extract_date):
    source = make_extract(parquet=["mhs404_cto"])
    path = source / "mhs404_cto.parquet"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    result = ingest(source, datasets_dir, extract_date=extract_date)

    (problem,) = [p for p in result.problems if p.severity == "error"]
    assert (problem.table, problem.rule, problem.row) == ("mhs404_cto", "unreadable", None)
    assert "mhs404_cto.parquet cannot be read as Parquet" in problem.message
    assert not datasets_dir.exists()


def test_an_empty_parquet_file_is_empty(make_extract, datasets_dir, extract_date):
    source = make_extract(drop=["mhs404_cto"], raw={"mhs404_cto.parquet": b""})

    result = ingest(source, datasets_dir, extract_date=extract_date)

    errors = [(p.table, p.rule) for p in result.problems if p.severity == "error"]
    assert errors == [("mhs404_cto", "empty_file")]


def test_messages_name_the_table_row_column_value_and_rule(
    make_extract, datasets_dir, extract_date, valid_rows
):
    rows = valid_rows()
    rows["mhs201_care_contacts"][3]["contact_date"] = "2024-02-30"
    rows["mhs101_referrals"][1]["source_of_referral"] = "ZZ"
    rows["mhs501_hospital_spells"][0]["discharge_date"] = "2024-07-31"

    result = ingest(make_extract(rows), datasets_dir, extract_date=extract_date)

    messages = {p.rule: p.message for p in result.problems}
    assert messages["type"] == (
        "mhs201_care_contacts row 4, contact_date: '2024-02-30' is not a date in the form "
        "YYYY-MM-DD"
    )
    assert messages["code"].startswith(
        "mhs101_referrals row 2, source_of_referral: 'ZZ' is not a code of source_of_referral; "
        "expected one of A1, A2, A3, B1"
    )
    assert messages["date_order"] == (
        "mhs501_hospital_spells row 1, discharge_date: 2024-07-31 is before admission_date "
        "2024-08-01"
    )
    summary = result.summary()
    assert summary.startswith("Extract ") and "was not loaded: nothing was changed." in summary
    assert "3 errors" in summary and "mhs201_care_contacts.contact_date: type, 1 problem" in summary


def test_a_duplicate_names_the_first_row_with_the_key(
    make_extract, datasets_dir, extract_date, valid_rows
):
    rows = valid_rows()
    rows["mhs201_care_contacts"][4]["contact_id"] = "C002"

    result = ingest(make_extract(rows), datasets_dir, extract_date=extract_date)

    (problem,) = [p for p in result.problems if p.rule == "duplicate_key"]
    assert problem.message == (
        "mhs201_care_contacts row 5, contact_id: 'C002' is already on row 2; the key must be unique"
    )


def test_the_first_examples_are_kept_and_every_problem_counted(
    make_extract, tmp_path, datasets_dir, extract_date, valid_rows
):
    rows = valid_rows()
    template = rows["mhs201_care_contacts"][0]
    rows["mhs201_care_contacts"] += [
        {**template, "contact_id": f"X{n:03d}", "contact_date": f"2024-04-{n:02d}x"}
        for n in range(1, 31)
    ]

    result = ingest(make_extract(rows), datasets_dir, extract_date=extract_date, max_examples=4)

    key = ("mhs201_care_contacts", "type", "contact_date")
    assert result.counts[key] == 30
    kept = [p for p in result.problems if p.key == key]
    assert [p.row for p in kept] == [6, 7, 8, 9]
    assert [p.value for p in kept] == ["2024-04-01x", "2024-04-02x", "2024-04-03x", "2024-04-04x"]
    path = result.to_csv(tmp_path / "report.csv")
    with path.open(encoding="utf-8") as handle:
        written = [r for r in csv.DictReader(handle) if r["rule"] == "type"]
    assert [r["row"] for r in written] == ["6", "7", "8", "9"]
    assert {r["count"] for r in written} == {"30"}
    assert list(written[0]) == [
        "severity",
        "table",
        "row",
        "column",
        "value",
        "rule",
        "message",
        "count",
    ]


def test_problems_in_every_table_are_found_in_one_run(
    make_extract, datasets_dir, extract_date, valid_rows
):
    rows = valid_rows()
    rows["mhs001_patients"][0]["sex"] = "M"
    rows["mhs404_cto"][0]["end_date"] = "2024-01-01"
    rows["population"][0]["age_band"] = "18-24"

    result = ingest(
        make_extract(rows, drop=["mhs505_restrictive_interventions"]),
        datasets_dir,
        extract_date=extract_date,
    )

    assert set(result.counts) == {
        ("mhs001_patients", "code", "sex"),
        ("mhs404_cto", "date_order", "end_date"),
        ("population", "code", "age_band"),
        ("mhs505_restrictive_interventions", "missing_table", ""),
        ("mhs001_patients", "ethnicity_invalid", "ethnic_category"),
    }


def test_unknown_files_are_warnings(make_extract, datasets_dir, extract_date):
    source = make_extract(raw={"notes.csv": b"a,b\n1,2\n", "README.txt": b"hello"})

    result = ingest(source, datasets_dir, extract_date=extract_date)

    assert result.ok
    assert result.counts[("notes.csv", "unknown_file", "")] == 1
    assert not any(p.table == "README.txt" for p in result.problems)


def test_a_file_in_the_wrong_case_is_missing_with_a_hint(make_extract, datasets_dir, extract_date):
    source = make_extract()
    (source / "population.csv").rename(source / "Population.csv")

    result = ingest(source, datasets_dir, extract_date=extract_date)

    (problem,) = [p for p in result.problems if p.rule == "missing_table"]
    assert "Population.csv is there: file names are lower case" in problem.message


def test_a_semicolon_separated_file_gets_a_hint(make_extract, datasets_dir, extract_date):
    source = make_extract(
        raw={"mhs404_cto.csv": b"cto_id;person_id;organisation_code\nT1;P1;RT5\n"}
    )

    result = ingest(source, datasets_dir, extract_date=extract_date)

    missing = [p for p in result.problems if p.rule == "missing_column"]
    assert "is it separated by commas?" in missing[0].message


def test_a_quoted_value_may_hold_commas_and_line_breaks(make_extract, datasets_dir, extract_date):
    text = (
        "spell_id,person_id,organisation_code,ward_code,admission_date,discharge_date\n"
        'S001,P002,RT5,"Ward A, north\nwing",2024-08-01,2024-09-15\n'
        "S002,P004,RT5,WARD-B,2025-02-01,2025-01-01\n"
    )
    source = make_extract(raw={"mhs501_hospital_spells.csv": text.encode()})

    result = ingest(source, datasets_dir, extract_date=extract_date)

    (problem,) = [p for p in result.problems if p.rule == "date_order"]
    assert problem.row == 2  # a record spanning two lines is one row


def test_parquet_values_are_checked_like_csv(make_extract, datasets_dir, extract_date):
    source = make_extract(drop=["mhs404_cto"])
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT * FROM (VALUES ('T001', 'P002', 'RT5', '2024-09-15', NULL),
        ('T002', 'P002', 'RT5', '2024-09-31', NULL)) AS t(cto_id, person_id, organisation_code,
        start_date, end_date)) TO '{source}/mhs404_cto.parquet' (FORMAT parquet)"""
    )

    result = ingest(source, datasets_dir, extract_date=extract_date)

    (problem,) = [p for p in result.problems if p.severity == "error"]
    assert (problem.table, problem.rule, problem.row, problem.value) == (
        "mhs404_cto",
        "type",
        2,
        "2024-09-31",
    )
