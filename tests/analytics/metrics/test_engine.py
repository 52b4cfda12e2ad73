"""The engine on the hand-countable dataset of conftest.py: every catalogue metric's numerator,
denominator and value as counted by hand, a trust's own definition, DSRs, SPC and the files.

Periods: the manifest gives financial year 2024/25, so a year's person-years are its residents,
a quarter's a quarter of them and a month's a twelfth (6,000 residents: 500 person-years).
"""

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pcref.analytics import stats
from pcref.analytics.engine import RESULT_COLUMNS, run_metrics, write_results
from pcref.analytics.metrics import CATALOGUE, Condition, MetricDefinition, standard_weights

FY = ("financial_year", "2024/25")
APRIL = ("month", "2024-04")


def row(results, metric, period=FY, scheme="all", group="all", *, comparison=None, **where):
    """The one result row for a metric, period, group (and location, comparison group)."""
    chosen = results[
        (results["metric"] == metric)
        & (results["period_type"] == period[0])
        & (results["period"] == period[1])
        & (results["group_scheme"] == scheme)
        & (results["group"] == group)
        & (results["organisation"] == where.get("organisation", "all"))
        & (results["service"] == where.get("service", "all"))
    ]
    if comparison is None:
        chosen = chosen[chosen["comparison_group"].isna()]
    else:
        chosen = chosen[chosen["comparison_group"] == comparison]
    assert len(chosen) == 1, f"{metric} {period} {scheme} {group}: {len(chosen)} rows"
    return chosen.iloc[0]


def check(found, numerator, denominator, value):
    assert (found["numerator"], found["denominator"]) == (numerator, denominator)
    assert found["value"] == pytest.approx(value, rel=1e-12)


def test_results_have_the_fixed_columns_and_one_row_per_key(results):
    assert tuple(results.columns) == RESULT_COLUMNS
    keys = ["metric", "period_type", "period", "organisation", "service", "group_scheme"]
    keys += ["group", "comparison_group"]
    assert not results.duplicated(keys).any()
    assert set(results["period_type"]) == {"financial_year", "quarter", "month", "extract"}
    # EXP1 and EXP2 read the feedback table, which this dataset has not: skipped; no SDQ
    # episodes, so OUT1.SDQ has no rows
    assert set(results["metric"]) == set(CATALOGUE) - {"EXP1", "EXP2", "OUT1.SDQ"}


def test_data_quality_by_dataset_team_and_month(results):
    # mhs001: 10 people, 6 valid, 1 each not stated, not known, missing, invalid
    check(row(results, "DQ1", ("extract", "all"), "dataset", "mhs001_patients"), 6, 10, 60)
    check(row(results, "DQ2", ("extract", "all"), "dataset", "mhs001_patients"), 1, 10, 10)
    check(row(results, "DQ3", ("extract", "all"), "dataset", "mhs001_patients"), 3, 10, 30)
    for part in ("not_known", "missing", "invalid"):
        found = row(results, f"DQ3.{part}", ("extract", "all"), "dataset", "mhs001_patients")
        check(found, 1, 10, 10)
    # referrals in 2024/25: R1-R7 and R9 (R8 is before the period); R5 not stated, R6 missing,
    # R9 invalid
    check(row(results, "DQ1", FY, "dataset", "mhs101_referrals"), 5, 8, 62.5)
    check(row(results, "DQ3", FY, "dataset", "mhs101_referrals"), 2, 8, 25)
    # team T2: R4 (valid), R5, R6, R9
    found = row(results, "DQ1", FY, "dataset", "mhs101_referrals", organisation="RX1", service="T2")
    check(found, 1, 4, 25)
    # contacts in May: K2 (not stated) and K3 (missing)
    check(row(results, "DQ2", ("month", "2024-05"), "dataset", "mhs201_care_contacts"), 1, 2, 50)
    # all dated datasets pooled over the year: 8 referrals, 4 contacts, 4 spells admitted in the
    # period (S2 was admitted in March), 8 MHA episodes, 1 CTO, 5 interventions, 4 outcomes
    check(
        row(results, "DQ1", FY), 5 + 2 + 3 + 6 + 1 + 5 + 4, 8 + 4 + 4 + 8 + 1 + 5 + 4, 26 / 34 * 100
    )
    assert row(results, "DQ1", FY)["method"] == "Wilson"


