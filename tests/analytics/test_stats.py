"""Tests for pcref.analytics.stats: PHE's own cases, known answers, and refused input."""

# Expected figures never come from the implementation. Each test says where its figure comes
# from: PHEindicatormethods' test workbooks (stats_cases_phe.csv, copied from reference/), PHE's
# test CSV files (quoted rows), a closed form worked by hand below, or a different scipy route.

import csv
import math
import re
from fractions import Fraction
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest
from scipy import optimize, special
from scipy import stats as scipy_stats

from pcref.analytics import stats
from pcref.analytics.stats import (
    ESP2013,
    Estimate,
    byar_interval,
    confidence_level,
    dsr,
    dsr_ratio,
    exact_poisson_interval,
    funnel_limits,
    funnel_significance,
    indirectly_standardised_rate,
    isr,
    mean,
    mean_from_summary,
    nhse_published_value,
    nhse_standardised_rate,
    proportion,
    proportion_ratio,
    rate,
    rate_ratio,
    ratio_of_independent_estimates,
    repeat_event_rate_ratio,
    wilson_interval,
)

CASES_FILE = Path(__file__).parent / "data" / "stats_cases_phe.csv"
RELATIVE = 1e-9  # the acceptance tolerance for PHE's cases


def _number(text: str) -> float:
    return float(text) if text != "" else math.nan  # an empty cell is R's NA


def _read_cases() -> list[dict[str, str]]:
    with CASES_FILE.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


CASES = _read_cases()


def _same(actual: float, expected: float, relative: float = RELATIVE) -> bool:
    """Equal to a relative tolerance; NaN equals NaN (missing in, missing out)."""
    if math.isnan(expected):
        return math.isnan(actual)
    if expected == 0:
        return actual == 0
    return math.isclose(actual, expected, rel_tol=relative, abs_tol=0)


def _normal_quantile(level: float) -> float:
    """z for a two-sided level, by the standard library rather than scipy."""
    return NormalDist().inv_cdf((1 + level) / 2)


def _byar_by_hand(observed: float, level: float) -> tuple[float, float]:
    """Byar's limits written out from statistics.md §3 with the standard library."""
    z = _normal_quantile(level)
    lower = observed * (1 - 1 / (9 * observed) - z / (3 * math.sqrt(observed))) ** 3
    above = observed + 1
    upper = above * (1 - 1 / (9 * above) + z / (3 * math.sqrt(above))) ** 3
    return lower, upper


# --- PHE's test workbooks: every row of stats_cases_phe.csv -----------------------------------


def test_the_case_file_is_the_full_copy():
    # README: "111 rows"; (function, case_id, confidence) is unique
    assert len(CASES) == 111
    assert len({(c["function"], c["case_id"], c["confidence"]) for c in CASES}) == 111


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c['function']}-{c['case_id']}-{c['confidence']}" for c in CASES]
)
def test_phe_case(case):
    x, n = _number(case["x"]), _number(case["n"])
    confidence = float(case["confidence"])
    function = case["function"]
    if function == "wilson":
        lower, upper = wilson_interval(x, n, confidence)
        value, method = math.nan, "Wilson"
    elif function == "byars":
        lower, upper = byar_interval(x, confidence)  # B7: a negative lower limit is NA
        value, method = math.nan, "Byars"
    elif function == "phe_proportion":
        estimate = proportion(x, n, confidence, multiplier=float(case["multiplier"]))
        value, lower, upper, method = (
            estimate.value,
            estimate.lower,
            estimate.upper,
            estimate.method,
        )
    else:  # phe_rate; R20 and RG9 have x > n, which rates allow
        estimate = rate(x, n, confidence, multiplier=float(case["multiplier"]))
        value, lower, upper, method = (
            estimate.value,
            estimate.lower,
            estimate.upper,
            estimate.method,
        )
    assert _same(value, _number(case["expected_value"])), (value, case)
    assert _same(lower, _number(case["expected_lower"])), (lower, case)
    assert _same(upper, _number(case["expected_upper"])), (upper, case)
    # R17, R19 (x missing) leave no method to name; R18 (x = 10, n missing) is still "Byars"
    assert method == case["method"]


def _area(case: dict[str, str]) -> str:
    return case["note"].split(";")[0].replace("Area0", "Area")


@pytest.mark.parametrize(
    "grouped",
    [c for c in CASES if c["case_id"][:2] in ("PG", "RG") and c["case_id"] != "RG9"],
    ids=lambda c: c["case_id"],
)
def test_grouped_cases_are_the_summed_rows(grouped):
    # Each grouped case (PG1-PG8, RG1-RG8; RG9 has R20's inputs) is twice its area's row:
    # summing the group's rows first (§1) must give PHE's grouped expectation.
    function = grouped["function"]
    single = next(
        c
        for c in CASES
        if c["function"] == function
        and _area(c) == _area(grouped)
        and c["confidence"] == grouped["confidence"]
        and c["multiplier"] == grouped["multiplier"]
        and c["case_id"][:2] not in ("PG", "RG")
    )
    rows_x = np.array([float(single["x"])] * 2)
    rows_n = np.array([float(single["n"])] * 2)
    assert rows_x.sum() == float(grouped["x"]) and rows_n.sum() == float(grouped["n"])
    calculate = proportion if function == "phe_proportion" else rate
    estimate = calculate(rows_x.sum(), rows_n.sum(), 0.95, float(grouped["multiplier"]))
    assert _same(estimate.value, float(grouped["expected_value"]))
    assert _same(estimate.lower, float(grouped["expected_lower"]))
    assert _same(estimate.upper, float(grouped["expected_upper"]))


