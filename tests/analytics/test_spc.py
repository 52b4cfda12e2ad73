"""Known-answer tests for pcref.analytics.spc: XmR limits, rules, assurance, rebase (§11).

Expected values are worked out by hand in each test from the formulas in statistics.md §11:
mean, moving ranges MR, AMR = mean(MR), limits mean ± 2.66 × AMR, near limits
mean ± (2 × 2.66 / 3) × AMR, screening of MR ≥ 3.267 × AMR once. Where a case comes from
NHSRplotthedots (PTD) the test names the file it is taken from.
"""

import math

import numpy as np
import pytest

from pcref.analytics import spc
from pcref.analytics.spc import (
    NEAR_LIMIT_MULTIPLIER,
    XmRChart,
    XmROptions,
    xmr,
    xmr_with_options,
)

NEAR = 2 * 2.66 / 3
COMMON = "Common Cause"


def flagged(chart: XmRChart) -> dict[int, str]:
    """Position → label for every special-cause point."""
    return {i: label for i, label in enumerate(chart.special_cause_label) if label != COMMON}


def quiet(values, **options):
    """A chart without the short-group warning, for cases shorter than 13 points."""
    return xmr(values, short_group_threshold=0, **options)


# --- Limits and outlier screening (§11.2) ---------------------------------------------------

# PTD vignettes/deviations.Rmd, "Treatment of outlying points": the same 18 points drawn with
# and without screening.
DEVIATIONS = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]


def test_limits_with_outlier_screening_match_the_hand_calculation():
    chart = xmr(DEVIATIONS)
    # nine 1s, eight 2s and a 10: mean 35/18. Moving ranges: 1, 1, 1, 8, 9 and twelve 1s,
    # so AMR = 32/17; 3.267 × 32/17 = 6.15 screens out 8 and 9, leaving fifteen 1s: AMR = 1.
    mean, amr = 35 / 18, 1.0
    assert chart.mean == pytest.approx([mean] * 18, abs=1e-12)
    assert chart.average_moving_range[0] == pytest.approx(amr, abs=1e-12)
    assert chart.upper[0] == pytest.approx(mean + 2.66 * amr, abs=1e-12)
    assert chart.lower[0] == pytest.approx(mean - 2.66 * amr, abs=1e-12)
    assert chart.near_upper[0] == pytest.approx(mean + NEAR * amr, abs=1e-12)
    assert chart.near_lower[0] == pytest.approx(mean - NEAR * amr, abs=1e-12)
    assert chart.moving_range_used.tolist() == [False, True, True, True, False, False] + [True] * 12
    assert math.isnan(chart.moving_range[0]) and chart.moving_range[4] == 8
    assert flagged(chart) == {4: "Above UCL"}


def test_screening_off_reproduces_the_excel_tool():
    chart = xmr(DEVIATIONS, screen_outliers=False)
    mean, amr = 35 / 18, 32 / 17
    assert chart.average_moving_range[0] == pytest.approx(amr, abs=1e-12)
    assert chart.upper[0] == pytest.approx(mean + 2.66 * amr, abs=1e-12)
    assert chart.lower[0] == pytest.approx(mean - 2.66 * amr, abs=1e-12)
    assert chart.moving_range_used[1:].all()
    assert flagged(chart) == {4: "Above UCL"}  # 10 > 6.95: still outside, with wider limits


def test_screening_is_a_single_pass():
    # Sixteen moving ranges of 1, then 4, then 20: AMR = 40/18 = 2.22, so 20 (≥ 7.26) goes and
    # 4 stays. A second pass (3.267 × 20/17 = 3.84) would drop the 4 too; PTD does not.
    values = [0, 1] * 8 + [0, 4, -16]
    chart = quiet(values)
    assert chart.moving_range[1:].tolist() == [1.0] * 16 + [4.0, 20.0]
    assert chart.moving_range_used[1:].tolist() == [True] * 17 + [False]
    assert chart.average_moving_range[0] == pytest.approx(20 / 17, abs=1e-12)


def test_near_limit_constant_is_two_thirds_of_the_limit():
    assert NEAR_LIMIT_MULTIPLIER == pytest.approx(2 * 2.66 / 3, abs=1e-15)


# --- Special-cause rules (§11.3) ---------------------------------------------------------------


