"""A small dataset version written with pyarrow, every figure countable by hand.

Financial year 2024/25 (the manifest's reporting period), one organisation RX1, teams T1 and T2,
wards W1 and W2. Ten people:

    P1  A  White British   male    born 1990 (18-34)      P6  Z   not stated  male    1985
    P2  B  White Irish     female  1980 (35-49)           P7  99  not known   female  1950
    P3  M  Black Caribbean male    1995 (18-34)           P8  --  missing     male    1990
    P4  N  Black African   female  1970 (50-64)           P9  XX  invalid     female  2000
    P5  H  Indian          male    2010 (0-17)            P10 A   White British female 1960

Population: 100 residents in each sex and age band (10 cells) of Census groups 13 (A), 14 (B),
15 (Gypsy or Irish Traveller: White, no NHS code), 7 (Caribbean, M), 6 (African, N) and 3
(Indian, H): 6,000 in all; White 3,000, Black 2,000, Asian 1,000; each code 1,000.
"""

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pcref.analytics.extract.schema import AGE_BANDS, TABLES_BY_NAME

D = dt.date


def pytest_configure(config):
    config.addinivalue_line("markers", "spark: runs on a local Spark session (slow start-up)")


PATIENTS = [
    # person, raw ethnicity, code, status, sex, year of birth
    ("P1", "A", "A", "valid", "1", 1990),
    ("P2", "B", "B", "valid", "2", 1980),
    ("P3", "M", "M", "valid", "1", 1995),
    ("P4", "N", "N", "valid", "2", 1970),
    ("P5", "H", "H", "valid", "1", 2010),
    ("P6", "Z", "Z", "not_stated", "1", 1985),
    ("P7", "99", "99", "not_known", "2", 1950),
    ("P8", None, None, "missing", "1", 1990),
    ("P9", "XX", None, "invalid", "2", 2000),
    ("P10", "A", "A", "valid", "2", 1960),
]
REFERRALS = [
    ("R1", "P1", "T1", D(2024, 4, 5), "A1"),
    ("R2", "P1", "T1", D(2024, 4, 20), "E1"),
    ("R3", "P3", "T1", D(2024, 4, 10), "E1"),
    ("R4", "P4", "T2", D(2024, 5, 2), "A1"),
    ("R5", "P6", "T2", D(2024, 5, 15), "B1"),
    ("R6", "P8", "T2", D(2024, 5, 20), "E2"),
    ("R7", "P2", "T1", D(2024, 7, 1), "A1"),
    ("R8", "P5", "T1", D(2023, 12, 1), "A1"),  # before the reporting period: never counted
    ("R9", "P9", "T2", D(2024, 6, 1), "A1"),
]
CONTACTS = [
    ("K1", "R1", "P1", "T1", D(2024, 4, 6), "5"),
    ("K2", "R5", "P6", "T2", D(2024, 5, 16), "5"),
    ("K3", "R6", "P8", "T2", D(2024, 5, 21), "2"),
    ("K4", "R3", "P3", "T1", D(2024, 4, 11), "5"),
]
MHA_EPISODES = [
    ("E1", "P3", "03", D(2024, 4, 3), D(2024, 6, 1)),
    ("E2", "P3", "02", D(2024, 8, 1), None),
    ("E3", "P4", "02", D(2024, 4, 15), D(2024, 5, 10)),
    ("E4", "P1", "03", D(2024, 5, 1), None),
    ("E5", "P2", "01", D(2024, 4, 1), None),  # informal: not a detention
    ("E6", "P6", "20", D(2024, 4, 20), D(2024, 4, 21)),  # section 136
    ("E7", "P3", "20", D(2024, 4, 2), D(2024, 4, 2)),
    ("E8", "P7", "20", D(2024, 5, 5), D(2024, 5, 6)),
]
CTOS = [
    ("C1", "P3", D(2024, 6, 10), None),
    ("C2", "P1", D(2024, 1, 1), D(2024, 4, 30)),  # started before the period, on a CTO in April
]
SPELLS = [
    ("S1", "P3", "W1", D(2024, 4, 1), D(2024, 4, 11)),
    ("S2", "P4", "W1", D(2024, 3, 20), D(2024, 4, 5)),
    ("S3", "P1", "W2", D(2024, 4, 25), None),
    ("S4", "P6", "W2", D(2024, 5, 10), D(2024, 5, 10)),
    ("S5", "P2", "W1", D(2024, 6, 1), D(2024, 6, 21)),
]
INTERVENTIONS = [
    ("I1", "P3", "S1", "W1", D(2024, 4, 2), "01"),
    ("I2", "P3", "S1", "W1", D(2024, 4, 3), "06"),
    ("I3", "P3", "S1", "W1", D(2024, 4, 4), "01"),
    ("I4", "P4", "S2", "W1", D(2024, 4, 2), "04"),
    ("I5", "P1", "S3", "W2", D(2024, 4, 28), "02"),
]
OUTCOMES = [
    ("O1", "P1", "R1", "T1", "HONOS", 20.0, D(2024, 4, 6), 10.0, D(2024, 6, 1)),
    ("O2", "P3", "R3", "T1", "HONOS", 20.0, D(2024, 4, 11), 15.0, D(2024, 6, 2)),
    ("O3", "P4", "R4", "T2", "REQOL10", 10.0, D(2024, 5, 3), 16.0, D(2024, 6, 3)),
    ("O4", "P2", "R7", "T1", "CORE10", 10.0, D(2024, 7, 2), 18.0, D(2024, 7, 5)),
]
POPULATION_GROUPS = ("13", "14", "15", "7", "6", "3")

