"""Tests for pcref.analytics.disclosure: rules D1-D6 and §3 of disclosure-control.md.

Boundary values come from the rules themselves: 4/5 for D1 and D3, 7/8 and 12/13 for rounding
to the nearest 5 (D2), 6/7 for ECDS (D5), 99/100 bed days (D4). Where a rule is NHS England's,
the test names the code it follows.
"""

import math

import numpy as np
import pytest

from pcref.analytics.disclosure import (
    RULE_SET_VERSION,
    SUPPRESSED,
    hide_suppressed_points,
    round_to_nearest_five,
    suppress_combined_count,
    suppress_count,
    suppress_counts,
    suppress_derived,
    suppress_ecds_count,
    suppress_proportion,
    suppress_rate,
    suppress_rate_ratio,
    suppress_rates,
    suppress_restraint_rate,
    suppress_table_row,
)

MISSING = [None, math.nan, np.nan, np.float64("nan")]


# --- D1 and D2: counts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, "*"),  # zero is below 5 too (MHA output.py; Bulletin 2013-14 text)
        (1, "*"),
        (4, "*"),
        (4.9, "*"),
        (5, 5),
        (6, 5),
        (7, 5),
        (8, 10),
        (12, 10),
        (13, 15),
        (97, 95),
        (98, 100),
        (1234, 1235),
        (np.int64(13), 15),
        (13.0, 15),
    ],
)
def test_counts_below_five_are_suppressed_and_others_rounded_to_five(count, shown):
    result = suppress_count(count)
    assert result == shown
    assert type(result) is (str if shown == "*" else int)


@pytest.mark.parametrize(("count", "shown"), [(7.5, 10), (12.5, 15), (2.5, 5), (17.5, 20)])
def test_halves_round_up_as_sparks_round_does(count, shown):
    # MHA output.py rounds with Spark SQL ROUND(x/5.0, 0)*5, half up; Python's round() would
    # give 10 for 12.5 (banker's rounding). Whole counts never meet a half.
    assert round_to_nearest_five(count) == shown


def test_whole_counts_never_fall_on_a_half():
    assert all((n / 5) % 1 != 0.5 for n in range(10_000))
    assert [round_to_nearest_five(n) for n in range(5, 16)] == [5] * 3 + [10] * 5 + [15] * 3


def test_a_structurally_zero_table_may_show_zero():
    # D1: "unless the whole table is structurally zero and the trust decides otherwise".
    assert suppress_count(0, structural_zero=True) == 0
    assert suppress_count(3, structural_zero=True) == "*"


@pytest.mark.parametrize("missing", MISSING)
def test_a_missing_count_gives_a_missing_result(missing):
    assert suppress_count(missing) is None
    assert suppress_count(missing, national=True) is None
    assert suppress_ecds_count(missing) is None


@pytest.mark.parametrize("count", [0, 3, 4, 7, 12, 13, 1234.5])
def test_national_figures_are_shown_exactly_as_published(count):
    # D6: England is not suppressed (MHA output.py: OrgID = 'All prov' → the count itself).
    assert suppress_count(count, national=True) == count


# --- D5: ECDS, and combined MHSDS + ECDS totals ----------------------------------------------


@pytest.mark.parametrize(
    ("count", "shown"),
    [(0, 0), (1, "*"), (4, "*"), (5, "*"), (6, "*"), (7, 5), (8, 10), (12, 10), (13, 15)],
)
def test_ecds_counts_show_zero_and_hide_one_to_six(count, shown):
    assert suppress_ecds_count(count) == shown


def test_ecds_national_figures_are_unsuppressed():
    assert suppress_ecds_count(3, national=True) == 3