def test_outside_the_limits_below():
    # DEVIATIONS upside down: mean −35/18, AMR 1 after screening, LPL −35/18 − 2.66 = −4.60.
    chart = xmr([-value for value in DEVIATIONS])
    assert chart.lower[0] == pytest.approx(-35 / 18 - 2.66, abs=1e-12)
    assert flagged(chart) == {4: "Below LCL"}
    assert chart.rule[4] == "outside_limits" and chart.special_cause[4] == "concern"


def test_a_point_exactly_on_a_limit_is_not_outside():
    # The first 20 points fix mean 0 and AMR 1 exactly, so the upper limit is exactly 2.66; the
    # comparison is strict. 2.66 is past the near limit (1.77) but alone, so common cause.
    on_the_limit = xmr([0.5, -0.5] * 10 + [2.66], fix_after_n_points=20)
    assert on_the_limit.upper[-1] == 2.66
    assert flagged(on_the_limit) == {}
    assert flagged(xmr([0.5, -0.5] * 10 + [2.67], fix_after_n_points=20)) == {20: "Above UCL"}


def test_shift_of_seven_on_each_side_of_the_mean():
    # mean 177/14 = 12.64; moving ranges six 2s, a 4 and six 1s: AMR = 22/13, limits 12.64 ±
    # 4.50, near limits ± 3.00: no point is close or outside, and no 7 rise or fall in a row.
    values = [10, 12, 10, 12, 10, 12, 10, 14, 15, 14, 15, 14, 15, 14]
    chart = quiet(values)
    assert chart.mean[0] == pytest.approx(177 / 14, abs=1e-12)
    assert chart.average_moving_range[0] == pytest.approx(22 / 13, abs=1e-12)
    assert chart.special_cause_label == ("7 Points Below CL",) * 7 + ("7 Points Above CL",) * 7
    assert set(chart.rule) == {"shift"}
    assert chart.special_cause == ("concern",) * 7 + ("improvement",) * 7


def test_shift_needs_seven_points_not_six():
    # mean 0 by symmetry; AMR = 46/11, near limits ± 7.4: six above then six below.
    assert flagged(quiet([1, 5, 1, 5, 1, 5, -1, -5, -1, -5, -1, -5])) == {}
    # Seven above then seven below (mean 0, AMR = 50/13): every point is in a shift.
    chart = quiet([1, 5, 1, 5, 1, 5, 1, -1, -5, -1, -5, -1, -5, -1])
    assert chart.special_cause_label == ("7 Points Above CL",) * 7 + ("7 Points Below CL",) * 7


def test_a_point_exactly_on_the_mean_breaks_a_run():
    # mean 0 by symmetry; the zeros at 3 and 13 split the runs into 3 + 3 above and 6 below.
    values = [1, 5, 1, 0, 5, 1, 5, -1, -5, -1, -5, -1, -5, 0]
    chart = quiet(values)
    assert chart.mean[0] == 0
    assert flagged(chart) == {}


def test_trend_of_seven_increasing_flags_every_point():
    # mean 76/19 = 4; AMR = 30/18; limits 4 ± 4.43, so the trend 1…7 stays inside them.
    values = [5, 3, 5, 3, 5, 3, 1, 2, 3, 4, 5, 6, 7, 5, 3, 5, 3, 5, 3]
    chart = xmr(values)
    assert chart.upper[0] == pytest.approx(4 + 2.66 * 30 / 18, abs=1e-12)
    assert flagged(chart) == dict.fromkeys(range(6, 13), "7 Point Trend (Increasing)")
    assert {chart.rule[i] for i in range(6, 13)} == {"trend"}
    assert {chart.special_cause[i] for i in range(6, 13)} == {"improvement"}


def test_trend_of_seven_decreasing():
    values = [-v for v in [5, 3, 5, 3, 5, 3, 1, 2, 3, 4, 5, 6, 7, 5, 3, 5, 3, 5, 3]]
    chart = xmr(values)
    assert flagged(chart) == dict.fromkeys(range(6, 13), "7 Point Trend (Decreasing)")
    assert {chart.special_cause[i] for i in range(6, 13)} == {"concern"}


def test_a_tie_breaks_a_trend_and_six_rises_are_needed():
    values = [5, 3, 5, 3, 5, 3, 1, 2, 3, 3, 4, 5, 6, 5, 3, 5, 3, 5, 3]
    assert not any(rule == "trend" for rule in xmr(values).rule)


