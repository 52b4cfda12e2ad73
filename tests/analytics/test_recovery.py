"""Issue #4 acceptance, "recovery of injected truth": on a synthetic extract of 200,000 people,
every injected rate ratio is recovered inside its 95% interval, and the recording-quality
figures match the injected gaps exactly.

One extract (seed `SEED`, Parquet) is generated, ingested as a dataset version and run through
the whole catalogue once. The extract covers one financial year, 2024/25, so the engine's
financial-year row is the whole period that ground_truth.json describes (with several years the
engine has one row per year and none for the whole period, and ages move up a band in later
years while the population file does not).

Which engine row recovers which truth (docs/synthetic-data.md, "Recovery test"): the generator's
ratios hold within every age band and sex (and ward, legal status, measure) with gradients on,
so an age-standardised ratio estimates the injected ratio itself, while a crude ratio estimates
the truth's `expected_crude_ratio_vs_*` (the injected ratio mixed with each group's age, ward or
measure mix).

The seed is fixed. The 70 checks hold 28 nearly independent ones (4 groups x 7 metrics; the
White British reference repeats the White one), so even with exact 95% intervals all 28 pass on
only about 0.95**28, a quarter, of seeds. Over seeds 0-15 the intervals (minority groups against
White) covered the truth 427 times in 448 (95.3%; z-scores of the log ratios centred on 0),
every seed matched the recording quality exactly, and seeds 0, 6, 9 and 15 passed every check
(docs/synthetic-data.md).
"""

import json

import pytest

from pcref.analytics.engine import run_metrics
from pcref.analytics.extract.load import ingest
from pcref.analytics.synth import ORGANISATION_CODE, TRUTH_GROUPS, WHITE_BRITISH, generate

PEOPLE = 200_000
SEED = 0  # the generator's default; see the docstring
START = "2024-04-01"  # one financial year: 2024/25
YEAR = "2024/25"

pytestmark = pytest.mark.xdist_group("recovery")  # one worker builds the module fixture

# Truth metric -> the engine metric whose ratio recovers it, and which truth value that ratio
# estimates: "injected" (rate_ratio_vs_*) or "crude" (expected_crude_ratio_vs_*).
RECOVERED_BY = {
    # Age-standardised (ESP2013 over the extract's age bands): the sex mix within an age band is
    # the same in every group, so the DSR ratio estimates the injected ratio.
    "access": ("ACC1.people.standardised", "injected"),
    "detention": ("MHA1.people.standardised", "injected"),
    "section_136": ("MHA3.standardised", "injected"),  # uses; uses per person alike in groups
    # Too few CTOs for a DSR (none below 10 events): the crude rate of people, exact limits.
    "cto": ("MHA2.people", "crude"),
    # No gradient on the justice share: crude and injected are the same.
    "justice_referral": ("ACC2", "injected"),
    # Ward and legal-status mix (restraint), measure mix (improvement): no standardised metric.
    "restraint": ("RI1.any", "crude"),
    "reliable_improvement": ("OUT1", "crude"),
}
REFERENCES = {"White": "vs_white", WHITE_BRITISH: "vs_white_british"}
INJECTED = [
    (measure, group, reference)
    for measure in RECOVERED_BY
    for reference in REFERENCES
    for group in TRUTH_GROUPS
    if group != reference
]
# The clearest disparity of each metric: a ratio of 1 (no disparity) must fall outside.
STRONGEST = {
    "access": "Asian",
    "detention": "Black",
    "section_136": "Black",
    "cto": "Black",
    "justice_referral": "Black",
    "restraint": "Black",
    "reliable_improvement": "Black",
}

DQ_METRICS = {
    "DQ1": ("valid",),
    "DQ2": ("not_stated",),
    "DQ3": ("not_known", "missing", "invalid"),
    "DQ3.not_known": ("not_known",),
    "DQ3.missing": ("missing",),
    "DQ3.invalid": ("invalid",),
}
DQ_TABLES = (
    "mhs001_patients",
    "mhs101_referrals",
    "mhs201_care_contacts",
    "mhs501_hospital_spells",
    "mhs401_mha_episodes",
    "mhs404_cto",
    "mhs505_restrictive_interventions",
    "mhs606_outcome_measures",
)