@pytest.mark.parametrize(
    ("mhsds", "ecds", "shown"),
    [
        (0, 0, 0),  # total and ECDS both 0
        (6, 0, "*"),  # total 6 < 7 and ECDS 0 < 7
        (0, 6, "*"),
        (3, 3, "*"),
        (4, 9, 15),  # total 13: MHSDS 4 < 5 but the total is not
        (7, 1, 10),  # total 8
        (5, 2, 5),  # total 7
        (6, None, 5),  # no ECDS part: D1 alone
        (4, None, "*"),
        (0, None, "*"),  # MHA: "any other total of 0 is *"
        (None, 0, 0),  # no MHSDS part: D5 alone
        (None, 6, "*"),
        (None, 7, 5),
        (None, None, None),
    ],
)
def test_combined_totals_follow_the_mha_order_of_checks(mhsds, ecds, shown):
    assert suppress_combined_count(mhsds, ecds) == shown


def test_combined_national_totals_are_unsuppressed():
    assert suppress_combined_count(2, 1, national=True) == 3
    assert suppress_combined_count(2, None, national=True) == 2


# --- D3: rates and percentages ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numerator", "denominator", "shown"),
    [(4, 100, "*"), (5, 100, 5.0), (100, 4, "*"), (100, 5, 2000.0), (0, 100, "*"), (5, 0, "*")],
)
def test_a_rate_is_suppressed_when_its_numerator_or_denominator_is_below_five(
    numerator, denominator, shown
):
    value = numerator / denominator * 100 if denominator else math.nan
    if denominator == 0:
        value = 0.0  # whatever was worked out, the zero denominator hides it
    assert suppress_rate(numerator, denominator, value) == shown


def test_rates_are_rounded_to_whole_numbers_by_default_halves_up():
    # Bulletin: "otherwise rounded to a whole number"; halves away from zero, as Spark's ROUND.
    assert suppress_rate(10, 40, 25.5) == 26.0
    assert suppress_rate(10, 40, 24.5) == 25.0
    assert suppress_rate(10, 40, 2.675, decimals=2) == 2.68
    assert suppress_rate(10, 40, 25.4321, decimals=None) == 25.4321


def test_a_rate_and_its_confidence_limits_are_hidden_together():
    assert suppress_rate(4, 200, (2.0, 0.5, 5.1)) == ("*", "*", "*")
    assert suppress_rate(50, 200, [25.04, 19.1, 31.8]) == (25.0, 19.0, 32.0)
    assert suppress_rate(50, 200, (25.0, None, math.nan)) == (25.0, None, None)


@pytest.mark.parametrize("missing", MISSING)
def test_a_rate_with_anything_missing_is_missing(missing):
    assert suppress_rate(missing, 100, 5.0) is None
    assert suppress_rate(10, missing, 5.0) is None
    assert suppress_rate(10, 100, missing) is None
    assert suppress_rate(missing, 100, (5.0, 1.0, 9.0)) == (None, None, None)


def test_national_rates_are_shown_exactly_as_published():
    assert suppress_rate(3, 4, 75.123, national=True) == 75.123
    assert suppress_rate(3, 4, (75.1, 19.4, 99.4), national=True) == (75.1, 19.4, 99.4)


# --- D4: restrictive interventions per occupied bed days --------------------------------------


@pytest.mark.parametrize(
    ("people", "interventions", "bed_days", "shown"),
    [
        (12, 40, 99, "*"),
        (12, 40, 100, 400.0),
        (4, 40, 1000, "*"),  # MHS76 < 5
        (5, 40, 1000, 40.0),
        (12, 4, 1000, "*"),  # MHS77 < 5
        (12, 5, 1000, 5.0),
        (0, 0, 0, "*"),
    ],
)
def test_restraint_rates_need_100_bed_days_and_five_people_and_interventions(
    people, interventions, bed_days, shown
):
    rate = interventions / bed_days * 1000 if bed_days else 0.0
    assert suppress_restraint_rate(people, interventions, bed_days, rate) == shown


def test_restraint_rates_keep_decimals_when_asked_and_pass_national_figures():
    assert suppress_restraint_rate(12, 40, 150, 266.6667, decimals=1) == 266.7
    assert suppress_restraint_rate(1, 1, 10, 100.0, national=True) == 100.0
    assert suppress_restraint_rate(12, None, 150, 266.6) is None