def test_a_point_shared_by_rising_and_falling_trends_takes_the_right_hand_trend():
    # mean 113/29; AMR = 138/28; limits ± 13.1: the peak 7 at position 14 ends the rise and
    # starts the fall, and is labelled with the fall (§11.3).
    values = [0, 8] * 4 + [1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1] + [8, 0] * 4
    chart = xmr(values)
    assert chart.average_moving_range[0] == pytest.approx(138 / 28, abs=1e-12)
    expected = dict.fromkeys(range(8, 14), "7 Point Trend (Increasing)")
    expected.update(dict.fromkeys(range(14, 21), "7 Point Trend (Decreasing)"))
    assert flagged(chart) == expected


def test_a_trend_point_followed_by_a_tie_keeps_its_own_direction():
    # Deliberate difference from PTD: its code takes the sign of the step to the next point
    # when that point is in a trend too, so the first 7 here would be "Decreasing" there.
    values = [0, 8] * 4 + [1, 2, 3, 4, 5, 6, 7, 7, 6, 5, 4, 3, 2, 1] + [8, 0] * 4
    chart = xmr(values)
    assert chart.special_cause_label[14] == "7 Point Trend (Increasing)"
    assert chart.special_cause_label[15] == "7 Point Trend (Decreasing)"


def test_two_of_three_near_the_limit_flags_only_the_close_points():
    # mean 126/23 = 5.48; moving ranges: 18 twos, 4, 4, 4, 6 → AMR = 54/22; near upper limit
    # 5.48 + 1.773 × 2.45 = 9.83 and upper limit 12.0, so the 10s are close; 6 is above the mean.
    values = [4, 6] * 5 + [10, 6, 10] + [4, 6] * 5
    chart = xmr(values)
    assert chart.mean[0] == pytest.approx(126 / 23, abs=1e-12)
    assert chart.average_moving_range[0] == pytest.approx(54 / 22, abs=1e-12)
    assert chart.near_upper[0] < 10 < chart.upper[0]
    assert flagged(chart) == {10: "2 in 3 Above CL", 12: "2 in 3 Above CL"}
    assert chart.rule[10] == "two_of_three"


def test_two_of_three_needs_all_three_on_the_same_side():
    # mean 125/23 = 5.43, AMR 60/22, near upper limit 10.27: both 10.5s are close, but the 4
    # between them is below the mean, so the window cannot fire (PTD issue #143). With a 6 there
    # (above the mean 5.52), it does.
    chart = xmr([4, 6] * 5 + [10.5, 4, 10.5] + [4, 6] * 5)
    assert chart.average_moving_range[0] == pytest.approx(60 / 22, abs=1e-12)
    assert chart.near_upper[0] < 10.5 < chart.upper[0] and 4 < chart.mean[0]
    assert flagged(chart) == {}
    chart = xmr([4, 6] * 5 + [10.5, 6, 10.5] + [4, 6] * 5)
    assert flagged(chart) == {10: "2 in 3 Above CL", 12: "2 in 3 Above CL"}


def test_two_of_three_on_opposite_sides_is_common_cause_as_ptd_tests_it():
    # PTD tests/testthat/test-ptd_spc_standard.R, "it only reports special cause for 2 of 3
    # points close to limits when they are on the same side of the mean".
    values = [1, -1] * 8
    values[14], values[15] = 5.5, -5.5
    chart = xmr(values)
    # mean 0; moving ranges thirteen 2s, 6.5 and 11; 11 ≥ 3.267 × 43.5/15 is screened out.
    assert chart.mean[0] == 0
    assert chart.average_moving_range[0] == pytest.approx(32.5 / 14, abs=1e-12)
    assert chart.near_upper[0] < 5.5 < chart.upper[0]
    assert chart.special_cause[-2:] == (None, None)


def test_a_point_outside_the_limits_is_not_close_to_them():
    # 13 is outside (12.07); the 10 is then the only close point of its window.
    values = [4, 6] * 5 + [10, 6, 13] + [4, 6] * 5
    chart = xmr(values)
    assert chart.near_upper[0] < 10 < chart.upper[0] < 13
    assert flagged(chart) == {12: "Above UCL"}


def test_two_adjacent_close_points():
    values = [4, 6] * 5 + [10, 10] + [4, 6] * 5
    chart = xmr(values)
    assert flagged(chart) == {10: "2 in 3 Above CL", 11: "2 in 3 Above CL"}


# --- Priorities when several rules fire (§11.3) -------------------------------------------