def test_access_rates_per_100000_residents_per_year(results):
    # 8 referrals over 6,000 residents in the year
    check(row(results, "ACC1.referrals"), 8, 6000, 8 / 6000 * 100_000)
    # White: R1, R2 (P1, A) and R7 (P2, B) over 3,000 (census 13, 14 and 15)
    check(row(results, "ACC1.referrals", FY, "broad", "White", comparison="White"), 3, 3000, 100)
    check(row(results, "ACC1.referrals", FY, "detailed", "A", comparison="White"), 2, 1000, 200)
    check(row(results, "ACC1.referrals", FY, "broad", "Asian", comparison="White"), 0, 1000, 0)
    # April: R1, R2, R3 over 6,000 / 12 person-years
    check(row(results, "ACC1.referrals", APRIL), 3, 500, 600)
    # the first quarter: R1-R6 and R9
    check(row(results, "ACC1.referrals", ("quarter", "2024/25 Q1")), 7, 1500, 7 / 1500 * 100_000)
    # distinct people: P1, P2, P3, P4, P6, P8, P9; in April P1 and P3
    check(row(results, "ACC1.people"), 7, 6000, 7 / 6000 * 100_000)
    check(row(results, "ACC1.people", APRIL), 2, 500, 400)
    # by age band (born 1990, 1995, 1990, 2000: 18-34) and sex
    check(row(results, "ACC1.people", FY, "age_band", "18-34"), 4, 1200, 4 / 1200 * 100_000)
    check(row(results, "ACC1.people", FY, "sex", "2"), 3, 3000, 100)


def test_excluded_ethnicity_is_reported_not_counted_in_groups(results):
    excluded = results[
        (results["metric"] == "ACC1.referrals")
        & (results["period_type"] == "financial_year")
        & (results["group_scheme"] == "excluded")
    ]
    assert dict(zip(excluded["group"], excluded["numerator"], strict=True)) == {
        "invalid": 1,
        "missing": 1,
        "not_stated": 1,
    }
    assert excluded["denominator"].isna().all() and excluded["value"].isna().all()
    broad = results[
        (results["metric"] == "ACC1.referrals")
        & (results["period_type"] == "financial_year")
        & (results["group_scheme"] == "broad")
        & results["comparison_group"].isna()
    ]
    assert broad.empty  # ethnic groups come with their comparisons
    groups = results[
        (results["metric"] == "ACC1.referrals")
        & (results["period_type"] == "financial_year")
        & (results["group_scheme"] == "broad")
        & (results["comparison_group"] == "White")
    ]
    assert groups["numerator"].sum() + excluded["numerator"].sum() == 8


def test_justice_referral_share_with_ratio_of_proportions(results):
    # R2 (E1), R3 (E1), R6 (E2) of 8
    check(row(results, "ACC2"), 3, 8, 37.5)
    white = row(results, "ACC2", FY, "broad", "White", comparison="White")
    black = row(results, "ACC2", FY, "broad", "Black", comparison="White")
    check(white, 1, 3, 100 / 3)
    check(black, 1, 2, 50)
    expected = stats.proportion_ratio(1, 2, 1, 3)
    assert black["ratio"] == pytest.approx(1.5, rel=1e-12)
    assert (black["ratio_lower"], black["ratio_upper"]) == pytest.approx(
        (expected.lower, expected.upper), rel=1e-12
    )
    assert black["ratio_method"] == "Katz log"
    # against White British (A: R1, R2, one of two from justice)
    assert row(results, "ACC2", FY, "broad", "Black", comparison="White British")["ratio"] == 1
    check(row(results, "ACC2", FY, "all", "all", organisation="RX1", service="T1"), 2, 4, 50)


def test_detentions_in_people_and_episodes(results):
    # 3 people detained (P1, P3, P4), of whom 2 Black (P3, P4); 4 episodes (P3 twice)
    check(row(results, "MHA1.people"), 3, 6000, 50)
    black = row(results, "MHA1.people", FY, "broad", "Black", comparison="White")
    check(black, 2, 2000, 100)
    expected = stats.rate_ratio(2, 2000, 1, 3000)
    assert (black["ratio"], black["ratio_lower"], black["ratio_upper"]) == pytest.approx(
        (3.0, expected.lower, expected.upper), rel=1e-12
    )
    assert black["ratio_method"] == "exact"
    check(row(results, "MHA1.episodes"), 4, 6000, 4 / 6000 * 100_000)
    episodes = row(results, "MHA1.episodes", FY, "broad", "Black", comparison="White")
    check(episodes, 3, 2000, 150)
    assert episodes["ratio"] == pytest.approx(4.5, rel=1e-12)
    assert episodes["ratio_method"] == "log, variance inflated for repeat events"
    british = row(results, "MHA1.episodes", FY, "broad", "Black", comparison="White British")
    assert british["ratio"] == pytest.approx((3 / 2000) / (1 / 1000), rel=1e-12)
    # E5 is informal; sections 136 (E6, E7, E8) are MHA3, not detentions
    check(row(results, "MHA3"), 3, 6000, 50)
    check(row(results, "MHA3", FY, "broad", "Black", comparison="White"), 1, 2000, 50)
    assert row(results, "MHA1.people", FY, "age_band", "18-34")["numerator"] == 2