@pytest.fixture(scope="module")
def recovered(tmp_path_factory):
    """(ground_truth.json as written, the catalogue's results as a DataFrame)."""
    root = tmp_path_factory.mktemp("recovery")
    generate(
        root / "extract", people=PEOPLE, seed=SEED, years=1, start=START, file_format="parquet"
    )
    loaded = ingest(root / "extract", root / "datasets")
    assert loaded.ok, loaded.summary()
    results = run_metrics(loaded.dataset.path, periods=("financial_year", "month"))
    truth = json.loads((root / "extract" / "ground_truth.json").read_text(encoding="utf-8"))
    return truth, results.to_pandas()


def ratio_row(results, metric, group, reference):
    """The whole-year row of a metric for a truth group against a reference group."""
    scheme, label = ("detailed", "A") if group == WHITE_BRITISH else ("broad", group)
    chosen = results[
        (results["metric"] == metric)
        & (results["period_type"] == "financial_year")
        & (results["period"] == YEAR)
        & (results["organisation"] == "all")
        & (results["service"] == "all")
        & (results["group_scheme"] == scheme)
        & (results["group"] == label)
        & (results["comparison_group"] == reference)
    ]
    assert len(chosen) == 1, f"{metric} {scheme} {label} vs {reference}: {len(chosen)} rows"
    return chosen.iloc[0]


def expected_ratio(truth, measure, group, reference):
    """What the engine's ratio for `measure` estimates, from ground_truth.json."""
    block = truth["metrics"][measure]
    kind = RECOVERED_BY[measure][1]
    key = "rate_ratio_" if kind == "injected" else "expected_crude_ratio_"
    return block[key + REFERENCES[reference]][group]


def check_recovered(truth, results, measure, group, reference):
    metric = RECOVERED_BY[measure][0]
    expected = expected_ratio(truth, measure, group, reference)
    row = ratio_row(results, metric, group, reference)
    assert row["ratio_lower"] == row["ratio_lower"], (  # not NaN: the engine gave limits
        f"{metric}: no interval for {group} vs {reference} (numerator {row['numerator']:g})"
    )
    assert row["ratio_lower"] <= expected <= row["ratio_upper"], (
        f"{measure} {group} vs {reference}: truth {expected:.3f} outside {metric}'s "
        f"{row['ratio']:.3f} [{row['ratio_lower']:.3f}, {row['ratio_upper']:.3f}] "
        f"({row['ratio_method']}; numerator {row['numerator']:g})"
    )


# --- 1. Injected ratios ---------------------------------------------------------------------


def test_every_injected_ratio_is_checked(recovered):
    truth, _ = recovered
    written = {
        (measure, group, reference)
        for measure, block in truth["metrics"].items()
        for reference, suffix in REFERENCES.items()
        for group in block[f"rate_ratio_{suffix}"]
        if group != reference
    }
    assert written == set(INJECTED)


@pytest.mark.parametrize(
    ("measure", "group", "reference"),
    INJECTED,
    ids=[f"{m}-{g}-vs-{r}".replace(" ", "_") for m, g, r in INJECTED],
)
def test_injected_ratio_is_inside_the_interval(recovered, measure, group, reference):
    truth, results = recovered
    check_recovered(truth, results, measure, group, reference)


# --- 2. Recording quality -------------------------------------------------------------------