def test_outside_the_limits_beats_a_trend():
    # mean 115/23 = 5; the 30→0 range (30) is screened, AMR = 148/21, UPL 23.7: 1…6, 30 is a
    # 7-point rise whose last point is outside.
    values = [0, 8] * 4 + [1, 2, 3, 4, 5, 6, 30] + [0, 8] * 4
    chart = xmr(values)
    assert chart.upper[0] == pytest.approx(5 + 2.66 * 148 / 21, abs=1e-12)
    expected = dict.fromkeys(range(8, 14), "7 Point Trend (Increasing)")
    expected[14] = "Above UCL"
    assert flagged(chart) == expected


def test_a_trend_beats_two_of_three():
    # 8, 10, 10.5 are all above the mean (5.31) and 10 and 10.5 are past the near limit (9.07),
    # but they end a 7-point rise.
    values = [4, 6] * 5 + [2, 3, 4, 6, 8, 10, 10.5] + [4, 6] * 5
    chart = xmr(values)
    assert chart.near_upper[0] < 10 < 10.5 < chart.upper[0]
    assert flagged(chart) == dict.fromkeys(range(10, 17), "7 Point Trend (Increasing)")


def test_two_of_three_beats_a_shift():
    # Positions 11-18 are 8 points above the mean (5.55); the two 10s are close (near 9.21).
    values = [4, 6] * 6 + [6, 7, 10, 6, 10, 7, 6] + [4, 6] * 6
    chart = xmr(values)
    expected = dict.fromkeys(range(11, 19), "7 Points Above CL")
    expected[14] = expected[16] = "2 in 3 Above CL"
    assert flagged(chart) == expected


# --- Improvement direction (§11.4) ------------------------------------------------------------

SHIFT = [10, 12, 10, 12, 10, 12, 10, 14, 15, 14, 15, 14, 15, 14]


@pytest.mark.parametrize(
    ("improvement", "below", "above"),
    [
        ("increase", "concern", "improvement"),
        ("decrease", "improvement", "concern"),
        ("neutral", "neutral_low", "neutral_high"),
    ],
)
def test_improvement_direction_maps_sides_to_special_causes(improvement, below, above):
    chart = quiet(SHIFT, improvement=improvement)
    assert chart.special_cause == (below,) * 7 + (above,) * 7
    assert chart.improvement == improvement


@pytest.mark.parametrize(
    ("improvement", "variation", "icon"),
    [
        ("increase", "special cause improvement high", "improvement_high"),
        ("decrease", "special cause concern high", "concern_high"),
        ("neutral", "special cause neutral high", "neutral_high"),
    ],
)
def test_variation_icon_for_the_latest_point_high(improvement, variation, icon):
    chart = quiet(SHIFT, improvement=improvement)
    assert (chart.variation, chart.variation_icon) == (variation, icon)


@pytest.mark.parametrize(
    ("improvement", "variation", "icon"),
    [
        ("increase", "special cause concern low", "concern_low"),
        ("decrease", "special cause improvement low", "improvement_low"),
        ("neutral", "special cause neutral low", "neutral_low"),
    ],
)
def test_variation_icon_for_the_latest_point_low(improvement, variation, icon):
    chart = quiet([-v for v in SHIFT], improvement=improvement)
    assert (chart.variation, chart.variation_icon) == (variation, icon)


def test_variation_is_common_cause_when_the_latest_point_is():
    chart = xmr(DEVIATIONS)
    assert (chart.variation, chart.variation_icon) == ("common cause", "common_cause")


# --- Assurance (§11.5) ------------------------------------------------------------------------

# DEVIATIONS: mean 1.944, LPL −0.716, UPL 4.604.


@pytest.mark.parametrize(
    ("improvement", "target", "assurance"),
    [
        ("increase", 5.0, "consistent fail"),  # target above the upper limit
        ("increase", -1.0, "consistent pass"),  # target below the lower limit
        ("increase", 2.0, "inconsistent"),  # target inside the limits
        ("decrease", 5.0, "consistent pass"),
        ("decrease", -1.0, "consistent fail"),
        ("decrease", 2.0, "inconsistent"),
        ("neutral", 5.0, None),
        ("increase", None, None),
    ],
)
def test_assurance_against_the_target(improvement, target, assurance):
    assert xmr(DEVIATIONS, improvement=improvement, target=target).assurance == assurance


