"""ingest: a valid extract becomes a numbered, read-only dataset version; a bad one changes nothing."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import stat
import time

import duckdb
import pytest

from pcref.analytics import ethnicity
from pcref.analytics.extract import schema
from pcref.analytics.extract.load import (
    DatasetIntegrityError,
    ingest,
    list_datasets,
    open_dataset,
)
from pcref.analytics.extract.nhs_number import check_digit


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(path) -> list[dict]:
    con = duckdb.connect()
    cursor = con.execute(f"SELECT * FROM read_parquet('{path}')")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _nhs_numbers(count: int, *, valid: bool = True) -> list[str]:
    numbers = []
    base = 400_000_000
    while len(numbers) < count:
        base += 7
        digit = check_digit(f"{base:09d}")
        if digit is not None:
            numbers.append(f"{base:09d}{digit if valid else (digit + 1) % 10}")
    return numbers


# --- a valid extract ------------------------------------------------------------------------


def test_valid_extract_becomes_version_1_with_a_manifest(make_extract, datasets_dir, extract_date):
    source = make_extract()

    result = ingest(source, datasets_dir, extract_date=extract_date)

    assert result.ok, result.summary()
    assert result.report.error_count == 0
    dataset = result.dataset
    assert (dataset.number, dataset.name, dataset.path) == (1, "v0001", datasets_dir / "v0001")
    manifest = json.loads((dataset.path / "manifest.json").read_text())
    assert manifest == dataset.manifest
    assert manifest["schema_version"] == schema.SCHEMA_VERSION
    assert manifest["dataset"] == 1 and manifest["name"] == "v0001"
    assert manifest["extract_date"] == "2025-04-30"
    assert manifest["created"].endswith("Z")
    assert manifest["ethnicity_mapping_version"] == ethnicity.MAPPING_VERSION
    with (source / "mhs201_care_contacts.csv").open() as handle:
        contacts = sum(1 for _ in handle) - 1
    assert manifest["row_counts"]["mhs201_care_contacts"] == contacts == 5
    assert manifest["row_counts"] == {
        "mhs001_patients": 6,
        "mhs101_referrals": 4,
        "mhs201_care_contacts": 5,
        "mhs501_hospital_spells": 2,
        "mhs401_mha_episodes": 2,
        "mhs404_cto": 1,
        "mhs505_restrictive_interventions": 2,
        "mhs606_outcome_measures": 1,
        "feedback_responses": 0,  # optional and absent: an empty table
        "population": 12,
    }
    assert manifest["sources"]["feedback_responses"] is None  # not sent
    for table in schema.EXTRACT_TABLES:
        entry = manifest["sources"][table.name]
        assert entry["file"] == f"{table.name}.csv" and entry["format"] == "csv"
        assert entry["sha256"] == _sha256(source / entry["file"])
        assert entry["bytes"] == (source / entry["file"]).stat().st_size
    listed = set(manifest["files"])
    assert listed == {f"{t.name}.parquet" for t in schema.TABLES} | {"report.csv", "report.json"}
    for name, entry in manifest["files"].items():
        assert entry["sha256"] == _sha256(dataset.path / name)
    # The period runs from the first to the last event date (schema.EVENT_DATE_COLUMNS).
    assert (manifest["period"]["start"], manifest["period"]["end"]) == ("2024-04-02", "2025-02-02")
    assert manifest["period"]["by_table"]["mhs201_care_contacts"] == {
        "column": "contact_date",
        "start": "2024-04-10",
        "end": "2025-01-16",
    }
    assert result.period == ("2024-04-02", "2025-02-02")


def test_parquet_files_have_typed_columns_and_the_values_given(
    make_extract, datasets_dir, extract_date, valid_rows
):
    pyarrow_parquet = pytest.importorskip("pyarrow.parquet")
    import pyarrow

    dataset = ingest(make_extract(), datasets_dir, extract_date=extract_date).dataset

    arrow = {
        "VARCHAR": pyarrow.string(),
        "BIGINT": pyarrow.int64(),
        "DOUBLE": pyarrow.float64(),
        "DATE": pyarrow.date32(),
    }
    for table in schema.TABLES:
        parquet_schema = pyarrow_parquet.read_schema(dataset.table_path(table.name))
        expected = [(name, arrow[kind]) for name, kind in schema.stored_columns(table)]
        assert [(f.name, f.type) for f in parquet_schema] == expected, table.name
    referrals = _rows(dataset.table_path("mhs101_referrals"))
    source = valid_rows()["mhs101_referrals"]
    assert [r["referral_id"] for r in referrals] == [r["referral_id"] for r in source]
    assert str(referrals[0]["referral_received_date"]) == "2024-04-02"
    assert referrals[1]["discharge_date"] is None  # blank in, null out
    assert referrals[1]["source_of_referral"] == "E1"
    outcome = _rows(dataset.table_path("mhs606_outcome_measures"))[0]
    assert (outcome["first_score"], outcome["last_score"]) == (20.0, 9.5)
    mha = _rows(dataset.table_path("mhs401_mha_episodes"))
    assert [row["legal_status_code"] for row in mha] == ["03", "20"]  # codes stay strings
    population = _rows(dataset.table_path("population"))
    assert sum(row["population"] for row in population) == sum(
        int(row["population"]) for row in valid_rows()["population"]
    )


def test_an_ingest_removes_the_folder_a_killed_ingest_left_a_day_ago(
    make_extract, datasets_dir, extract_date
):
    # SIGKILL or a power cut leaves .ingest-*; one still in use by another ingest is kept
    datasets_dir.mkdir(parents=True)
    abandoned, running = datasets_dir / ".ingest-killed", datasets_dir / ".ingest-running"
    for folder in (abandoned, running):
        folder.mkdir()
        (folder / "mhs001_patients.parquet").write_bytes(b"half")
    day_ago = time.time() - 25 * 3600
    os.utime(abandoned, (day_ago, day_ago))
    assert ingest(make_extract(), datasets_dir, extract_date=extract_date).ok
    assert not abandoned.exists() and running.exists()


def test_a_second_ingest_is_version_2_and_the_first_is_unchanged(
    make_extract, datasets_dir, extract_date, snapshot
):
    first = ingest(make_extract(), datasets_dir, extract_date=extract_date).dataset
    before = snapshot(first.path)

    second = ingest(make_extract(), datasets_dir, extract_date=extract_date).dataset

    assert (second.number, second.path.name) == (2, "v0002")
    assert snapshot(first.path) == before
    assert [version.number for version in list_datasets(datasets_dir)] == [1, 2]
    assert open_dataset(datasets_dir).number == 2
    assert open_dataset(datasets_dir, 1).path == first.path
    assert sorted(path.name for path in datasets_dir.iterdir()) == ["v0001", "v0002"]


def test_versions_are_read_only_and_their_checksums_verify(
    make_extract, datasets_dir, extract_date
):
    dataset = ingest(make_extract(), datasets_dir, extract_date=extract_date).dataset

    dataset.verify()
    open_dataset(datasets_dir, 1).verify()
    for path in dataset.path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) & 0o222 == 0, path.name
    assert stat.S_IMODE(dataset.path.stat().st_mode) & 0o222 == 0


def test_verify_names_a_changed_missing_or_extra_file(make_extract, datasets_dir, extract_date):
    dataset = ingest(make_extract(), datasets_dir, extract_date=extract_date).dataset
    dataset.path.chmod(0o755)
    target = dataset.table_path("mhs404_cto")
    target.chmod(0o644)
    content = bytearray(target.read_bytes())
    content[len(content) // 2] ^= 0xFF
    target.write_bytes(bytes(content))
    (dataset.path / "report.json").chmod(0o644)
    (dataset.path / "report.json").unlink()
    (dataset.path / "notes.txt").write_text("not part of the version")

    with pytest.raises(DatasetIntegrityError) as raised:
        dataset.verify()

    assert raised.value.problems == [
        "mhs404_cto.parquet has changed (sha256 differs)",
        "report.json is missing",
        "notes.txt is not in the manifest",
    ]


def test_open_dataset_and_list_datasets_when_there_are_none(tmp_path):
    assert list_datasets(tmp_path / "absent") == []
    with pytest.raises(FileNotFoundError, match="no dataset versions in"):
        open_dataset(tmp_path / "absent")


def test_open_dataset_names_the_versions_there_are(make_extract, datasets_dir, extract_date):
    dataset = ingest(make_extract(), datasets_dir, extract_date=extract_date).dataset

    with pytest.raises(FileNotFoundError, match="no dataset version 7 .*there are v0001"):
        open_dataset(datasets_dir, 7)
    with pytest.raises(KeyError, match="has no table 'mhs999'; tables: mhs001_patients"):
        dataset.table_path("mhs999")


# --- ethnicity ------------------------------------------------------------------------------


def test_ethnicity_is_kept_as_given_normalised_and_counted(
    make_extract, datasets_dir, extract_date, ethnicity_cases
):
    result = ingest(make_extract(), datasets_dir, extract_date=extract_date)

    patients = _rows(result.dataset.table_path("mhs001_patients"))
    for row, (raw, code, status) in zip(patients, ethnicity_cases, strict=True):
        expected = ethnicity.normalise(raw or None)  # a blank CSV cell is null
        assert row["ethnic_category"] == (raw or None)  # " a" keeps its space
        assert (row["ethnic_category_code"], row["ethnicity_status"]) == (code, status)
        assert (expected.code, expected.status) == (code, status)
        assert row["ethnicity_mapping_version"] == ethnicity.MAPPING_VERSION
    quality = {
        "rows": 6,
        "statuses": {"valid": 2, "not_stated": 1, "not_known": 1, "missing": 1, "invalid": 1},
        "guessed": 1,  # CP rolled up to C
    }
    assert result.dataset.manifest["ethnicity_quality"] == {
        "mhs001_patients": {"ethnic_category": quality}
    }
    assert result.ethnicity_quality == result.dataset.manifest["ethnicity_quality"]
    # An invalid code is a warning naming the row, not an error: the value is kept.
    (invalid,) = [p for p in result.problems if p.rule == "ethnicity_invalid"]
    assert (invalid.table, invalid.row, invalid.column, invalid.value) == (
        "mhs001_patients",
        6,
        "ethnic_category",
        "XX",
    )
    assert "Ethnicity (mhs001_patients.ethnic_category, 6 rows): valid 2" in result.summary()


def test_local_ethnicity_mappings_are_applied_and_recorded(
    make_extract, datasets_dir, extract_date, valid_rows
):
    rows = valid_rows()
    rows["mhs001_patients"][5]["ethnic_category"] = "T"

    result = ingest(
        make_extract(rows), datasets_dir, extract_date=extract_date, local_mappings={"t": "c"}
    )

    patients = _rows(result.dataset.table_path("mhs001_patients"))
    assert (patients[5]["ethnic_category"], patients[5]["ethnic_category_code"]) == ("T", "C")
    assert result.dataset.manifest["ethnicity_local_mappings"] == {"T": "C"}


# --- other valid inputs ---------------------------------------------------------------------


def test_parquet_sources_load_like_csv(make_extract, datasets_dir, extract_date):
    tables = [table.name for table in schema.TABLES]

    result = ingest(make_extract(parquet=tables), datasets_dir, extract_date=extract_date)

    assert result.ok, result.summary()
    from_csv = ingest(make_extract(), datasets_dir, extract_date=extract_date).dataset
    for table in tables:
        assert _rows(result.dataset.table_path(table)) == _rows(from_csv.table_path(table))
    assert result.dataset.manifest["sources"]["population"]["format"] == "parquet"


def test_typed_parquet_sources_are_read_as_their_values(tmp_path, make_extract, datasets_dir):
    source = make_extract(drop=["mhs404_cto"])
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT 'T001' AS cto_id, 'P002' AS person_id, 'RT5' AS organisation_code,
        TIMESTAMP '2024-09-15 10:30:00' AS start_date, CAST(NULL AS DATE) AS end_date)
        TO '{source}/mhs404_cto.parquet' (FORMAT parquet)"""
    )

    result = ingest(source, datasets_dir, extract_date=None)

    assert result.ok, result.summary()
    (cto,) = _rows(result.dataset.table_path("mhs404_cto"))
    assert (str(cto["start_date"]), cto["end_date"]) == ("2024-09-15", None)