def dq_from_truth(block, table):
    """{(period type, period, service): {DQ metric: (numerator, denominator)}} from the truth."""

    def figures(counts):
        total = sum(counts.values())
        return {m: (sum(counts[s] for s in statuses), total) for m, statuses in DQ_METRICS.items()}

    whole = ("extract", "all") if table == "mhs001_patients" else ("financial_year", YEAR)
    out = {(*whole, "all"): figures(block["total"])}
    for month, counts in block.get("by_month", {}).items():
        out[("month", month, "all")] = figures(counts)
    for team, counts in block.get("by_team", {}).items():
        out[("financial_year", YEAR, team)] = figures(counts)
    for team, months in block.get("by_team_month", {}).items():
        for month, counts in months.items():
            out[("month", month, team)] = figures(counts)
    return out


def dq_from_engine(results, table):
    rows = results[
        results["metric"].isin(list(DQ_METRICS))
        & (results["group_scheme"] == "dataset")
        & (results["group"] == table)
        & (
            ((results["organisation"] == "all") & (results["service"] == "all"))
            | ((results["organisation"] == ORGANISATION_CODE) & (results["service"] != "all"))
        )
        & (results["denominator"] > 0)
    ]
    out = {}
    for row in rows.itertuples():
        key = (row.period_type, row.period, row.service)
        out.setdefault(key, {})[row.metric] = (int(row.numerator), int(row.denominator))
    return out


@pytest.mark.parametrize("table", DQ_TABLES)
def test_recording_quality_matches_the_injected_gaps_exactly(recovered, table):
    truth, results = recovered
    block = truth["data_quality"]["tables"][table]
    expected = dq_from_truth(block, table)
    actual = dq_from_engine(results, table)
    assert set(actual) == set(expected), (
        f"{table}: engine only {sorted(set(actual) - set(expected))[:5]}, "
        f"truth only {sorted(set(expected) - set(actual))[:5]}"
    )
    wrong = {key: (actual[key], value) for key, value in expected.items() if actual[key] != value}
    assert not wrong, (
        f"{table}: {len(wrong)} of {len(expected)} differ, e.g. {next(iter(wrong.items()))}"
    )
    if block.get("team_column"):
        assert any(service != "all" for _, _, service in expected), table
    if block.get("date_column"):
        assert any(period_type == "month" for period_type, _, _ in expected), table


def test_every_table_with_people_is_checked(recovered):
    truth, _ = recovered
    assert set(truth["data_quality"]["tables"]) == set(DQ_TABLES)


# --- 3. The checks can fail -----------------------------------------------------------------


@pytest.mark.parametrize(("measure", "group"), list(STRONGEST.items()), ids=list(STRONGEST))
def test_no_disparity_is_outside_the_interval(recovered, measure, group):
    """Power: a truth of no disparity (ratio 1) for an injected disparity fails the check."""
    truth, results = recovered
    assert expected_ratio(truth, measure, group, "White") != 1.0
    perturbed = json.loads(json.dumps(truth))
    block = perturbed["metrics"][measure]
    for key in ("rate_ratio_vs_white", "expected_crude_ratio_vs_white"):
        block[key][group] = 1.0
    with pytest.raises(AssertionError, match="outside"):
        check_recovered(perturbed, results, measure, group, "White")


def test_recording_gaps_are_uneven_and_a_changed_count_is_caught(recovered):
    """The exact match is not of uniform counts: gaps concentrate in CRHT and in the injected
    months; and one record moved between statuses no longer matches."""
    truth, results = recovered
    block = truth["data_quality"]["tables"]["mhs101_referrals"]

    def gap_share(counts):
        return 1 - counts["valid"] / sum(counts.values())

    assert gap_share(block["by_team"]["CRHT"]) > 1.5 * gap_share(block["by_team"]["TT"])
    months = list(block["by_month"])
    assert gap_share(block["by_month"][months[9]]) > 1.5 * gap_share(block["by_month"][months[0]])
    perturbed = json.loads(json.dumps(block))
    counts = perturbed["by_team_month"]["CRHT"][months[9]]
    counts["valid"] -= 1
    counts["missing"] += 1
    expected = dq_from_truth(perturbed, "mhs101_referrals")
    actual = dq_from_engine(results, "mhs101_referrals")
    assert actual != expected