def test_a_target_exactly_on_a_limit_is_inconsistent():
    chart = quiet([0.5, -0.5] * 10, screen_outliers=False)  # mean 0, AMR 1: UPL 2.66 exactly
    assert chart.upper[0] == 2.66
    assert quiet([0.5, -0.5] * 10, screen_outliers=False, target=2.66).assurance == "inconsistent"


@pytest.mark.parametrize(
    ("lower", "upper", "increase", "decrease"),
    [(1, 3, "consistent fail", "consistent pass"), (5, 7, "consistent pass", "consistent fail"),
     (1, 5, "inconsistent", "inconsistent")],
)  # fmt: skip
def test_assurance_cases_from_ptd(lower, upper, increase, decrease):
    # PTD tests/testthat/test-ptd_calculate_assurance_type.R: target 4 against three facets.
    assert spc._assurance(XmROptions(target=4), lower, upper) == increase
    assert spc._assurance(XmROptions(target=4, improvement="decrease"), lower, upper) == decrease
    assert spc._assurance(XmROptions(target=4, improvement="neutral"), lower, upper) is None


def test_assurance_uses_the_latest_rebase_group():
    # Group 0 sits around 11 and group 1 around 14.4 (limits 11.8 to 17.1): a target of 10 is
    # inside the first group's limits but below the second's.
    chart = quiet(SHIFT, rebase_at=(7,), target=10)
    assert chart.lower[0] < 10 < chart.lower[-1]
    assert chart.assurance == "consistent pass"


# --- Rebase and fixed limits (§11.6) ----------------------------------------------------------


def test_rebase_restarts_limits_and_rules():
    chart = xmr(SHIFT, rebase_at=[7])
    # Group 0: 10, 12, … mean 76/7, AMR 2. Group 1: 14, 15, … mean 101/7, AMR 1.
    assert chart.rebase_group.tolist() == [0] * 7 + [1] * 7
    assert chart.mean[:7] == pytest.approx([76 / 7] * 7, abs=1e-12)
    assert chart.upper[:7] == pytest.approx([76 / 7 + 2.66 * 2] * 7, abs=1e-12)
    assert chart.mean[7:] == pytest.approx([101 / 7] * 7, abs=1e-12)
    assert chart.upper[7:] == pytest.approx([101 / 7 + 2.66 * 1] * 7, abs=1e-12)
    assert math.isnan(chart.moving_range[7])  # no moving range across the rebase
    assert flagged(chart) == {}  # the shift was the change the rebase records


def test_rebase_positions_are_sorted_and_repeats_ignored():
    first = quiet(SHIFT * 2, rebase_at=[14, 7, 14])
    assert first.options.rebase_at == (7, 14)
    assert first.rebase_group.tolist() == [0] * 7 + [1] * 7 + [2] * 14


def test_fix_after_n_points_judges_later_points_against_fixed_limits():
    values = [4, 6] * 6 + [11, 11, 11, 11]
    fixed = xmr(values, fix_after_n_points=12)
    # First 12: mean 5, AMR 2, UPL 10.32: the 11s are outside.
    assert fixed.mean.tolist() == [5.0] * 16
    assert fixed.upper[-1] == pytest.approx(5 + 2.66 * 2, abs=1e-12)
    assert fixed.moving_range_used.tolist() == [False] + [True] * 11 + [False] * 4
    assert flagged(fixed) == dict.fromkeys(range(12, 16), "Above UCL")
    # All 16: mean 6.5, AMR (11 × 2 + 5)/15 = 1.8, UPL 11.29, near 9.69: the 11s are only
    # close, and the twelve 4s and 6s are all below the new mean.
    unfixed = xmr(values)
    assert unfixed.mean[0] == 6.5
    assert unfixed.average_moving_range[0] == pytest.approx(1.8, abs=1e-12)
    expected = dict.fromkeys(range(12), "7 Points Below CL")
    expected.update(dict.fromkeys(range(12, 16), "2 in 3 Above CL"))
    assert flagged(unfixed) == expected


def test_fix_after_n_points_applies_in_each_rebase_group():
    values = [4, 6] * 7 + [14, 16] * 7
    chart = xmr(values, rebase_at=(14,), fix_after_n_points=12)
    assert chart.mean.tolist() == [5.0] * 14 + [15.0] * 14
    assert chart.moving_range_used.tolist() == ([False] + [True] * 11 + [False] * 2) * 2