def test_an_optional_table_may_be_left_out(make_extract, datasets_dir, extract_date):
    result = ingest(
        make_extract(drop=["mhs606_outcome_measures"]), datasets_dir, extract_date=extract_date
    )

    assert result.ok, result.summary()
    manifest = result.dataset.manifest
    assert manifest["sources"]["mhs606_outcome_measures"] is None
    assert manifest["row_counts"]["mhs606_outcome_measures"] == 0
    assert _rows(result.dataset.table_path("mhs606_outcome_measures")) == []


def test_an_unknown_column_is_a_warning_and_is_not_loaded(
    make_extract, datasets_dir, extract_date, valid_rows
):
    rows = valid_rows()
    for row in rows["mhs501_hospital_spells"]:
        row["bed_type"] = "acute"

    result = ingest(make_extract(rows), datasets_dir, extract_date=extract_date)

    assert result.ok
    assert result.counts[("mhs501_hospital_spells", "unknown_column", "bed_type")] == 1
    assert result.dataset.manifest["tables"]["mhs501_hospital_spells"]["ignored_columns"] == [
        "bed_type"
    ]
    assert "bed_type" not in _rows(result.dataset.table_path("mhs501_hospital_spells"))[0]


def test_ten_digit_values_without_valid_check_digits_are_not_nhs_numbers(
    make_extract, datasets_dir, extract_date, valid_rows
):
    rows = valid_rows()
    for row, number in zip(rows["mhs001_patients"], _nhs_numbers(6, valid=False), strict=True):
        row["local_reference"] = number

    result = ingest(make_extract(rows), datasets_dir, extract_date=extract_date)

    assert result.ok, result.summary()
    assert ("mhs001_patients", "nhs_number", "local_reference") not in result.counts
    assert result.counts[("mhs001_patients", "unknown_column", "local_reference")] == 1