def test_the_phe_cases_agree_as_one_array_call():
    # the vectorised path gives the same answers as the row-by-row calls above
    rates = [c for c in CASES if c["function"] == "phe_rate" and c["confidence"] == "0.95"]
    estimate = rate(
        [_number(c["x"]) for c in rates],
        [_number(c["n"]) for c in rates],
        0.95,
        multiplier=100_000,
    )
    for index, case in enumerate(rates):
        scale = 100_000 / float(case["multiplier"])
        assert _same(estimate.lower[index], _number(case["expected_lower"]) * scale)
        assert _same(estimate.upper[index], _number(case["expected_upper"]) * scale)
    assert estimate.method.tolist() == [c["method"] for c in rates]


# --- Shapes and missing values ----------------------------------------------------------------


def test_scalars_give_floats_and_arrays_give_arrays():
    single = rate(20, 1000)
    assert all(isinstance(field, float) for field in (single.value, single.lower, single.upper))
    assert single.method == "Byars"
    several = rate([5, 20], [1000, 1000])
    assert isinstance(several.value, np.ndarray) and several.value.shape == (2,)
    assert several.method.tolist() == ["Exact", "Byars"]
    lower, upper = wilson_interval([1, 2], 10)  # a scalar goes with every element
    assert lower.shape == upper.shape == (2,)


@pytest.mark.parametrize(
    "call",
    [
        lambda: proportion(None, 10),
        lambda: proportion(3, math.nan),
        lambda: rate(math.nan, 100),
        lambda: rate_ratio(10, 100, math.nan, 100),
        lambda: rate_ratio(10, math.nan, 3, 100),
        lambda: proportion_ratio(10, 100, 5, math.nan),
        lambda: mean([1, 2, math.nan]),
        lambda: mean_from_summary(math.nan, 1, 5),
        lambda: isr(math.nan, {"a": 10}, {"a": 1}, {"a": 10}),
        lambda: dsr({"a": 20}, {"a": math.nan}, {"a": 1}),
        lambda: nhse_standardised_rate({"a": 1}, {"a": math.nan}, {"a": 10}),
    ],
)
def test_missing_in_missing_out(call):
    estimate = call()
    assert math.isnan(estimate.value) and math.isnan(estimate.lower)
    assert math.isnan(estimate.upper)


def test_no_confidence_gives_the_value_without_limits():
    # statistics.md §2: confidence = NA computes no limits
    estimate = proportion(65, 100, confidence=None)
    assert estimate.value == 0.65 and math.isnan(estimate.lower) and math.isnan(estimate.upper)
    assert all(math.isnan(limit) for limit in wilson_interval(65, 100, None))


def test_a_percentage_is_the_same_level_as_a_fraction():
    assert rate(65, 100, 99.8) == rate(65, 100, 0.998)
    assert confidence_level(100) == confidence_level(1) == 1.0


# --- Refused input ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -0.95, 0.0, 101, 1000, math.nan, math.inf])
def test_confidence_outside_both_ranges_is_refused_naming_the_value(value):
    with pytest.raises(ValueError, match=r"confidence must be in \(0, 1\] or \(1, 100\]; got "):
        confidence_level(value)
    with pytest.raises(ValueError, match=repr(value)):
        confidence_level(value)


@pytest.mark.parametrize("value", ["95%", True, [0.95]])
def test_confidence_that_is_not_a_number_is_refused(value):
    with pytest.raises(TypeError, match="confidence must be a number"):
        confidence_level(value)


BANDS = {"0-39": 1000, "40+": 1000}
EVERY_FUNCTION = [
    lambda c: wilson_interval(5, 10, c),
    lambda c: byar_interval(5, c),
    lambda c: exact_poisson_interval(5, c),
    lambda c: proportion(5, 10, c),
    lambda c: rate(5, 10, c),
    lambda c: dsr({"0-39": 10, "40+": 10}, BANDS, BANDS, c),
    lambda c: dsr_ratio({"0-39": 10, "40+": 10}, BANDS, {"0-39": 10, "40+": 10}, BANDS, BANDS, c),
    lambda c: isr(10, BANDS, BANDS, BANDS, c),
    lambda c: indirectly_standardised_rate(10, BANDS, BANDS, BANDS, c),
    lambda c: mean([1, 2, 3], c),
    lambda c: mean_from_summary(2, 1, 3, c),
    lambda c: rate_ratio(10, 100, 10, 100, c),
    lambda c: proportion_ratio(10, 100, 10, 100, c),
    lambda c: repeat_event_rate_ratio([10], 100, [10], 100, [1], c),
    lambda c: ratio_of_independent_estimates(2, 1, 3, 1, 0.5, 2, c),
]