_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "date": pa.date32()}


def write_table(folder: Path, name: str, rows: list[tuple], columns=None, types=None) -> None:
    """Write rows as `<name>.parquet`, typed from the schema (or the given columns/types)."""
    if columns is None:
        table = TABLES_BY_NAME[name]
        columns = list(table.column_names)
        types = [_TYPES[column.type] for column in table.columns]
    arrays = {
        column: pa.array([row[i] for row in rows], type=kind)
        for i, (column, kind) in enumerate(zip(columns, types, strict=True))
    }
    pq.write_table(pa.table(arrays), folder / f"{name}.parquet")


def write_patients(folder: Path, patients) -> None:
    table = TABLES_BY_NAME["mhs001_patients"]
    columns = [*table.column_names, "ethnic_category_code", "ethnicity_status"]
    columns.append("ethnicity_mapping_version")
    types = [_TYPES[column.type] for column in table.columns] + [pa.string()] * 3
    rows = [
        (person, "RX1", raw, sex, born, "E06000016", code, status, "v1")
        for person, raw, code, status, sex, born in patients
    ]
    write_table(folder, "mhs001_patients", rows, columns, types)


def write_population(folder: Path, groups=POPULATION_GROUPS, residents=100) -> None:
    rows = [
        ("E06000016", group, sex, band, residents)
        for group in groups
        for sex in ("1", "2")
        for band in AGE_BANDS
    ]
    write_table(folder, "population", rows)


def write_dataset(folder: Path, *, referrals=REFERRALS, patients=PATIENTS, outcomes=True):
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"reporting_period": {"start": "2024-04-01", "end": "2025-03-31"}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    write_patients(folder, patients)
    write_population(folder)
    write_table(
        folder,
        "mhs101_referrals",
        [(r, p, "RX1", team, day, source, None) for r, p, team, day, source in referrals],
    )
    write_table(folder, "mhs201_care_contacts", CONTACTS)
    write_table(
        folder, "mhs401_mha_episodes", [(e, p, "RX1", s, a, b) for e, p, s, a, b in MHA_EPISODES]
    )
    write_table(folder, "mhs404_cto", [(c, p, "RX1", a, b) for c, p, a, b in CTOS])
    write_table(
        folder, "mhs501_hospital_spells", [(s, p, "RX1", w, a, b) for s, p, w, a, b in SPELLS]
    )
    write_table(folder, "mhs505_restrictive_interventions", INTERVENTIONS)
    if outcomes:
        write_table(folder, "mhs606_outcome_measures", OUTCOMES)
    return folder


@pytest.fixture(scope="session")
def dataset(tmp_path_factory) -> Path:
    """The hand-countable dataset version, written once per test session."""
    return write_dataset(tmp_path_factory.mktemp("dataset") / "v0001")


@pytest.fixture(scope="session")
def results(dataset):
    """The whole catalogue run on DuckDB, once per test session."""
    from pcref.analytics.engine import run_metrics

    return run_metrics(dataset).to_pandas()


@pytest.fixture(scope="session")
def dataset_writer():
    """`write_dataset(folder, referrals=..., patients=..., outcomes=True)`, for variants."""
    return write_dataset


@pytest.fixture(scope="session")
def spark_session():
    """One local Spark session for the whole test session (start-up takes about 20 s)."""
    pyspark = pytest.importorskip("pyspark.sql")
    session = (
        pyspark.SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield session
    session.stop()