def test_fix_after_more_points_than_the_group_has_uses_them_all():
    values = [4, 6] * 7
    assert xmr(values, fix_after_n_points=20).upper.tolist() == xmr(values).upper.tolist()


# --- Short-series warning (§11.7) -------------------------------------------------------------


def test_twelve_points_get_trial_limits_and_a_warning_naming_the_threshold():
    chart = xmr([4, 6] * 6)
    assert chart.trial_limits.all()
    assert chart.warnings == (
        "points 0-11 (rebase group 0) are 12, fewer than 13: their limits are trial limits, "
        "revised with each new point",
    )


def test_thirteen_points_are_enough():
    chart = xmr([4, 6] * 6 + [4])
    assert not chart.trial_limits.any() and chart.warnings == ()


def test_the_warning_is_per_rebase_group():
    chart = xmr([4, 6] * 10, rebase_at=(15,))
    assert chart.trial_limits.tolist() == [False] * 15 + [True] * 5
    assert chart.warnings == (
        "points 15-19 (rebase group 1) are 5, fewer than 13: their limits are trial limits, "
        "revised with each new point",
    )


def test_short_group_threshold_can_be_changed():
    assert xmr([4, 6] * 6, short_group_threshold=12).warnings == ()
    assert xmr([4, 6] * 10, short_group_threshold=21).trial_limits.all()


# --- No variation (§11.8) ----------------------------------------------------------------------


@pytest.mark.parametrize("screen_outliers", [True, False])
def test_a_constant_series_has_no_limits_and_no_special_cause(screen_outliers):
    chart = xmr([3] * 20, screen_outliers=screen_outliers, target=2)
    assert chart.mean.tolist() == [3.0] * 20
    assert np.isnan(chart.lower).all() and np.isnan(chart.upper).all()
    assert chart.special_cause == (None,) * 20
    assert chart.assurance is None
    assert any("no variation" in warning for warning in chart.warnings)
    assert any("no assurance" in warning for warning in chart.warnings)


def test_a_flat_series_with_one_step_keeps_the_run_rules_only():
    # Moving ranges: twelve 0s and one 4; AMR 4/13, so the 4 (≥ 1.01) is screened and AMR = 0.
    # PTD would collapse the limits onto the mean (3) and call every point outside; we draw no
    # limits and the two runs of 7 are shifts.
    chart = xmr([1] * 7 + [5] * 7)
    assert chart.average_moving_range[0] == 0
    assert np.isnan(chart.upper).all()
    assert chart.special_cause_label == ("7 Points Below CL",) * 7 + ("7 Points Above CL",) * 7
    assert chart.warnings[-1] == (
        "points 0-13 (rebase group 0) have no variation to set limits from (average moving "
        "range 0 after outlier screening): no limits are drawn, and the outside-limits and "
        "two-in-three rules are not applied"
    )


def test_without_screening_the_step_sets_the_limits():
    chart = quiet([1] * 7 + [5] * 7, screen_outliers=False)
    assert chart.average_moving_range[0] == pytest.approx(4 / 13, abs=1e-12)
    assert chart.special_cause_label == ("Below LCL",) * 7 + ("Above UCL",) * 7


# --- PTD's own expectations for the rule helpers ----------------------------------------------
# PTD tests/testthat/test-ptd_calculate_point_type.R, ported value for value.


def test_ptd_seven_point_one_side_of_mean():
    run = spc._seven_point_one_side_of_mean
    assert run(np.array([])).tolist() == []
    assert run(np.ones(6)).tolist() == [0] * 6
    assert run(np.array([1] * 6 + [-1])).tolist() == [0] * 7
    assert run(np.array([1] * 8 + [-1])).tolist() == [0] * 6 + [1, 1, 0]
    assert run(np.array([-1] * 8 + [1])).tolist() == [0] * 6 + [1, 1, 0]
    assert run(np.array([-1] + [1] * 8 + [-1])).tolist() == [0] * 7 + [1, 1, 0]
    assert run(np.array([1] + [-1] * 8 + [1])).tolist() == [0] * 7 + [1, 1, 0]


def test_ptd_part_of_seven():
    part = spc._part_of_seven
    assert part(np.array([])).tolist() == []
    assert part(np.zeros(6)).tolist() == [0] * 6
    assert part(np.array([0] * 6 + [1, 0])).tolist() == [1] * 7 + [0]
    assert part(np.array([0] * 7 + [1, 0])).tolist() == [0] + [1] * 7 + [0]
    assert part(np.array([0] * 6 + [-1, 0])).tolist() == [1] * 7 + [0]
    assert part(np.array([0] * 7 + [-1, 0])).tolist() == [0] + [1] * 7 + [0]