@pytest.mark.parametrize("call", EVERY_FUNCTION)
def test_every_function_checks_confidence_with_the_shared_check(call):
    with pytest.raises(ValueError, match=r"confidence must be in .*; got 150"):
        call(150)
    call(95)  # and reads a percentage


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: rate([1, 2, 3, -2], 100), "x must be 0 or more: element 3 is -2"),
        (lambda: rate(-2, 100), "x must be 0 or more; got -2"),
        (lambda: wilson_interval(-1, 10), "x must be 0 or more; got -1"),
        (lambda: byar_interval([4, -0.5]), "observed must be 0 or more: element 1 is -0.5"),
        (lambda: exact_poisson_interval(-3), "observed must be 0 or more; got -3"),
        (lambda: rate_ratio(10, 100, [1, -4], 100), "x2 must be 0 or more: element 1 is -4"),
        (lambda: proportion_ratio(-1, 100, 3, 100), "a must be 0 or more; got -1"),
        (lambda: rate(5, [100, 0]), "n must be more than 0: element 1 is 0"),
        (lambda: funnel_limits([1, -1], [10, 10]), "numerators must be 0 or more: element 1"),
        (lambda: mean_from_summary(1, -1, 5), "standard_deviations must be 0 or more; got -1"),
    ],
)
def test_negative_counts_are_refused_naming_argument_value_and_element(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_an_empty_denominator_is_refused_for_a_proportion():
    with pytest.raises(ValueError, match="n must be more than 0; got 0"):
        proportion(0, 0)
    with pytest.raises(ValueError, match="n must be more than 0: element 2 is 0"):
        wilson_interval([1, 1, 0], [5, 5, 0])
    with pytest.raises(ValueError, match="n1 must be more than 0; got 0"):
        proportion_ratio(0, 0, 1, 10)


def test_more_cases_than_sample_is_refused_for_a_proportion_but_not_a_rate():
    with pytest.raises(
        ValueError, match="x must not be more than n for a proportion: element 1 has x=5, n=3"
    ):
        proportion([1, 5], [3, 3])
    with pytest.raises(ValueError, match="x must not be more than n for a proportion; got x=5"):
        wilson_interval(5, 3)
    with pytest.raises(ValueError, match="c must not be more than n2"):
        proportion_ratio(1, 10, 12, 10)
    assert rate(250, 220).value > 100_000  # R20: episodes can outnumber people


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: rate([1, 2, 3], [10, 20]),
            "x and n must have the same length: x has 3 elements, n has 2 elements",
        ),
        (lambda: proportion([1, 2], [5, 5, 5]), "x and n must have the same length"),
        (lambda: rate_ratio([1, 2], 10, [1, 2, 3], 10), "x1 and x2 must have the same length"),
        (lambda: funnel_limits([1, 2], [10]), "numerators and denominators must have the same"),
        (lambda: mean_from_summary([1, 2], [1, 1, 1], 3), "means and standard_deviations must"),
    ],
)
def test_arrays_of_different_lengths_are_refused_naming_both(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_text_and_infinities_are_refused():
    with pytest.raises(ValueError, match="x must be a number, an array of numbers or missing"):
        rate("ten", 100)
    with pytest.raises(ValueError, match="n must be a finite number or missing: element 1 is inf"):
        rate([1, 1], [10, math.inf])
    with pytest.raises(ValueError, match="multiplier must be more than 0; got 0"):
        rate(1, 10, multiplier=0)


def _esp(value: float) -> dict[str, float]:
    return {band: value for band in ESP2013}


@pytest.mark.parametrize(
    ("counts", "populations", "extra", "message"),
    [
        (
            {band: 5 for band in list(ESP2013)[:-1]},
            _esp(1000),
            {},
            "counts must have the same age bands as standard_weights: it lacks '90+'",
        ),
        (
            {**_esp(5), "95+": 1},
            _esp(1000),
            {},
            "counts must have the same age bands as standard_weights: standard_weights has "
            "no '95+'",
        ),
        (
            {("0 to 4" if band == "0-4" else band): 5 for band in ESP2013},
            _esp(1000),
            {},
            "it lacks '0-4'; standard_weights has no '0 to 4'",
        ),
        (
            _esp(5),
            {band: 1000 for band in list(ESP2013)[1:]},
            {},
            "populations must have the same age bands as standard_weights: it lacks '0-4'",
        ),
        (
            [5] * 19,
            _esp(1000),
            {},
            "counts must be a mapping from age band to value, or age_bands must name its rows",
        ),
        (
            [5] * 18,
            [1000] * 18,
            {"age_bands": list(ESP2013)[:18]},
            "age_bands must have the same age bands as standard_weights: it lacks '90+'",
        ),
        (
            [5] * 19,
            [1000] * 19,
            {"age_bands": ["0-4", *list(ESP2013)[:18]]},
            "age_bands must name each age band once; it repeats '0-4'",
        ),
        (
            [5] * 18,
            _esp(1000),
            {"age_bands": list(ESP2013)},
            "counts must have one row per age band in age_bands (19); it has 18 rows",
        ),
    ],
)
def test_a_dsr_whose_age_bands_differ_from_the_standard_is_refused(
    counts, populations, extra, message
):
    with pytest.raises(ValueError, match=re.escape(message)):
        dsr(counts, populations, ESP2013, **extra)


def test_dsr_refusals_name_the_age_band():
    with pytest.raises(ValueError, match="counts must be 0 or more: age band '5-9' has -2"):
        dsr({**_esp(5), "5-9": -2}, _esp(1000), ESP2013)
    with pytest.raises(ValueError, match="populations must be more than 0: age band '90\\+' has 0"):
        dsr(_esp(5), {**_esp(1000), "90+": 0}, ESP2013)
    with pytest.raises(
        ValueError, match="counts must be 0 or more: age band '0-4', frequency column 1 has -1"
    ):
        dsr(
            {**{b: [1, 1] for b in ESP2013}, "0-4": [1, -1]},
            _esp(1000),
            ESP2013,
            0.95,
            independent_events=False,
            frequencies=[1, 2],
        )
    with pytest.raises(ValueError, match="counts must have one value per frequency \\(2\\)"):
        dsr(
            {**{b: [1, 1] for b in ESP2013}, "0-4": [1]},
            _esp(1000),
            ESP2013,
            0.95,
            independent_events=False,
            frequencies=[1, 2],
        )
    with pytest.raises(ValueError, match="frequencies must be given when independent_events"):
        dsr(_esp(5), _esp(1000), ESP2013, independent_events=False)
    with pytest.raises(ValueError, match="frequencies is used only when independent_events"):
        dsr(_esp(5), _esp(1000), ESP2013, frequencies=[1])
    with pytest.raises(ValueError, match="standard_weights must be a mapping from age band"):
        dsr([5] * 19, [1000] * 19, list(ESP2013.values()), age_bands=list(ESP2013))
    with pytest.raises(ValueError, match="counts2 must be 0 or more: age band '0-4' has -1"):
        dsr_ratio(_esp(5), _esp(1000), {**_esp(5), "0-4": -1}, _esp(1000), ESP2013)


def test_other_refusals_say_what_and_where():
    with pytest.raises(ValueError, match="reference_populations must be more than 0: age band"):
        isr(5, BANDS, BANDS, {"0-39": 1000, "40+": 0})
    with pytest.raises(ValueError, match="reference_counts must have the same age bands as"):
        isr(5, BANDS, {"0-39": 1}, BANDS)
    with pytest.raises(ValueError, match="values must be a list of at least one number"):
        mean([])
    with pytest.raises(ValueError, match="counts must be 1 or more; got 0"):
        mean_from_summary(1, 1, 0)
    with pytest.raises(ValueError, match="statistic must be 'proportion' or 'rate'; got 'ratio'"):
        funnel_limits([1], [10], statistic="ratio")
    with pytest.raises(ValueError, match="numerators must not be more than denominators"):
        funnel_significance([11], [10])
    with pytest.raises(ValueError, match="lower1 must be no more than value1; got 3"):
        ratio_of_independent_estimates(2, 3, 4, 1, 0.5, 2)
    with pytest.raises(ValueError, match="people2 must have one entry per frequency \\(2\\)"):
        repeat_event_rate_ratio([10, 1], 100, [10], 100, [1, 2])
    with pytest.raises(ValueError, match="populations must be more than 0 where there are events"):
        nhse_standardised_rate({"a": 1, "b": 1}, {"a": 0, "b": 5}, {"a": 10, "b": 10})
    with pytest.raises(ValueError, match="exclude_from_variance must name strata"):
        nhse_standardised_rate({"a": 1}, {"a": 5}, {"a": 10}, exclude_from_variance=["b"])


# --- ESP2013 ----------------------------------------------------------------------------------


def test_esp2013_is_keyed_by_age_band_and_weighs_100000():
    # statistics.md §5 lists the weights in band order
    assert list(ESP2013) == [f"{age}-{age + 4}" for age in range(0, 90, 5)] + ["90+"]
    assert list(ESP2013.values()) == [
        5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000,
        7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000,
    ]  # fmt: skip
    with pytest.raises(TypeError):
        ESP2013["0-4"] = 1  # read-only


def test_the_package_reads_its_own_copy_of_esp2013():
    source = Path(stats.__file__).parent / "data" / "esp2013.csv"
    assert source.is_file()
    assert "../shared" not in Path(stats.__file__).read_text()


# --- DSR (§5) ---------------------------------------------------------------------------------


def _phe_case(case_id: str, confidence: str) -> dict[str, str]:
    return next(c for c in CASES if c["case_id"] == case_id and c["confidence"] == confidence)


@pytest.mark.parametrize("confidence", ["0.95", "0.998"])
def test_dsr_of_a_population_shaped_like_the_standard_is_phes_crude_rate(confidence):
    # If nᵢ = k·wᵢ then DSR = O/N and √(vardsr/O) = 1/N, so Dobson's limits are Byar's limits
    # of the crude rate: PHE's workbook case R13 (9856 events in 12,345 people, per 100,000).
    case = _phe_case("R13", confidence)
    k = 12_345 / 100_000
    populations = {band: weight * k for band, weight in ESP2013.items()}
    counts = {band: 0.0 for band in ESP2013}
    counts.update({"20-24": 4000, "50-54": 5000, "90+": 856})  # any split of 9856 events
    estimate = dsr(counts, populations, ESP2013, float(confidence))
    assert _same(estimate.value, float(case["expected_value"]))
    assert _same(estimate.lower, float(case["expected_lower"]))
    assert _same(estimate.upper, float(case["expected_upper"]))
    assert estimate.method == "Dobson"


def _dsr_by_hand(counts, populations, weights, level, multiplier=100_000):
    """statistics.md §5 in exact fractions, then Byar's limits of the total by hand."""
    total_weight = sum(Fraction(w) for w in weights)
    value = (
        sum(
            Fraction(x) * Fraction(w) / Fraction(n)
            for x, n, w in zip(counts, populations, weights, strict=True)
        )
        / total_weight
    )
    variance = (
        sum(
            Fraction(x) * (Fraction(w) / Fraction(n)) ** 2
            for x, n, w in zip(counts, populations, weights, strict=True)
        )
        / total_weight**2
    )
    observed = sum(counts)
    lower, upper = _byar_by_hand(observed, level)
    spread = math.sqrt(variance / observed)
    value = float(value)
    return (
        value * multiplier,
        (value + spread * (lower - observed)) * multiplier,
        (value + spread * (upper - observed)) * multiplier,
    )


def test_dsr_known_answer_worked_by_hand():
    weights = {"0-39": 55_000, "40-64": 32_000, "65+": 13_000}
    counts = {"0-39": 12, "40-64": 25, "65+": 40}
    populations = {"0-39": 5_000, "40-64": 12_000, "65+": 3_000}
    expected = _dsr_by_hand([12, 25, 40], [5_000, 12_000, 3_000], [55_000, 32_000, 13_000], 0.95)
    # by hand: Σxw/n = 132 + 66.667 + 173.333 = 372 per 100,000 weight → 372.0 per 100,000
    assert expected[0] == pytest.approx(372.0, rel=1e-12)
    estimate = dsr(counts, populations, weights, 0.95)
    assert _same(estimate.value, expected[0])
    assert _same(estimate.lower, expected[1])
    assert _same(estimate.upper, expected[2])


def test_dsr_joins_by_label_whatever_the_order_or_form():
    weights = {"0-39": 55_000, "40-64": 32_000, "65+": 13_000}
    counts = {"65+": 40, "0-39": 12, "40-64": 25}  # a different order
    populations = {"40-64": 12_000, "65+": 3_000, "0-39": 5_000}
    by_mapping = dsr(counts, populations, weights)
    by_array = dsr(
        np.array([40, 25, 12]), [3_000, 12_000, 5_000], weights, age_bands=["65+", "40-64", "0-39"]
    )
    assert by_mapping == by_array
    assert _same(by_mapping.value, 372.0)


def test_dsr_is_not_reported_below_10_events_and_treats_a_missing_count_as_0():
    weights = {"a": 1, "b": 1}
    below = dsr({"a": 4, "b": 5}, {"a": 100, "b": 100}, weights)
    assert math.isnan(below.value) and math.isnan(below.lower) and math.isnan(below.upper)
    missing = dsr({"a": 10, "b": None}, {"a": 100, "b": 100}, weights)
    assert missing == dsr({"a": 10, "b": 0}, {"a": 100, "b": 100}, weights)
    assert _same(missing.value, 5_000.0)  # (10/100 + 0)/2 per 100,000


def test_non_independent_dsr_with_everyone_at_one_event_is_the_independent_dsr():
    people = {band: [7 + i] for i, band in enumerate(ESP2013)}
    events = {band: 7 + i for i, band in enumerate(ESP2013)}
    populations = {band: 2_000 + 100 * i for i, band in enumerate(ESP2013)}
    adjusted = dsr(people, populations, ESP2013, 0.95, 100_000, False, [1])
    independent = dsr(events, populations, ESP2013)
    assert _same(adjusted.value, independent.value)
    assert _same(adjusted.lower, independent.lower)
    assert _same(adjusted.upper, independent.upper)
    assert adjusted.method == "Dobson, with confidence adjusted for non-independent events"


def test_non_independent_dsr_known_answer_worked_by_hand():
    # Two bands, people with 1, 2 and 3 events. By hand (statistics.md §5):
    # events per band x = Σ f·m_f; vardsr_f from the people; custom = Σ f²·vardsr_f.
    weights = {"young": 60_000, "old": 40_000}
    people = {"young": [20, 5, 2], "old": [10, 4, 1]}
    populations = {"young": 10_000, "old": 2_000}
    x_young, x_old = 20 + 10 + 6, 10 + 8 + 3  # 36 and 21 events
    ratio_young, ratio_old = Fraction(60_000, 10_000), Fraction(40_000, 2_000)
    total = Fraction(100_000)
    value = (x_young * ratio_young + x_old * ratio_old) / total
    custom = sum(
        f * f * (m_young * ratio_young**2 + m_old * ratio_old**2) / total**2
        for f, m_young, m_old in ((1, 20, 10), (2, 5, 4), (3, 2, 1))
    )
    observed = x_young + x_old
    lower, upper = _byar_by_hand(observed, 0.95)
    spread = math.sqrt(custom / observed)
    estimate = dsr(people, populations, weights, 0.95, 100_000, False, [1, 2, 3])
    assert _same(estimate.value, float(value) * 100_000)
    assert _same(estimate.lower, (float(value) + spread * (lower - observed)) * 100_000)
    assert _same(estimate.upper, (float(value) + spread * (upper - observed)) * 100_000)
    independent = dsr({"young": x_young, "old": x_old}, populations, weights)
    assert estimate.value == pytest.approx(independent.value, rel=1e-12)
    assert estimate.lower < independent.lower and estimate.upper > independent.upper  # wider


# --- ISR (§6) ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case_id", "confidence"), [("R2", "0.95"), ("R2", "0.998"), ("R13", "0.95"), ("R13", "0.998")]
)
def test_isr_rate_against_a_flat_reference_is_phes_crude_rate(case_id, confidence):
    # With the same reference rate r in every band, E = r·Σn, so ISRate = O/Σn × multiplier
    # with exact (O < 10) or Byar limits: PHE's workbook cases R2 (5/100) and R13 (9856/12345).
    case = _phe_case(case_id, confidence)
    observed, people = float(case["x"]), float(case["n"])
    populations = {"0-39": people * 0.6, "40-64": people * 0.3, "65+": people * 0.1}
    reference_counts = {"0-39": 300, "40-64": 200, "65+": 100}  # 1 in 1,000 everywhere
    reference_populations = {"0-39": 300_000, "40-64": 200_000, "65+": 100_000}
    estimate = indirectly_standardised_rate(
        observed,
        populations,
        reference_counts,
        reference_populations,
        float(confidence),
        multiplier=float(case["multiplier"]),
    )
    assert _same(estimate.value, float(case["expected_value"]))
    assert _same(estimate.lower, float(case["expected_lower"]))
    assert _same(estimate.upper, float(case["expected_upper"]))
    assert estimate.method == case["method"]