# --- §3: derived figures and ratios -------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "shown"),
    [
        ((40, 1000, 10, 1000), 4.0),
        ((4, 1000, 10, 1000), "*"),
        ((40, 4, 10, 1000), "*"),
        ((40, 1000, 4, 1000), "*"),
        ((40, 1000, 10, 4), "*"),
        ((40, 1000, 10, None), None),
    ],
)
def test_a_rate_ratio_is_hidden_when_any_of_its_four_counts_is_below_five(counts, shown):
    assert suppress_rate_ratio(*counts, 4.0) == shown


def test_a_rate_ratio_and_its_interval_stay_unrounded_by_default():
    assert suppress_rate_ratio(40, 1000, 10, 1000, (4.0, 1.99, 8.04)) == (4.0, 1.99, 8.04)
    assert suppress_rate_ratio(40, 1000, 10, 1000, (4.0, 1.99, 8.04), decimals=1) == (
        4.0,
        2.0,
        8.0,
    )


def test_any_derived_figure_follows_the_counts_it_comes_from():
    assert suppress_derived(12.3, [5, 6, 7]) == 12.3
    assert suppress_derived(12.3, [5, 6, 4]) == "*"
    assert suppress_derived(-0.25, (10, 20), decimals=1) == -0.3  # half away from zero
    assert suppress_derived(12.3, [5, None]) is None
    with pytest.raises(ValueError, match="counts must name at least one count"):
        suppress_derived(12.3, [])


# --- Lists and arrays ---------------------------------------------------------------------------


def test_counts_in_lists_and_arrays():
    assert suppress_counts([0, 4, 5, 7, 8, 12, 13, None]) == ["*", "*", 5, 5, 10, 10, 15, None]
    assert suppress_counts(np.array([4.0, 13.0, np.nan])) == ["*", 15, None]
    assert suppress_counts(np.array([3, 13]), national=True) == [3, 13]


def test_rates_in_lists_and_arrays():
    shown = suppress_rates(np.array([4, 5, 50]), [100, 100, 4], np.array([4.0, 5.0, 1250.0]))
    assert shown == ["*", 5.0, "*"]
    assert suppress_rates([4], [100], [4.0], national=True) == [4.0]


def test_rates_in_lists_must_line_up():
    with pytest.raises(
        ValueError,
        match="the sequences must have the same length: numerators has 2, denominators has 3, "
        "values has 2",
    ):
        suppress_rates([1, 2], [1, 2, 3], [1.0, 2.0])


def test_chart_points_with_suppressed_counts_are_not_plotted():
    values = [2.5, 0.4, math.nan, 3.1]
    assert hide_suppressed_points(values, [25, 4, 10, 31], [1000] * 4) == [2.5, None, None, 3.1]
    assert hide_suppressed_points([7.0, 3.0], [7, 3]) == [7.0, None]  # plain counts
    assert hide_suppressed_points([7.0, 3.0], [7, 3], national=True) == [7.0, 3.0]
    with pytest.raises(ValueError, match="values has 1, numerators has 2"):
        hide_suppressed_points([1.0], [5, 6])


# --- §3: secondary suppression -------------------------------------------------------------


def test_a_single_hidden_cell_gets_a_partner_so_it_cannot_be_subtracted_out():
    cells, total = suppress_table_row([3, 40, 12, 57])
    assert cells == ["*", 40, "*", 55] and total == 110


def test_two_hidden_cells_need_no_partner():
    assert suppress_table_row([3, 40, 2, 57]) == (["*", 40, "*", 55], 100)


def test_no_hidden_cell_needs_no_partner():
    assert suppress_table_row([13, 40, 12]) == ([15, 40, 10], 65)


def test_the_partner_is_the_smallest_other_cell_first_on_a_tie():
    assert suppress_table_row([20, 8, 3, 8])[0] == [20, "*", "*", 10]


def test_a_given_total_is_rounded_and_missing_cells_are_left_out():
    cells, total = suppress_table_row([3, None, 40, 12], total=58)
    assert cells == ["*", None, 40, "*"] and total == 60
    assert suppress_table_row([None, None]) == ([None, None], None)