def test_ptd_seven_point_trend():
    trend = spc._seven_point_trend
    assert trend(np.array([])).tolist() == []
    assert trend(np.arange(1, 7)).tolist() == [0] * 6
    assert trend(np.array([1, 2, 3, 3, 4, 5, 6])).tolist() == [0] * 7
    assert trend(np.arange(1, 8)).tolist() == [0] * 6 + [1]
    assert trend(np.array([2, 1, 2, 3, 4, 5, 6, 7, 3])).tolist() == [0] * 7 + [1, 0]
    assert trend(np.arange(7, 0, -1)).tolist() == [0] * 6 + [-1]
    assert trend(np.array([2, 7, 6, 5, 4, 3, 2, 1, 3])).tolist() == [0] * 7 + [-1, 0]


def test_ptd_two_in_three():
    two = spc._two_in_three
    same = np.ones(7)
    assert two(np.array([]), np.array([])).tolist() == []
    assert two(np.zeros(3), np.zeros(3)).tolist() == [0] * 3
    for close in ([1, 0, 1], [0, 1, 1], [1, 1, 0]):
        assert two(np.array(close), np.ones(3)).tolist() == [1] * 3
        assert two(np.array(close), np.array([1, -1, 1])).tolist() == [0] * 3
    assert two(np.array([0, 0, 1, 0, 1, 0, 0]), same).tolist() == [0, 0, 1, 1, 1, 0, 0]
    assert two(np.array([0, 0, 1, 1, 0, 0, 0]), same).tolist() == [0, 1, 1, 1, 1, 0, 0]
    alternating = np.array([1, -1, 1, -1, 1, -1, 1])
    assert two(np.array([0, 0, 1, 0, 1, 0, 0]), alternating).tolist() == [0] * 7
    assert two(np.array([0, 0, 1, 1, 0, 0, 0]), -alternating).tolist() == [0] * 7


def test_ptd_part_of_two_in_three():
    def part(close):
        close = np.array(close)
        return spc._part_of_two_in_three(spc._two_in_three(close, np.ones(len(close))), close)

    assert part([1, 0, 1]).tolist() == [1, 0, 1]
    assert part([0, 1, 1]).tolist() == [0, 1, 1]
    assert part([1, 1, 0]).tolist() == [1, 1, 0]
    assert part([0, 0, 1, 0, 1, 0, 0]).tolist() == [0, 0, 1, 0, 1, 0, 0]
    assert part([1, 0, 0, 1]).tolist() == [0, 0, 0, 0]
    assert part([1, 0, 0, 1, 1]).tolist() == [0, 0, 0, 1, 1]


def test_ptd_rebase_group_numbering():
    # PTD tests/testthat/test-ptd_spc_standard.R, "it sets the rebase_group field": a rebase
    # at the 11th of 20 points gives groups 0 (×10) and 1 (×10).
    chart = xmr([4, 6] * 10, rebase_at=(10,))
    assert chart.rebase_group.tolist() == [0] * 10 + [1] * 10


# --- The result object -----------------------------------------------------------------------


def test_chart_arrays_are_read_only_and_rows_are_plain():
    chart = xmr(DEVIATIONS, target=3)
    assert len(chart) == 18
    with pytest.raises(ValueError):
        chart.upper[0] = 0
    row = chart.rows()[4]
    assert row["special_cause"] == "improvement" and row["rule"] == "outside_limits"
    assert row["value"] == 10.0 and isinstance(row["rebase_group"], int)
    assert chart.target == 3.0


def test_values_may_be_a_numpy_array_or_numbers_of_any_kind():
    as_array = xmr(np.array(DEVIATIONS, dtype=np.int64))
    as_mixed = xmr([np.float32(v) if v % 2 else v for v in DEVIATIONS])
    assert as_array.upper.tolist() == xmr(DEVIATIONS).upper.tolist()
    assert as_mixed.upper.tolist() == xmr(DEVIATIONS).upper.tolist()


def test_the_input_is_not_changed():
    values = np.array(DEVIATIONS, dtype=float)
    xmr(values).values  # noqa: B018
    assert values.flags.writeable and values.tolist() == DEVIATIONS