def test_isr_known_answer_worked_by_hand():
    # E = 10/1000·2000 + 40/1000·500 + 0 (a missing reference count is 0) = 20 + 20 = 40.
    # O = 30 (per-band counts summed, a missing one as 0) → ISR = 0.75, Byar (O ≥ 10).
    populations = {"0-39": 2000, "40-64": 500, "65+": 100}
    reference_counts = {"0-39": 10, "40-64": 40, "65+": None}
    reference_populations = {"0-39": 1000, "40-64": 1000, "65+": 1000}
    observed = {"0-39": 18, "40-64": 12, "65+": None}
    estimate = isr(observed, populations, reference_counts, reference_populations, refvalue=100)
    lower, upper = _byar_by_hand(30, 0.95)
    assert _same(estimate.value, 75.0)
    assert _same(estimate.lower, lower / 40 * 100)
    assert _same(estimate.upper, upper / 40 * 100)
    assert estimate.method == "Byars"
    # below 10 events: the exact limits, here from scipy's gamma rather than the chi-square
    small = isr(6, populations, reference_counts, reference_populations)
    assert small.method == "Exact"
    assert _same(small.lower, scipy_stats.gamma.ppf(0.025, 6) / 40)
    assert _same(small.upper, scipy_stats.gamma.ppf(0.975, 7) / 40)