def test_community_treatment_orders_started_and_people_on_one(results):
    # C1 starts in June; C2 started in January 2024, before the period
    check(row(results, "MHA2.ctos"), 1, 6000, 1 / 6000 * 100_000)
    # on a CTO at some time in the year: P1 (C2 to 30 April) and P3 (C1, still open)
    check(row(results, "MHA2.people"), 2, 6000, 2 / 6000 * 100_000)
    check(row(results, "MHA2.people", APRIL), 1, 500, 200)
    check(row(results, "MHA2.people", ("month", "2024-05")), 0, 500, 0)
    check(row(results, "MHA2.people", ("month", "2025-03")), 1, 500, 200)


def test_restrictive_interventions_per_occupied_bed_days(results):
    # April bed days, admission day counted, discharge day not: S1 1-10 April (10), S2 1-4
    # April (4), S3 25-30 April (6): 20; Black (S1, S2) 14, White (S3) 6
    check(row(results, "RI1.any", APRIL), 5, 20, 250)
    black = row(results, "RI1.any", APRIL, "broad", "Black", comparison="White")
    check(black, 4, 14, 4 / 14 * 1000)
    assert black["ratio"] == pytest.approx((4 / 14) / (1 / 6), rel=1e-12)
    check(row(results, "RI1.physical_restraint", APRIL), 3, 20, 150)
    check(row(results, "RI1.prone_restraint", APRIL), 2, 20, 100)
    check(row(results, "RI1.seclusion", APRIL), 1, 20, 50)
    check(row(results, "RI1.rapid_tranquillisation", APRIL), 1, 20, 50)
    # the year: S1 10, S2 4, S3 from 25 April to 31 March (still open) 341, S4 0 (same day),
    # S5 20
    check(row(results, "RI1.any", FY), 5, 375, 5 / 375 * 1000)
    check(
        row(results, "RI1.any", APRIL, "all", "all", organisation="RX1", service="W1"),
        4,
        14,
        4 / 14 * 1000,
    )


def test_people_restrained_per_1000_inpatients(results):
    # April inpatients: P3, P4, P1; restrained: all three; physically: P3 and P1
    check(row(results, "RI2.any", APRIL), 3, 3, 1000)
    check(row(results, "RI2.physical_restraint", APRIL), 2, 3, 2000 / 3)
    black = row(results, "RI2.physical_restraint", APRIL, "broad", "Black", comparison="White")
    check(black, 1, 2, 500)
    assert black["ratio"] == pytest.approx(0.5, rel=1e-12)
    # the year's inpatients: P3, P4, P1, P6 (same-day spell in May), P2
    check(row(results, "RI2.any", FY), 3, 5, 600)


def test_length_of_stay_mean_and_median(results):
    # spells discharged in the year: S1 10 days, S2 16, S4 0, S5 20 (S3 is still open)
    mean = row(results, "LOS1.mean")
    check(mean, 46, 4, 11.5)
    expected = stats.mean([10, 16, 0, 20])
    assert (mean["lower"], mean["upper"]) == pytest.approx((expected.lower, expected.upper))
    assert mean["method"] == "Student's t-distribution"
    check(row(results, "LOS1.median"), 46, 4, 13)
    check(row(results, "LOS1.median", APRIL), 26, 2, 13)
    check(
        row(results, "LOS1.median", FY, "all", "all", organisation="RX1", service="W1"), 46, 3, 16
    )
    single = row(results, "LOS1.mean", ("month", "2024-06"))
    check(single, 20, 1, 20)
    assert math.isnan(single["lower"])


def test_reliable_improvement(results):
    # O1 HoNOS 20 -> 10 (8 needed, lower better): improved; O2 20 -> 15: not; O3 ReQoL 10 -> 16
    # (5 needed, higher better): improved; O4 CORE-10 10 -> 18: worse
    check(row(results, "OUT1"), 2, 4, 50)
    check(row(results, "OUT1.HONOS"), 1, 2, 50)
    check(row(results, "OUT1.REQOL10"), 1, 1, 100)
    check(row(results, "OUT1", ("month", "2024-06")), 2, 3, 200 / 3)
    assert "OUT1.SDQ" not in set(results["metric"])  # no SDQ episodes: no rows


