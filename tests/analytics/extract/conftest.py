"""Small valid extracts written by tests, and ways to spoil them one problem at a time.

`VALID` holds a few rows per table that pass every check on EXTRACT_DATE. `make_extract`
writes them as CSV (or Parquet) into a new directory, with any table's rows replaced, any
table left out, or any file's bytes given exactly.
"""

from __future__ import annotations

import copy
import csv
import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pcref.analytics.extract import schema

EXTRACT_DATE = date(2025, 4, 30)

# Raw ethnicity values as a trust might send them, and what ethnicity.normalise makes of them.
ETHNICITY_RAW = (" a", "CP", "Z", "99", "", "XX")
ETHNICITY_EXPECTED = (
    ("A", "valid"),
    ("C", "valid"),
    ("Z", "not_stated"),
    ("99", "not_known"),
    (None, "missing"),
    (None, "invalid"),
)

Rows = list[dict[str, str]]


def _patients() -> Rows:
    return [
        {
            "person_id": f"P{number:03d}",
            "organisation_code": "RT5",
            "ethnic_category": raw,
            "sex": sex,
            "year_of_birth": str(year),
            "area_code": area,
        }
        for number, raw, sex, year, area in zip(
            range(1, 7),
            ETHNICITY_RAW,
            ("1", "2", "2", "9", "X", "1"),
            (1950, 1962, 1978, 1985, 1999, 2004),
            ("E06000016", "E06000016", "E07000135", "E06000016", "E07000135", "E06000016"),
            strict=True,
        )
    ]


VALID: dict[str, Rows] = {
    "mhs001_patients": _patients(),
    "mhs101_referrals": [
        {
            "referral_id": "R001",
            "person_id": "P001",
            "organisation_code": "RT5",
            "service_team_code": "CMHT-N",
            "referral_received_date": "2024-04-02",
            "source_of_referral": "A1",
            "discharge_date": "2024-10-01",
        },
        {
            "referral_id": "R002",
            "person_id": "P002",
            "organisation_code": "RT5",
            "service_team_code": "CMHT-S",
            "referral_received_date": "2024-05-20",
            "source_of_referral": "E1",
            "discharge_date": "",
        },
        {
            "referral_id": "R003",
            "person_id": "P003",
            "organisation_code": "RT5",
            "service_team_code": "CMHT-N",
            "referral_received_date": "2024-06-11",
            "source_of_referral": "B1",
            "discharge_date": "",
        },
        {
            "referral_id": "R004",
            "person_id": "P004",
            "organisation_code": "RT5",
            "service_team_code": "CRISIS",
            "referral_received_date": "2025-01-15",
            "source_of_referral": "H1",
            "discharge_date": "2025-03-01",
        },
    ],
    "mhs201_care_contacts": [
        {
            "contact_id": f"C{number:03d}",
            "referral_id": referral,
            "person_id": person,
            "service_team_code": team,
            "contact_date": day,
            "attended": attended,
        }
        for number, referral, person, team, day, attended in (
            (1, "R001", "P001", "CMHT-N", "2024-04-10", "5"),
            (2, "R001", "P001", "CMHT-N", "2024-05-10", "3"),
            (3, "R002", "P002", "CMHT-S", "2024-06-01", "5"),
            (4, "R003", "P003", "CMHT-N", "2024-07-01", "6"),
            (5, "R004", "P004", "CRISIS", "2025-01-16", "5"),
        )
    ],
    "mhs501_hospital_spells": [
        {
            "spell_id": "S001",
            "person_id": "P002",
            "organisation_code": "RT5",
            "ward_code": "WARD-A",
            "admission_date": "2024-08-01",
            "discharge_date": "2024-09-15",
        },
        {
            "spell_id": "S002",
            "person_id": "P004",
            "organisation_code": "RT5",
            "ward_code": "WARD-B",
            "admission_date": "2025-02-01",
            "discharge_date": "",
        },
    ],
    "mhs401_mha_episodes": [
        {
            "mha_episode_id": "M001",
            "person_id": "P002",
            "organisation_code": "RT5",
            "legal_status_code": "03",
            "start_date": "2024-08-01",
            "end_date": "2024-09-15",
        },
        {
            "mha_episode_id": "M002",
            "person_id": "P004",
            "organisation_code": "RT5",
            "legal_status_code": "20",
            "start_date": "2025-01-31",
            "end_date": "2025-02-01",
        },
    ],
    "mhs404_cto": [
        {
            "cto_id": "T001",
            "person_id": "P002",
            "organisation_code": "RT5",
            "start_date": "2024-09-15",
            "end_date": "",
        }
    ],
    "mhs505_restrictive_interventions": [
        {
            "intervention_id": "I001",
            "person_id": "P002",
            "spell_id": "S001",
            "ward_code": "WARD-A",
            "intervention_date": "2024-08-03",
            "intervention_type": "01",
        },
        {
            "intervention_id": "I002",
            "person_id": "P004",
            "spell_id": "S002",
            "ward_code": "WARD-B",
            "intervention_date": "2025-02-02",
            "intervention_type": "06",
        },
    ],
    "mhs606_outcome_measures": [
        {
            "outcome_episode_id": "O001",
            "person_id": "P001",
            "referral_id": "R001",
            "service_team_code": "CMHT-N",
            "measure_code": "HONOS",
            "first_score": "20",
            "first_date": "2024-04-10",
            "last_score": "9.5",
            "last_date": "2024-09-30",
        }
    ],
    "population": [
        {
            "area_code": area,
            "census2021_ethnic_group": group,
            "sex": sex,
            "age_band": band,
            "population": str(1000 + 7 * index),
        }
        for index, (area, group, sex, band) in enumerate(
            itertools.product(("E06000016", "E07000135"), ("1", "9", "13"), ("1", "2"), ("18-34",))
        )
    ],
}