# --- Mean (§7) --------------------------------------------------------------------------------


def _t_quantile_by_hand(probability: float, degrees: int) -> float:
    """Student's t quantile from its CDF, 1 − I(v/(v + t²); v/2, 1/2)/2, solved by Brent."""

    def cdf(t: float) -> float:
        return 1 - special.betainc(degrees / 2, 0.5, degrees / (degrees + t * t)) / 2

    return optimize.brentq(lambda t: cdf(t) - probability, 0, 50, xtol=1e-15, rtol=1e-15)


def test_mean_known_answer():
    values = [2, 4, 4, 4, 5, 5, 7, 9]
    # mean 5; sample sd √(32/7); t(0.975, 7) = 2.3646 (tables give 2.365), here solved from
    # the t distribution function rather than taken from scipy's t.ppf
    t = _t_quantile_by_hand(0.975, 7)
    assert t == pytest.approx(2.364624, abs=1e-6)
    half = t * math.sqrt(32 / 7) / math.sqrt(8)
    estimate = mean(values)
    assert _same(estimate.value, 5.0)
    assert estimate.lower == pytest.approx(5 - half, rel=1e-12)
    assert estimate.upper == pytest.approx(5 + half, rel=1e-12)
    assert estimate.method == "Student's t-distribution"
    # and scipy's own t.interval route, at 99.8%
    lower, upper = scipy_stats.t.interval(0.998, 7, loc=5, scale=math.sqrt(32 / 7) / math.sqrt(8))
    assert _same(mean(values, 99.8).lower, lower) and _same(mean(values, 99.8).upper, upper)