def test_options_built_once_can_be_reused():
    options = XmROptions(improvement="decrease", target=5)
    chart = xmr_with_options(DEVIATIONS, options)
    assert chart.options is options and chart.assurance == "consistent pass"
    with pytest.raises(TypeError, match="options must be an XmROptions; got a dict"):
        xmr_with_options(DEVIATIONS, {"improvement": "decrease"})


# --- Refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"improvement": "up"}, 'improvement must be "increase", "decrease" or "neutral"; '
         "got 'up'"),
        ({"improvement": None}, "improvement must be .*; got None"),
        ({"screen_outliers": "yes"}, "screen_outliers must be True or False; got 'yes' "
         r"\(a str\)"),
        ({"screen_outliers": 1}, "screen_outliers must be True or False; got 1"),
        ({"target": "high"}, "target must be a finite number or None; got 'high'"),
        ({"target": math.nan}, "target must be a finite number or None; got nan"),
        ({"target": True}, "target must be a finite number or None; got True"),
        ({"fix_after_n_points": 11}, "fix_after_n_points must be None or a whole number of at "
         "least 12; got 11"),
        ({"fix_after_n_points": 12.5}, "fix_after_n_points .*; got 12.5"),
        ({"rebase_at": 12}, r"rebase_at must be a sequence of 0-based positions, e.g. \(12,\); "
         "got 12"),
        ({"rebase_at": "12"}, "rebase_at must be a sequence .*; got '12'"),
        ({"rebase_at": (0,)}, r"rebase_at positions must be whole numbers of at least 1 \(the "
         r"first group always starts at position 0\); got 0 in rebase_at=\(0,\)"),
        ({"rebase_at": (-3,)}, "rebase_at positions .*; got -3"),
        ({"rebase_at": (2.0,)}, r"rebase_at positions .*; got 2.0"),
        ({"short_group_threshold": -1}, "short_group_threshold must be a whole number of 0 or "
         "more; got -1"),
    ],
)  # fmt: skip
def test_bad_options_are_refused_naming_the_argument_and_value(options, message):
    with pytest.raises(ValueError, match=message):
        xmr(DEVIATIONS, **options)
    with pytest.raises(ValueError, match=message):
        XmROptions(**options)


def test_rebase_positions_out_of_range_are_refused():
    with pytest.raises(
        ValueError,
        match=r"rebase_at positions must be below the number of values \(18\); got 18 in "
        r"rebase_at=\(5, 18\)",
    ):
        xmr(DEVIATIONS, rebase_at=(5, 18))


def test_a_rebase_leaving_a_one_point_group_is_refused():
    with pytest.raises(
        ValueError,
        match=r"rebase_at=\(17,\) leaves 1 point in the group starting at position 17; each "
        "group needs at least 2 points for a moving range",
    ):
        xmr(DEVIATIONS, rebase_at=(17,))
    with pytest.raises(ValueError, match="group starting at position 5"):
        xmr(DEVIATIONS, rebase_at=(5, 6))


@pytest.mark.parametrize("values", [[], [3], np.array([3.0])])
def test_fewer_than_two_values_are_refused(values):
    with pytest.raises(ValueError, match=f"values needs at least 2 points .*; got {len(values)}"):
        xmr(values)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([1, "2", 3], r"values must be numbers; position 1 has '2' \(a str\)"),
        ([1, None, 3], r"values must be numbers; position 1 has None \(a NoneType\)"),
        ([1, True, 3], r"values must be numbers; position 1 has True \(a bool\)"),
        ([1, 2, 3 + 0j], r"position 2 has \(3\+0j\) \(a complex\)"),
        (np.array(["1", "2"]), "position 0 has '1'"),
        ("123", "values must be a sequence of numbers; got '123'"),
        (7, "values must be a sequence of numbers; got 7"),
        (np.ones((2, 3)), r"values must be one-dimensional; got an array of shape \(2, 3\)"),
    ],
)
def test_non_numeric_values_are_refused_naming_the_position(values, message):
    with pytest.raises(ValueError, match=message):
        xmr(values)


def test_missing_values_are_refused_naming_each_position():
    with pytest.raises(
        ValueError,
        match=r"values must be finite numbers with none missing: position 2 has nan, position "
        r"5 has inf\. Fill or drop the missing periods first",
    ):
        xmr([1, 2, math.nan, 4, 5, math.inf, 7])
    with pytest.raises(ValueError, match="and 2 more"):
        xmr([math.nan] * 7)
