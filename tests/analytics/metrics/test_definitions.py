"""MetricDefinition is checked when built: a wrong field is refused with a message naming it."""

import math

import pytest

from pcref.analytics.extract.schema import TABLES_BY_NAME
from pcref.analytics.metrics import (
    CATALOGUE,
    COMPARISON_GROUPS,
    Condition,
    MetricDefinition,
    standard_weights,
)
from pcref.analytics.stats import ESP2013


def define(**changes) -> MetricDefinition:
    """A valid definition (detentions per 100,000) with some fields changed."""
    fields = {
        "id": "TRUST1",
        "title": "Detentions",
        "description": "Detention episodes per 100,000 residents.",
        "tables": ("mhs401_mha_episodes",),
        "statistic": "rate",
        "denominator": "population",
        "numerator": (Condition("legal_status_code", "in", {"02", "03"}),),
        "multiplier": 100_000,
        "breakdowns": {"broad"},
        "comparison_groups": ("White",),
    }
    fields.update(changes)
    return MetricDefinition(**fields)


def test_a_valid_definition_is_built_with_its_fields_normalised():
    definition = define(tables="mhs401_mha_episodes", comparison_groups="White British")
    assert definition.tables == ("mhs401_mha_episodes",)
    assert definition.comparison_groups == ("White British",)
    assert definition.breakdowns == frozenset({"broad"})
    assert definition.numerator[0].value == frozenset({"02", "03"})
    assert definition.event_date == {"mhs401_mha_episodes": "start_date"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"tables": ("mhs999_nothing",)},
            "metric 'TRUST1': tables: unknown table 'mhs999_nothing'",
        ),
        ({"tables": ("population",)}, "unknown table 'population'"),
        (
            {"numerator": (Condition("legal_status", "in", {"02"}),)},
            "metric 'TRUST1': numerator names no column of table 'mhs401_mha_episodes'; "
            "got 'legal_status'",
        ),
        (
            {"scope": (Condition("ward_code", "eq", "W1"),)},
            "scope names no column of table 'mhs401_mha_episodes'; got 'ward_code'",
        ),
        ({"multiplier": 0}, "metric 'TRUST1': multiplier must be a finite number above 0; got 0"),
        ({"multiplier": -100}, "multiplier must be a finite number above 0; got -100"),
        ({"multiplier": "100000"}, "multiplier must be a finite number above 0; got '100000'"),
        ({"multiplier": True}, "multiplier must be a finite number above 0; got True"),
        ({"multiplier": math.inf}, "multiplier must be a finite number above 0; got inf"),
        (
            {"comparison_groups": ("Whites",)},
            "metric 'TRUST1': comparison_groups must name groups of White, White British; "
            "got 'Whites'",
        ),
        ({"statistic": "ratio"}, "statistic must be one of rate, dsr, proportion"),
        (
            {"statistic": "proportion"},
            "denominator must be one of records, inpatients for a 'proportion' statistic; "
            "got 'population'",
        ),
        ({"breakdowns": {"broad", "ward"}}, "breakdowns must be among broad, detailed"),
        (
            {"breakdowns": {"broad", "service"}},
            "cannot split a population rate by organisation or service",
        ),
        ({"breakdowns": {"age_band"}}, "comparison_groups need a 'broad' or 'detailed' breakdown"),
        ({"improvement": "up"}, "improvement must be one of increase, decrease, neutral"),
        ({"date_column": "legal_status_code"}, "date_column must be a date column of table"),
        ({"overlap": ("start_date", "end_date")}, "overlap counts people only"),
        ({"count": "persons"}, "count must be one of rows, people; got 'persons'"),
        ({"repeat_events": True, "count": "people"}, "repeat_events needs count 'rows'"),
        (
            {"numerator": (Condition("legal_status_code", "in", {2, 3}),)},
            "compares string column 'legal_status_code' with a value of another type",
        ),
        ({"id": "1st metric"}, "metric id must start with a letter"),
        ({"value_column": "start_date"}, "value_column is not used by a 'rate'"),
    ],
)
def test_a_wrong_field_is_refused_naming_it(changes, message):
    with pytest.raises(ValueError, match=_escaped(message)):
        define(**changes)