def test_spc_flags_complete_monthly_series(results):
    monthly = results[
        (results["metric"] == "MHA2.people")
        & (results["period_type"] == "month")
        & (results["group_scheme"] == "all")
    ].sort_values("period")
    assert len(monthly) == 12
    # 200, 0, then 200 for ten months: the last seven are a shift above the mean
    assert monthly["spc_special_cause"].tolist()[-7:] == ["concern"] * 7
    assert monthly["spc_variation"].nunique() == 1
    yearly = results[(results["period_type"] != "month")]
    assert yearly["spc_special_cause"].isna().all() and yearly["spc_variation"].isna().all()


def test_age_standardised_rate_by_hand(tmp_path, dataset_writer):
    # 12 referrals in the year: 0-17 two (P5), 18-34 four (P1, P3 twice each), 35-49 three
    # (P2), 50-64 three (P4 once, P10 twice); 1,200 residents in every age band
    referrals = [
        (f"X{i}", person, "T1", day, "A1")
        for i, (person, day) in enumerate(
            [("P5", "2024-04-02"), ("P5", "2024-05-02"), ("P1", "2024-04-03")]
            + [("P1", "2024-06-03"), ("P3", "2024-04-04"), ("P3", "2024-07-04")]
            + [("P2", "2024-04-05"), ("P2", "2024-05-05"), ("P2", "2024-06-05")]
            + [("P4", "2024-04-06"), ("P10", "2024-04-07"), ("P10", "2024-08-07")]
        )
    ]
    import datetime as dt

    referrals = [(r, p, t, dt.date.fromisoformat(d), s) for r, p, t, d, s in referrals]
    folder = dataset_writer(tmp_path / "v0001", referrals=referrals)
    results = run_metrics(
        folder, metrics=["ACC1.referrals.standardised", "ACC1.people.standardised"]
    ).to_pandas()
    weights = standard_weights()
    found = row(results, "ACC1.referrals.standardised")
    by_hand = (2 * weights["0-17"] + 4 * weights["18-34"] + 3 * weights["35-49"]) / 1200
    by_hand += 3 * weights["50-64"] / 1200
    assert found["numerator"] == 12
    assert found["value"] == pytest.approx(by_hand * 100_000 / 100_000, rel=1e-12)
    # repeat referrals: limits from the people with 1, 2 and 3 referrals in each band
    people = {"0-17": [0, 1, 0], "18-34": [0, 2, 0], "35-49": [0, 0, 1], "50-64": [1, 1, 0]}
    people["65+"] = [0, 0, 0]
    expected = stats.dsr(
        people,
        dict.fromkeys(weights, 1200),
        weights,
        independent_events=False,
        frequencies=[1, 2, 3],
    )
    assert (found["lower"], found["upper"]) == pytest.approx(
        (expected.lower, expected.upper), rel=1e-12
    )
    assert found["method"] == "Dobson, with confidence adjusted for non-independent events"
    # 6 people: fewer than 10 events, no DSR (statistics.md §5)
    people_rate = row(results, "ACC1.people.standardised")
    assert people_rate["numerator"] == 6 and math.isnan(people_rate["value"])


def test_a_trust_adds_a_metric_by_writing_a_definition(dataset):
    gp_share = MetricDefinition(
        id="LOCAL.gp_referrals",
        title="Referrals from GPs",
        description="Referrals from a general practitioner as a share of all referrals.",
        tables="mhs101_referrals",
        statistic="proportion",
        denominator="records",
        numerator=(Condition("source_of_referral", "eq", "A1"),),
        unit="%",
        multiplier=100,
        breakdowns={"broad", "service"},
        comparison_groups=("White",),
        improvement="neutral",
    )
    women = MetricDefinition(
        id="LOCAL.women_detained",
        title="Women detained",
        description="Detention episodes of women per 100,000 residents.",
        tables="mhs401_mha_episodes",
        statistic="rate",
        denominator="population",
        numerator=(
            Condition("legal_status_code", "in", {"02", "03"}),
            Condition("sex", "eq", "2"),
        ),
        multiplier=100_000,
    )
    results = run_metrics(dataset, metrics=[gp_share, women], periods=["financial_year"])
    results = results.to_pandas()
    # A1: R1, R4, R7, R9 of 8; White: R1 and R7 of R1, R2, R7
    check(row(results, "LOCAL.gp_referrals"), 4, 8, 50)
    check(
        row(results, "LOCAL.gp_referrals", FY, "broad", "White", comparison="White"), 2, 3, 200 / 3
    )
    check(
        row(results, "LOCAL.gp_referrals", FY, "all", "all", organisation="RX1", service="T2"),
        2,
        4,
        50,
    )
    # E3 (P4) is the only detention of a woman
    check(row(results, "LOCAL.women_detained"), 1, 6000, 1 / 6000 * 100_000)
    assert set(results["period_type"]) == {"financial_year"}