def test_spaces_around_values_are_removed_and_blank_is_null(
    make_extract, datasets_dir, extract_date, valid_rows
):
    rows = valid_rows()
    rows["mhs101_referrals"][0]["source_of_referral"] = " A1 "
    rows["mhs101_referrals"][0]["person_id"] = "P001  "
    rows["mhs101_referrals"][0]["discharge_date"] = "   "
    rows["mhs101_referrals"][0]["referral_received_date"] = " 2024-04-02"

    result = ingest(make_extract(rows), datasets_dir, extract_date=extract_date)

    assert result.ok, result.summary()
    first = _rows(result.dataset.table_path("mhs101_referrals"))[0]
    assert (first["source_of_referral"], first["person_id"], first["discharge_date"]) == (
        "A1",
        "P001",
        None,
    )


def test_progress_is_reported_to_a_callback_or_a_bar(make_extract, datasets_dir, extract_date):
    calls = []
    ingest(
        make_extract(),
        datasets_dir,
        extract_date=extract_date,
        progress=lambda step, done, total: calls.append((step, done, total)),
    )

    total = calls[0][2]
    assert [done for _, done, _ in calls] == list(range(1, total + 1))
    assert calls[0][0] == "read mhs001_patients" and calls[-1][0] == "dataset written"

    class Bar:  # the parts of tqdm that ingest uses
        total, n, description = None, 0, ""

        def update(self, n):
            self.n += n

        def set_description_str(self, text):
            self.description = text

    bar = Bar()
    ingest(make_extract(), datasets_dir, extract_date=extract_date, progress=bar)
    assert bar.n == bar.total == total and bar.description == "dataset written"