def test_mean_from_summary_matches_the_sample_and_a_single_value_has_no_limits():
    values = [2, 4, 4, 4, 5, 5, 7, 9]
    from_values = mean(values)
    summary = mean_from_summary([5.0, 3.0], [math.sqrt(32 / 7), 0.0], [8, 1])
    assert summary.lower[0] == pytest.approx(from_values.lower, rel=1e-12)
    assert summary.value[1] == 3.0 and math.isnan(summary.lower[1])
    assert math.isnan(mean([3.0]).lower)


# --- Rate ratios (§8) -------------------------------------------------------------------------


def test_rate_ratio_log_method_worked_by_hand():
    # §8.1: RR = (60/20000)/(45/30000) = 2; SE = √(1/60 + 1/45)
    z = _normal_quantile(0.95)
    standard_error = math.sqrt(1 / 60 + 1 / 45)
    estimate = rate_ratio(60, 20_000, 45, 30_000)
    assert _same(estimate.value, 2.0)
    assert _same(estimate.lower, 2 * math.exp(-z * standard_error))
    assert _same(estimate.upper, 2 * math.exp(z * standard_error))
    assert estimate.method == "log"


def test_rate_ratio_exact_method_from_clopper_pearson():
    # §8.2 by scipy's binomial test: Clopper-Pearson limits for p = x1/(x1 + x2), then
    # RR = (n2/n1)·p/(1 − p).
    interval = scipy_stats.binomtest(4, 4 + 15).proportion_ci(0.95, method="exact")
    estimate = rate_ratio(4, 1_000, 15, 3_000)
    assert estimate.method == "exact"
    assert _same(estimate.value, (4 / 1_000) / (15 / 3_000))
    assert _same(estimate.lower, 3 * interval.low / (1 - interval.low))
    assert _same(estimate.upper, 3 * interval.high / (1 - interval.high))


def test_rate_ratio_switches_at_10_and_handles_zero_counts():
    assert rate_ratio([9, 10, 10], 100, [10, 9, 10], 100).method.tolist() == [
        "exact",
        "exact",
        "log",
    ]
    none_of_interest = rate_ratio(0, 100, 5, 100)
    assert none_of_interest.value == 0 and none_of_interest.lower == 0
    # upper: Clopper-Pearson p_U = 1 − 0.025^(1/5) for x = 0 of 5
    p_upper = 1 - 0.025 ** (1 / 5)
    assert _same(none_of_interest.upper, p_upper / (1 - p_upper))
    none_in_reference = rate_ratio(5, 100, 0, 100)
    assert none_in_reference.value == math.inf and none_in_reference.upper == math.inf
    p_lower = 0.025 ** (1 / 5)  # x = 5 of 5: p_L = (α/2)^(1/5)
    assert _same(none_in_reference.lower, p_lower / (1 - p_lower))
    # a count too small for a float to hold its limits counts as none, rather than crashing scipy
    vanishing = rate_ratio(1e-309, 100, 5, 100)
    assert vanishing.lower == 0 and vanishing.method == "exact"


def test_proportion_ratio_katz_worked_by_hand():
    # §8.3: (30/200)/(50/1000) = 3; SE = √(1/30 − 1/200 + 1/50 − 1/1000)
    z = _normal_quantile(0.95)
    standard_error = math.sqrt(1 / 30 - 1 / 200 + 1 / 50 - 1 / 1000)
    estimate = proportion_ratio(30, 200, 50, 1000)
    assert _same(estimate.value, 3.0)
    assert _same(estimate.lower, 3 * math.exp(-z * standard_error))
    assert _same(estimate.upper, 3 * math.exp(z * standard_error))
    undefined = proportion_ratio(0, 200, 50, 1000)
    assert undefined.value == 0 and math.isnan(undefined.lower)


def test_repeat_event_rate_ratio_worked_by_hand():
    # §8.6 (b): group 1 has 20 people with 1 episode, 10 with 2, 2 with 3: O = 46,
    # Σf²m = 20 + 40 + 18 = 78; group 2 has 30 with 1: O = 30, Σf²m = 30.
    z = _normal_quantile(0.95)
    ratio = (46 / 10_000) / (30 / 12_000)
    standard_error = math.sqrt(78 / 46**2 + 30 / 30**2)
    estimate = repeat_event_rate_ratio([20, 10, 2], 10_000, [30, 0, 0], 12_000, [1, 2, 3])
    assert _same(estimate.value, ratio)
    assert _same(estimate.lower, ratio * math.exp(-z * standard_error))
    assert _same(estimate.upper, ratio * math.exp(z * standard_error))
    # everyone at one episode: §8.1's log method
    plain = repeat_event_rate_ratio([60], 20_000, [45], 30_000, [1])
    assert _same(plain.lower, 2 * math.exp(-z * math.sqrt(1 / 60 + 1 / 45)))
    # below 10 episodes there is no method for clustered counts
    assert math.isnan(repeat_event_rate_ratio([4, 2], 100, [30, 0], 100, [1, 2]).lower)