def test_a_national_row_is_shown_as_given():
    assert suppress_table_row([3, 40, 12], national=True) == ([3, 40, 12], 55)


def test_a_row_of_one_small_cell_hides_the_total_too():
    assert suppress_table_row([3]) == (["*"], "*")


# --- Refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [-1, -0.5, -3])
def test_negative_counts_are_refused_naming_the_value(count):
    with pytest.raises(ValueError, match=f"count must be 0 or more; got {count!r}"):
        suppress_count(count)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: suppress_rate(-3, 100, 1.0), "numerator must be 0 or more; got -3"),
        (lambda: suppress_rate(3, -100, 1.0), "denominator must be 0 or more; got -100"),
        (lambda: suppress_restraint_rate(5, 5, -1, 1.0), "bed_days must be 0 or more; got -1"),
        (lambda: suppress_ecds_count(-2), "count must be 0 or more; got -2"),
        (lambda: suppress_combined_count(3, -1), "ecds_count must be 0 or more; got -1"),
        (lambda: suppress_rate_ratio(5, 5, -5, 5, 1.0), "reference_numerator must be 0 or more"),
        (lambda: suppress_counts([5, -7]), r"counts\[1\]: count must be 0 or more; got -7"),
        (lambda: suppress_rates([5], [-9], [1.0]), "row 0: denominator must be 0 or more; got -9"),
        (lambda: suppress_table_row([5, -2]), r"counts\[1\]: count must be 0 or more; got -2"),
        (lambda: suppress_table_row([5], total=-1), "total: count must be 0 or more; got -1"),
        (lambda: suppress_count(math.inf), "count must be finite; got inf"),
        (lambda: suppress_rate(5, 5, math.inf), "value must be finite; got inf"),
        (lambda: suppress_rate(5, 5, 1.0, decimals=-1), "decimals must be None or a whole "
         "number of 0 or more; got -1"),
        (lambda: suppress_rate(5, 5, 1.0, decimals=1.5), "decimals .*; got 1.5"),
        (lambda: suppress_derived(1.0, [5, -1]), r"counts\[1\] must be 0 or more; got -1"),
    ],
)  # fmt: skip
def test_bad_numbers_are_refused_naming_the_argument_and_value(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: suppress_count("12"), r"count must be a number; got '12' \(a str\)"),
        (lambda: suppress_count(True), r"count must be a number; got True \(a bool\)"),
        (lambda: suppress_rate(5, 100, "4%"), r"value must be a number; got '4%' \(a str\)"),
        (lambda: suppress_rate(5, 100, (1.0, "x")), r"value\[1\] must be a number; got 'x'"),
        (lambda: suppress_count(5, national="yes"), "national must be True or False; got 'yes'"),
        (lambda: suppress_count(0, structural_zero=1), "structural_zero must be True or False"),
    ],
)
def test_non_numbers_are_refused_naming_the_value(call, message):
    with pytest.raises(TypeError, match=message):
        call()


def test_the_rule_set_is_named_for_the_audit_record():
    assert RULE_SET_VERSION.startswith("pcref-disclosure-v2")
    assert SUPPRESSED == "*"


def test_a_proportion_is_hidden_when_its_rest_is_small():
    assert suppress_proportion(10, 11, 909.1) == SUPPRESSED  # 1 not restrained
    assert suppress_proportion(40, 40, (100.0, 91.2, 100.0)) == (SUPPRESSED,) * 3  # none left
    assert suppress_proportion(4, 400, 1.0) == SUPPRESSED  # D3, as for any rate
    assert suppress_proportion(10, 15, (66.67, 41.7, 84.8), decimals=1) == (66.7, 41.7, 84.8)
    assert suppress_proportion(None, 15, 66.7) is None
    assert suppress_proportion(12, 10, 120.0) == SUPPRESSED  # a part larger than its whole
    assert suppress_proportion(10, 11, 909.1, national=True) == 909.1  # D6