def _escaped(text: str) -> str:
    import re

    return re.escape(text)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("ward", "like", "W%"), "operator must be one of in, not_in"),
        (("ward", "in", "W1"), "'in' needs a set of values; got 'W1'"),
        (("ward", "in", ()), "'in' has no values"),
        (("ward", "eq", None), "'eq' needs one value"),
        (("ward", "is_null", "x"), "'is_null' takes no value"),
    ],
)
def test_a_bad_condition_is_refused_naming_it(arguments, message):
    with pytest.raises(ValueError, match=_escaped(message)):
        Condition(*arguments)


def test_a_mean_needs_a_numeric_value_column():
    with pytest.raises(ValueError, match="value_column is needed for a 'mean'"):
        define(statistic="mean", denominator="records", comparison_groups=(), breakdowns=())
    with pytest.raises(ValueError, match="value_column must be a integer or number column"):
        MetricDefinition(
            id="LOS9",
            title="t",
            description="d",
            tables="mhs501_hospital_spells",
            statistic="mean",
            denominator="records",
            value_column="ward_code",
        )


def test_the_catalogue_covers_pcref_section_9():
    ids = set(CATALOGUE)
    for expected in (
        "DQ1",
        "DQ2",
        "DQ3",
        "DQ3.not_known",
        "DQ3.missing",
        "DQ3.invalid",
        "ACC1.referrals",
        "ACC1.people",
        "ACC1.referrals.standardised",
        "ACC2",
        "MHA1.people",
        "MHA1.episodes",
        "MHA1.episodes.standardised",
        "MHA2.ctos",
        "MHA2.people",
        "MHA3",
        "RI1.physical_restraint",
        "RI1.prone_restraint",
        "RI1.seclusion",
        "RI1.rapid_tranquillisation",
        "RI1.any",
        "RI2.any",
        "LOS1.mean",
        "LOS1.median",
        "OUT1",
        "EXP1",
        "EXP2",
    ):
        assert expected in ids
    # every catalogue metric reads extract tables (or the feedback table), none Django
    for definition in CATALOGUE.values():
        for table in definition.tables:
            assert table in TABLES_BY_NAME or table == "feedback_responses"


def test_comparison_groups_follow_the_crosswalk():
    white = COMPARISON_GROUPS["White"]
    assert white.codes == frozenset("ABC")
    assert white.census_codes == frozenset({"13", "14", "15", "16", "17"})  # Gypsy and Roma too
    assert COMPARISON_GROUPS["White British"].codes == frozenset("A")
    assert COMPARISON_GROUPS["White British"].census_codes == frozenset({"13"})


def test_esp2013_is_collapsed_into_the_extract_age_bands_by_shared_years():
    weights = standard_weights()
    # 0-17: 0-4, 5-9, 10-14 and 3/5 of 15-19; 18-34: 2/5 of 15-19, 20-24, 25-29, 30-34
    assert weights["0-17"] == 5000 + 5500 + 5500 + 5500 * 3 / 5
    assert weights["18-34"] == 5500 * 2 / 5 + 6000 + 6000 + 6500
    assert weights["65+"] == 5500 + 5000 + 4000 + 2500 + 1500 + 1000
    assert sum(weights.values()) == sum(ESP2013.values()) == 100_000
    assert standard_weights(["0-4", "5-89", "90+"])["90+"] == 1000
    with pytest.raises(ValueError, match="'5-9' starts at 5"):
        standard_weights(["0-3", "5-9", "10+"])
    with pytest.raises(ValueError, match="the last age band must be open"):
        standard_weights(["0-17", "18-64"])
