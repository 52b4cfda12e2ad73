"""Loading streams: a file several times larger than DuckDB's memory limit loads, and is checked."""

from __future__ import annotations

import duckdb
import pytest

from pcref.analytics.extract.load import ingest

ROWS = 1_500_000  # about 65 MB of CSV
MEMORY_LIMIT = "64MB"


def _append_contacts(source, rows: int, *, bad_row: int | None = None) -> int:
    """Append generated contacts to the valid extract's file; return the file's size in bytes.

    Each generated contact belongs to one of the valid referrals, so every key checks out. With
    `bad_row`, that data row (1-based, counting the 5 valid rows first) gets an impossible date.
    """
    path = source / "mhs201_care_contacts.csv"
    body = source / "generated.csv"
    bad = bad_row - 5 - 1 if bad_row else -1
    con = duckdb.connect()
    con.execute(
        f"""COPY (
            SELECT 'G' || lpad(i::VARCHAR, 9, '0') AS contact_id,
                'R00' || (1 + i % 4)::VARCHAR AS referral_id,
                'P00' || (1 + i % 4)::VARCHAR AS person_id,
                'TEAM-' || (i % 50)::VARCHAR AS service_team_code,
                CASE WHEN i = {bad} THEN '2024-02-30'
                    ELSE strftime(DATE '2024-04-01' + (i % 365)::INTEGER, '%Y-%m-%d') END
                    AS contact_date,
                (['2', '3', '4', '5', '6', '7'])[1 + (i % 6)::INTEGER] AS attended
            FROM range({rows}) AS r(i)
        ) TO '{body}' (FORMAT csv, HEADER false)"""
    )
    con.close()
    with path.open("ab") as target, body.open("rb") as generated:
        while chunk := generated.read(1 << 20):
            target.write(chunk)
    body.unlink()
    return path.stat().st_size


@pytest.mark.slow
def test_a_file_larger_than_the_memory_limit_loads(
    make_extract, datasets_dir, extract_date, tmp_path
):
    source = make_extract()
    size = _append_contacts(source, ROWS)
    assert size > 60_000_000  # about a hundred times more than the limit allows to hold at once

    result = ingest(
        source,
        datasets_dir,
        extract_date=extract_date,
        memory_limit=MEMORY_LIMIT,
        threads=2,
        work_dir=tmp_path,
    )

    assert result.ok, result.summary()
    assert result.dataset.manifest["row_counts"]["mhs201_care_contacts"] == ROWS + 5
    count = (
        duckdb.connect()
        .execute(
            f"SELECT count(*), count(DISTINCT contact_id) FROM "
            f"read_parquet('{result.dataset.table_path('mhs201_care_contacts')}')"
        )
        .fetchone()
    )
    assert count == (ROWS + 5, ROWS + 5)
    result.dataset.verify()
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith("pcref-")] == []


@pytest.mark.slow
def test_a_bad_value_deep_in_a_large_file_is_found_by_its_row(
    make_extract, datasets_dir, extract_date
):
    source = make_extract()
    _append_contacts(source, ROWS, bad_row=1_234_567)

    result = ingest(source, datasets_dir, extract_date=extract_date, memory_limit=MEMORY_LIMIT)

    (problem,) = [p for p in result.problems if p.severity == "error"]
    assert (problem.rule, problem.row, problem.value) == ("type", 1_234_567, "2024-02-30")
    assert not datasets_dir.exists()