def test_missing_tables_skip_their_metrics_or_are_refused_when_asked_for(tmp_path, dataset_writer):
    folder = dataset_writer(tmp_path / "v0001", outcomes=False)
    results = run_metrics(folder, metrics=None, periods=["financial_year"]).to_pandas()
    assert not any(metric.startswith("OUT1") for metric in set(results["metric"]))
    assert "mhs606_outcome_measures" not in set(results["group"])
    with pytest.raises(ValueError, match="metric 'OUT1' needs table 'mhs606_outcome_measures'"):
        run_metrics(folder, metrics=["OUT1"])
    with pytest.raises(ValueError, match="metric 'EXP1' needs table 'feedback_responses'"):
        run_metrics(folder, metrics=["EXP1"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"metrics": ["NOPE"]}, "no metric 'NOPE' in the catalogue"),
        ({"backend": "sqlite"}, "backend must be one of duckdb, spark; got 'sqlite'"),
        ({"periods": ["week"]}, "periods must be among financial_year, quarter, month"),
        ({"metrics": ["DQ1", "DQ1"]}, "'DQ1' is repeated"),
    ],
)
def test_bad_arguments_are_refused(dataset, arguments, message):
    with pytest.raises(ValueError, match=message):
        run_metrics(dataset, **arguments)


def test_write_results_writes_parquet_and_csv(dataset, tmp_path):
    table = run_metrics(dataset, metrics=["ACC2"], periods=["financial_year"])
    parquet, csv = write_results(table, tmp_path / "out")
    assert pq.read_table(parquet).equals(table)
    read = pd.read_csv(csv)
    assert list(read.columns) == list(RESULT_COLUMNS) and len(read) == table.num_rows
    assert np.isclose(read.loc[read["group_scheme"] == "all", "value"], 37.5).any()
    with pytest.raises(ValueError, match="table must have the results columns"):
        write_results(table.drop_columns(["spc_variation"]), tmp_path / "bad")


def test_write_results_failing_midway_leaves_the_earlier_files_whole(dataset, tmp_path):
    table = run_metrics(dataset, metrics=["ACC2"], periods=["financial_year"])
    out = tmp_path / "out"
    write_results(table, out)
    earlier = {path.name: path.read_bytes() for path in out.iterdir()}
    # Parquet takes a list column and CSV does not: the second file fails after the first
    group = table.schema.get_field_index("group")
    unwritable = table.set_column(group, "group", pa.array([[1]] * table.num_rows))
    with pytest.raises(pa.ArrowInvalid, match="Unsupported Type"):
        write_results(unwritable, out)
    assert {path.name: path.read_bytes() for path in out.iterdir()} == earlier
    write_results(table.slice(0, 3), out)  # a good table replaces both, and nothing else stays
    assert sorted(path.name for path in out.iterdir()) == ["results.csv", "results.parquet"]
    assert pq.read_table(out / "results.parquet").num_rows == 3


def test_results_csv_cannot_run_a_formula_and_parquet_keeps_the_value(dataset, tmp_path):
    # an organisation code "=1+1" in the extract reaches the results: a spreadsheet opening
    # results.csv would run it; report.csv and every other export already put ' in front
    table = run_metrics(dataset, metrics=["ACC2"], periods=["financial_year"])
    organisation = table.schema.get_field_index("organisation")
    codes = ["=1+1" if code != "all" else code for code in table.column(organisation).to_pylist()]
    table = table.set_column(organisation, "organisation", pa.array(codes, pa.string()))
    parquet, csv = write_results(table, tmp_path / "out")
    written = pd.read_csv(csv, keep_default_na=False)["organisation"]
    assert "=1+1" not in set(written) and "'=1+1" in set(written)
    assert "=1+1" in pq.read_table(parquet).column("organisation").to_pylist()


def test_every_referral_before_the_period_is_left_out(dataset):
    results = run_metrics(dataset, metrics=["ACC1.referrals"], periods=["month"]).to_pandas()
    assert "2023-12" not in set(results["period"])
    assert sorted(set(results["period"]))[0] == "2024-04"