def test_report_dir_gets_the_report_whether_or_not_the_extract_loads(
    make_extract, tmp_path, datasets_dir, extract_date
):
    result = ingest(
        make_extract(drop=["population"]),
        datasets_dir,
        extract_date=extract_date,
        report_dir=tmp_path / "reports",
    )

    assert not result.ok
    with (tmp_path / "reports" / "report.csv").open() as handle:
        (row,) = [r for r in csv.DictReader(handle) if r["rule"] == "missing_table"]
    assert row["table"] == "population" and row["severity"] == "error"
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert report["ok"] is False and report["errors"] == 1


# --- failures change nothing ----------------------------------------------------------------


def test_a_failure_part_way_through_writing_leaves_nothing(
    make_extract, datasets_dir, extract_date, snapshot
):
    ingest(make_extract(), datasets_dir, extract_date=extract_date)
    before = snapshot(datasets_dir)

    def interrupt(step, done, total):
        if step == "write mhs401_mha_episodes":  # some Parquet files are written by now
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest(make_extract(), datasets_dir, extract_date=extract_date, progress=interrupt)

    assert snapshot(datasets_dir) == before
    assert [path.name for path in datasets_dir.iterdir()] == ["v0001"]


def test_a_failure_before_the_first_version_leaves_no_datasets_dir(
    make_extract, datasets_dir, extract_date
):
    def interrupt(step, done, total):
        if step.startswith("write"):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        ingest(make_extract(), datasets_dir, extract_date=extract_date, progress=interrupt)

    assert not datasets_dir.exists()


def test_a_missing_source_dir_is_refused(tmp_path, datasets_dir):
    with pytest.raises(NotADirectoryError, match="'.*nowhere' does not exist"):
        ingest(tmp_path / "nowhere", datasets_dir)


def test_version_numbers_are_never_reused(make_extract, datasets_dir, extract_date):
    ingest(make_extract(), datasets_dir, extract_date=extract_date)
    (datasets_dir / "v0002").mkdir()  # e.g. a version being copied in by hand
    (datasets_dir / "v0002" / "partial.parquet").write_bytes(b"")

    dataset = ingest(make_extract(), datasets_dir, extract_date=extract_date).dataset

    assert dataset.name == "v0003" and dataset.manifest["dataset"] == 3
    assert [version.number for version in list_datasets(datasets_dir)] == [1, 3]