def valid_rows() -> dict[str, Rows]:
    """A fresh copy of VALID, safe to change."""
    return copy.deepcopy(VALID)


def write_csv(path: Path, rows: Sequence[Mapping[str, str]], columns: Sequence[str]) -> Path:
    """Write rows as UTF-8 CSV with a header row; values are written as given."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_parquet(path: Path, rows: Sequence[Mapping[str, str]], columns: Sequence[str]) -> Path:
    """Write rows as Parquet with every column a string (blank written as null)."""
    con = duckdb.connect()
    if rows:
        values = ", ".join(
            "(" + ", ".join(_literal(row.get(c)) for c in columns) + ")" for row in rows
        )
        names = ", ".join(f'"{c}"' for c in columns)
        query = f"SELECT * FROM (VALUES {values}) AS t({names})"
    else:
        query = (
            "SELECT " + ", ".join(f'CAST(NULL AS VARCHAR) AS "{c}"' for c in columns) + " LIMIT 0"
        )
    con.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet)")
    con.close()
    return path


def _literal(value: str | None) -> str:
    if value is None or value == "":
        return "CAST(NULL AS VARCHAR)"
    return "'" + value.replace("'", "''") + "'"


def columns_of(table: str, rows: Sequence[Mapping[str, str]]) -> list[str]:
    """The schema's columns of a table that the rows have (all when there are no rows), in
    schema order, then any extra columns found in the rows."""
    present = {name for row in rows for name in row}
    columns = [name for name in schema.table(table).column_names if not rows or name in present]
    for row in rows:
        columns += [name for name in row if name not in columns]
    return columns


MakeExtract = Callable[..., Path]


@pytest.fixture
def make_extract(tmp_path) -> MakeExtract:
    """make_extract(rows=None, *, drop=(), parquet=(), raw=None, name=None) -> extract dir.

    rows: table -> rows replacing VALID's rows for that table (others stay valid).
    drop: tables whose files are left out.
    parquet: tables written as Parquet instead of CSV.
    raw: file name -> bytes written exactly (e.g. a UTF-16 file), replacing any table file.
    also: file name -> bytes written as well as the tables' files.
    """
    counter = itertools.count(1)

    def make(
        rows: Mapping[str, Rows] | None = None,
        *,
        drop: Sequence[str] = (),
        parquet: Sequence[str] = (),
        raw: Mapping[str, bytes] | None = None,
        also: Mapping[str, bytes] | None = None,
        name: str | None = None,
    ) -> Path:
        directory = tmp_path / (name or f"extract-{next(counter)}")
        directory.mkdir()
        tables = valid_rows()
        tables.update(rows or {})
        raw = dict(raw or {})
        raw_tables = {file_name.rsplit(".", 1)[0] for file_name in raw}
        for table, table_rows in tables.items():
            if table in drop or table in raw_tables:
                continue
            columns = columns_of(table, table_rows)
            if table in parquet:
                write_parquet(directory / f"{table}.parquet", table_rows, columns)
            else:
                write_csv(directory / f"{table}.csv", table_rows, columns)
        for file_name, content in {**raw, **(also or {})}.items():
            (directory / file_name).write_bytes(content)
        return directory

    return make


@pytest.fixture
def datasets_dir(tmp_path) -> Path:
    return tmp_path / "datasets"


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """Every path under a directory with its size and mode: to show nothing changed."""
    if not directory.exists():
        return {}
    return {
        str(path.relative_to(directory)): (
            path.stat().st_size if path.is_file() else -1,
            path.stat().st_mode,
        )
        for path in sorted(directory.rglob("*"))
    }


@pytest.fixture
def extract_date() -> date:
    """The date the test extracts were taken: every date in VALID is on or before it."""
    return EXTRACT_DATE


@pytest.fixture(name="valid_rows")
def valid_rows_fixture() -> Callable[[], dict[str, Rows]]:
    """valid_rows() gives a fresh copy of the valid rows of every table, safe to change."""
    return valid_rows


@pytest.fixture(name="snapshot")
def snapshot_fixture() -> Callable[[Path], dict[str, tuple[int, int]]]:
    """snapshot(directory): every path under it with size and mode, to show nothing changed."""
    return snapshot


@pytest.fixture
def ethnicity_cases() -> tuple[tuple[str, str | None, str], ...]:
    """(raw value as written, expected code, expected status) for each patient, in row order."""
    return tuple(
        (raw, code, status)
        for raw, (code, status) in zip(ETHNICITY_RAW, ETHNICITY_EXPECTED, strict=True)
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than about 10 seconds")