def test_dsr_ratio_worked_by_hand():
    # Both groups shaped like the standard: each DSR is the crude rate and var/DSR² = 1/O,
    # so SE(ln ratio) = √(1/O₁ + 1/O₂) (§8.4).
    weights = {"young": 60_000, "old": 40_000}
    group1 = {"young": 30, "old": 30}, {"young": 6_000, "old": 4_000}  # 60 in 10,000
    group2 = {"young": 20, "old": 25}, {"young": 12_000, "old": 8_000}  # 45 in 20,000
    z = _normal_quantile(0.95)
    ratio = (60 / 10_000) / (45 / 20_000)
    standard_error = math.sqrt(1 / 60 + 1 / 45)
    estimate = dsr_ratio(*group1, *group2, weights)
    assert _same(estimate.value, ratio)
    assert _same(estimate.lower, ratio * math.exp(-z * standard_error))
    assert _same(estimate.upper, ratio * math.exp(z * standard_error))
    few = dsr_ratio({"young": 3, "old": 3}, group1[1], *group2, weights)
    assert math.isnan(few.value) and math.isnan(few.lower)  # a DSR below 10 events: no ratio


def test_ratio_of_independent_estimates_worked_by_hand():
    # §8.5: SE(ln E) = (ln U − ln L)/(2·z) for each; SE(ln ratio) = √(SE₁² + SE₂²)
    z = _normal_quantile(0.95)
    first = math.log(3.2 / 1.8) / (2 * z)
    second = math.log(1.3 / 1.1) / (2 * z)
    ratio = 2.4 / 1.2
    spread = z * math.sqrt(first**2 + second**2)
    estimate = ratio_of_independent_estimates([2.4], [1.8], [3.2], [1.2], [1.1], [1.3])
    assert _same(estimate.value[0], ratio)
    assert _same(estimate.lower[0], ratio * math.exp(-spread))
    assert _same(estimate.upper[0], ratio * math.exp(spread))


# --- NHS England MHA standardised rate (§9) ---------------------------------------------------


def test_nhse_standardised_rate_worked_by_hand():
    # Two age bands × two sexes. N = 40,000; r = d/n; SR = Σ r·N_k/N × 100,000;
    # CI = 1.96·√(Σ N_k²·r(1 − r)/n)/N × 100,000, with the literal 1.96 (§9).
    standard = {"18-34 F": 9_000, "18-34 M": 11_000, "35-49 F": 10_000, "35-49 M": 10_000}
    counts = {"18-34 F": 12, "18-34 M": 30, "35-49 F": 8, "35-49 M": None}
    populations = {"18-34 F": 1_500, "18-34 M": 2_000, "35-49 F": 1_000, "35-49 M": 1_200}
    rates = {"18-34 F": 12 / 1_500, "18-34 M": 30 / 2_000, "35-49 F": 8 / 1_000, "35-49 M": 0}
    total = 40_000
    expected_value = sum(rates[k] * standard[k] / total for k in standard) * 100_000
    variance = sum(standard[k] ** 2 * rates[k] * (1 - rates[k]) / populations[k] for k in standard)
    half = 1.96 * math.sqrt(variance) / total * 100_000
    estimate = nhse_standardised_rate(counts, populations, standard)
    assert _same(estimate.value, expected_value)
    assert _same(estimate.lower, expected_value - half)
    assert _same(estimate.upper, expected_value + half)
    # NHS England's code leaves its 16-17 strata out of the variance; the option reproduces it
    trimmed = nhse_standardised_rate(
        counts, populations, standard, exclude_from_variance=["18-34 F"]
    )
    term = standard["18-34 F"] ** 2 * rates["18-34 F"] * (1 - rates["18-34 F"]) / 1_500
    trimmed_half = 1.96 * math.sqrt(variance - term) / total * 100_000
    assert _same(trimmed.value, expected_value)
    assert _same(trimmed.upper, expected_value + trimmed_half)


def test_nhse_published_values_round_half_up_and_publish_zero_as_null():
    assert nhse_published_value(81.25) == "81.3"
    assert nhse_published_value(81.24999) == "81.2"
    assert nhse_published_value(0.0) == "NULL"
    assert nhse_published_value(0.049) == "NULL"
    assert nhse_published_value(math.nan) == "NULL"
    assert nhse_published_value(1234.0) == "1234.0"


# --- Funnel plots (§10) -----------------------------------------------------------------------

# Rows of PHE tests/testthat/testdata_funnel_prop_outputs.csv (6 decimal places), for the
# pooled average 80.642448% of testdata_funnel_prop_inputs.csv:
# Population, Lower2s0025limit, Upper2s0025limit, Lower3s0001limit, Upper3s0001limit
PHE_PROPORTION_FUNNEL = [
    (1, 3.204264, 100, 0, 100),
    (18, 62.390093, 98.894803, 51.864359, 100),
    (41, 68.548635, 92.73626, 61.574398, 99.710497),
    (1008, 78.203374, 83.081521, 76.796814, 84.488082),
    (110000, 80.408963, 80.875933, 80.274317, 81.010578),
]


@pytest.mark.parametrize("row", PHE_PROPORTION_FUNNEL, ids=lambda row: f"population-{row[0]}")
def test_proportion_funnel_limits_match_phes_output(row):
    population, *expected = row
    limits = funnel_limits([0.80642448], [1], "proportion", 100, at=[population])
    assert limits.baseline == pytest.approx(80.642448, rel=1e-12)
    found = [limits.lower_95[0], limits.upper_95[0], limits.lower_99_8[0], limits.upper_99_8[0]]
    assert found == pytest.approx(expected, abs=1.5e-6)  # PHE rounds to 6 decimal places
    assert limits.method == "Wilson" and limits.statistic == "proportion"


