"""The schema helpers the loader relies on agree with the tables they describe."""

from __future__ import annotations

import pytest

from pcref.analytics.extract import schema


def test_no_schema_column_looks_identifying():
    for table in schema.TABLES:
        for column in table.columns:
            assert not schema.looks_identifying(column.name), f"{table.name}.{column.name}"


@pytest.mark.parametrize(
    "name",
    [
        "name",
        "Surname",
        "FORENAME",
        "first_name",
        "FirstName",
        "last name",
        "full-name",
        "patient_name",
        "address",
        "Address Line 1",
        "home_address",
        "postcode",
        "patient_postcode",
        "date_of_birth",
        "DateOfBirth",
        "DOB",
        "nhs_number",
        "NHS Number",
        "NHSNumber",
        "nhs-no",
    ],
)
def test_identifying_names(name):
    assert schema.looks_identifying(name)


@pytest.mark.parametrize(
    "name",
    ["team_name", "ward_name", "addressee_type", "year_of_birth", "nhs_trust", "named_nurse"],
)
def test_names_that_do_not_identify_people(name):
    assert not schema.looks_identifying(name)


def test_date_helpers_name_date_columns_of_their_tables():
    for name, pairs in schema.DATE_ORDER.items():
        table = schema.table(name)
        for start, end in pairs:
            assert table.column(start).type == schema.DATE
            assert table.column(end).type == schema.DATE
    for name, column in schema.EVENT_DATE_COLUMNS.items():
        assert schema.table(name).column(column).type == schema.DATE
    for name, columns in schema.YEAR_COLUMNS.items():
        assert all(schema.table(name).column(c).type == schema.INTEGER for c in columns)
    for name, columns in schema.NON_NEGATIVE_COLUMNS.items():
        assert all(
            schema.table(name).column(c).type in (schema.INTEGER, schema.NUMBER) for c in columns
        )


def test_stored_columns_add_three_after_each_raw_ethnicity_column():
    for table in schema.TABLES:
        raw = [column for column in table.columns if column.normalise_ethnicity]
        assert len(raw) <= 1, f"{table.name}: the status column name would clash"
        stored = dict(schema.stored_columns(table))
        assert len(stored) == len(table.columns) + 3 * len(raw)
        for column in raw:
            assert stored[schema.ethnicity_code_column(column.name)] == "VARCHAR"
            assert stored[schema.ETHNICITY_STATUS_COLUMN] == "VARCHAR"


def test_every_column_type_has_a_storage_type():
    assert set(schema.STORAGE_TYPES) == set(schema.COLUMN_TYPES)