# Rows of PHE tests/testthat/testdata_funnel_rate_outputs.csv (DSR per 100,000, 3 years of data,
# baseline 116.1720835): Events, then (population for one year, limit) for lower 2s, upper 2s,
# lower 3s, upper 3s. PHE finds each by bisection to 1e-7 on λ/(1 + E + λ).
PHE_RATE_FUNNEL = [
    (1, 1598.675694, 20.85059119, 7.264481402, 4588.535848, 2649.348525, 12.58170943,
     0.287087625, 116108.569),
    (10, 5276.757672, 63.17010446, 1375.943768, 242.2579623, 6924.776769, 48.13632908,
     849.4639547, 392.4043292),
    (104, 36157.10817, 95.87787415, 24382.08903, 142.1808715, 40036.31685, 86.58805154,
     21608.75072, 160.4288333),
    (1360, 411529.9259, 110.158048, 369759.5622, 122.6021934, 424043.2424, 106.9073359,
     358342.3275, 126.5084525),
]  # fmt: skip


@pytest.mark.parametrize("row", PHE_RATE_FUNNEL, ids=lambda row: f"events-{row[0]}")
def test_rate_funnel_limits_match_phes_output(row):
    average = 116.1720835 / 100_000
    pairs = [(row[i] * 3, row[i + 1]) for i in (1, 3, 5, 7)]  # population over the 3 years
    fields = ["lower_95", "upper_95", "lower_99_8", "upper_99_8"]
    for (population, expected), field in zip(pairs, fields, strict=True):
        limits = funnel_limits([1], [1], "rate", 100_000, at=[population], average=average)
        assert getattr(limits, field)[0] == pytest.approx(expected, rel=1e-4), field
        assert limits.method == "Poisson"


def test_funnel_limits_are_where_the_units_own_interval_meets_the_average():
    # The defining property (§10), checked with independent formulas: at a limit, the Wilson
    # (proportions) or exact Poisson (rates) limit of the point lies on the average.
    average, population = 0.3, 250
    limits = funnel_limits([30, 45], [100, 150], at=[population])
    z = _normal_quantile(0.95)
    for proportion_limit, wilson_end in ((limits.lower_95[0], +1), (limits.upper_95[0], -1)):
        x = proportion_limit * population
        end = 2 * x + z * z + wilson_end * z * math.sqrt(z * z + 4 * x * (1 - x / population))
        assert end / (2 * (population + z * z)) == pytest.approx(average, rel=1e-12)
    # rates at a whole number of events: μ = average·P equals the exact limit of E events
    events, average = 12, 0.002
    upper_of_events = scipy_stats.gamma.ppf(0.975, events + 1)  # exact upper limit of 12
    population = upper_of_events / average
    at_point = funnel_limits([1], [1], "rate", 1, at=[population], average=average)
    assert at_point.lower_95[0] == pytest.approx(events / population, rel=1e-9)
    lower_of_events = scipy_stats.gamma.ppf(0.001, events)  # exact 99.8% lower limit of 12
    population = lower_of_events / average
    at_point = funnel_limits([1], [1], "rate", 1, at=[population], average=average)
    assert at_point.upper_99_8[0] == pytest.approx(events / population, rel=1e-9)


def test_funnel_limits_default_to_the_units_and_floor_and_cap():
    limits = funnel_limits([1, 9], [2, 10], multiplier=100)
    assert limits.denominator.tolist() == [2, 10]
    assert limits.baseline == pytest.approx(10 / 12 * 100)
    # At n = 1 and an average of 0.5: the Wilson upper limit of 0/1 is z²/(1 + z²) > 0.5, so no
    # proportion has it on the average (floored at 0); the lower limit of 1/1 is 1/(1 + z²) < 0.5
    # (capped at 1 × multiplier).
    single = funnel_limits([5], [10], multiplier=100, at=[1])
    assert single.lower_95[0] == single.lower_99_8[0] == 0
    assert single.upper_95[0] == single.upper_99_8[0] == 100
    tiny = funnel_limits([1], [1], "rate", at=[1.0], average=0.001)
    assert tiny.lower_95[0] == 0 and tiny.upper_95[0] > 0


# Rows of PHE tests/testthat/testdata_funnel_prop_inputs.csv with the labels PHE assigns them.
PHE_SIGNIFICANCE = [
    ("New Forest PCT", 35078.4880, 41980, "High (0.001)"),
    ("Norwich PCT", 24803.6256, 31824, "Low (0.001)"),
    ("South Gloucestershire PCT", 50050.7443, 61921, "Not significant"),
    ("West Norfolk PCT", 26789.2380, 33012, "High (0.025)"),
    ("North Devon PCT", 30277.5312, 37828, "Low (0.025)"),
]


def test_funnel_significance_for_proportions_matches_phe():
    _, numerators, denominators, labels = zip(*PHE_SIGNIFICANCE, strict=True)
    found = funnel_significance(numerators, denominators, average=0.80642448)
    assert found.tolist() == list(labels)


def test_funnel_significance_for_rates_worked_by_hand():
    # average 1 in 1,000. 0 events in 5,000 people: exact upper limit of 0 is −ln(α/2):
    # 3.689 at 95% (3.689/5000 < 0.001: low) and 6.908 at 99.8% (6.908/5000 > 0.001): Low 0.025.
    # 40 events in 10,000: Byar lower at 99.8% by hand is above 10 → High (0.001).
    lower_998, _ = _byar_by_hand(40, 0.998)
    assert (
        lower_998 / 10_000 > 0.001 and -math.log(0.025) / 5_000 < 0.001 < -math.log(0.001) / 5_000
    )
    found = funnel_significance(
        [0, 40, 10, math.nan], [5_000, 10_000, 10_000, 100], "rate", average=0.001
    )
    assert found.tolist() == ["Low (0.025)", "High (0.001)", "Not significant", ""]
    dsrs = funnel_significance(
        [5, 40], [5_000, 10_000], "rate", average=0.001, directly_standardised=True
    )
    assert dsrs.tolist() == ["Not applicable for events less than 10 for dsrs", "High (0.001)"]
    assert funnel_significance(40, 10_000, "rate", average=0.001) == "High (0.001)"


def test_estimate_has_the_contract_fields():
    assert [field for field in Estimate.__dataclass_fields__] == [
        "value",
        "lower",
        "upper",
        "method",
    ]
