"""Property tests for pcref.analytics.spc: what must hold for any series (statistics.md §11)."""

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pcref.analytics.spc import xmr

FAST = settings(deadline=None, max_examples=150)

# Whole numbers keep means and ranges exact enough that a point never sits within rounding
# error of a threshold by accident; the tests that transform a series also `assume` it.
series = st.lists(st.integers(-1000, 1000), min_size=2, max_size=40)
improvements = st.sampled_from(["increase", "decrease", "neutral"])


def thresholds(chart):
    """Every value a point is compared with: the mean and the (near) limits."""
    return np.stack([chart.mean, chart.lower, chart.upper, chart.near_lower, chart.near_upper])


def clear_of_thresholds(chart, tolerance=1e-6):
    """No point within `tolerance` of the mean or a limit, so rounding cannot flip a rule."""
    gaps = np.abs(thresholds(chart) - chart.values)
    return bool(np.all(np.isnan(gaps) | (gaps > tolerance)))


@FAST
@given(series, st.booleans())
def test_limits_are_symmetric_about_the_mean(values, screen_outliers):
    chart = xmr(values, screen_outliers=screen_outliers, short_group_threshold=0)
    drawn = ~np.isnan(chart.upper)
    assert np.allclose((chart.upper - chart.mean)[drawn], (chart.mean - chart.lower)[drawn])
    assert np.allclose(
        (chart.near_upper - chart.mean)[drawn], (chart.mean - chart.near_lower)[drawn]
    )
    assert np.all(chart.lower[drawn] < chart.near_lower[drawn])
    assert np.all(chart.near_upper[drawn] < chart.upper[drawn])


@FAST
@given(series, st.integers(-10_000, 10_000), st.booleans(), improvements)
def test_adding_a_constant_shifts_mean_and_limits_and_keeps_the_flags(
    values, constant, screen_outliers, improvement
):
    before = xmr(values, improvement, screen_outliers, short_group_threshold=0)
    after = xmr([v + constant for v in values], improvement, screen_outliers)
    assume(clear_of_thresholds(before))
    assert np.allclose(thresholds(after), thresholds(before) + constant, equal_nan=True)
    assert np.allclose(after.average_moving_range, before.average_moving_range)
    assert after.special_cause == before.special_cause
    assert after.rule == before.rule


@FAST
@given(series, st.sampled_from([0.001, 0.5, 3.0, 1e4]), st.booleans())
def test_scaling_the_values_scales_the_limits_and_keeps_the_flags(values, scale, screen_outliers):
    before = xmr(values, screen_outliers=screen_outliers, short_group_threshold=0)
    after = xmr([v * scale for v in values], screen_outliers=screen_outliers)
    assume(clear_of_thresholds(before))
    assert np.allclose(thresholds(after), thresholds(before) * scale, equal_nan=True)
    assert after.special_cause == before.special_cause


@FAST
@given(series, st.booleans())
def test_turning_the_series_upside_down_swaps_improvement_and_concern(values, screen_outliers):
    # −y with "increase" is y with "decrease": above ↔ below and rising ↔ falling (§11.4).
    upright = xmr(values, "decrease", screen_outliers, short_group_threshold=0)
    flipped = xmr([-v for v in values], "increase", screen_outliers, short_group_threshold=0)
    assume(clear_of_thresholds(upright))
    assert np.allclose(flipped.lower, -upright.upper, equal_nan=True)
    assert flipped.special_cause == upright.special_cause
    assert flipped.rule == upright.rule
    swap = {"high": "low", "low": "high", "cause": "cause"}  # the icon's side turns over too
    words = upright.variation.split()
    assert flipped.variation == " ".join([*words[:-1], swap[words[-1]]])


@FAST
@given(
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    st.integers(2, 60),
    st.booleans(),
    improvements,
)
def test_a_constant_series_has_no_special_cause(value, length, screen_outliers, improvement):
    # §11.8: AMR is 0, so no limits are drawn; nothing is on either side of the mean either.
    chart = xmr([value] * length, improvement, screen_outliers)
    assert chart.special_cause == (None,) * length
    assert chart.variation == "common cause"
    assert np.isnan(chart.upper).all()


@FAST
@given(series, improvements, st.booleans())
def test_every_point_gets_exactly_one_consistent_classification(
    values, improvement, screen_outliers
):
    chart = xmr(values, improvement, screen_outliers)
    assert len(chart.special_cause) == len(chart.rule) == len(values)
    for special_cause, rule, label in zip(
        chart.special_cause, chart.rule, chart.special_cause_label, strict=True
    ):
        assert (special_cause is None) == (rule is None) == (label == "Common Cause")
        if improvement == "neutral":
            assert special_cause in (None, "neutral_high", "neutral_low")
        else:
            assert special_cause in (None, "improvement", "concern")


@FAST
@given(series, st.booleans())
def test_points_outside_the_limits_are_flagged_as_outside(values, screen_outliers):
    chart = xmr(values, screen_outliers=screen_outliers)
    outside = (chart.values > chart.upper) | (chart.values < chart.lower)
    for position in np.flatnonzero(outside):
        assert chart.rule[position] == "outside_limits"


@FAST
@given(series, st.data())
def test_rebasing_is_the_same_as_charting_each_group_alone(values, data):
    assume(len(values) >= 4)
    position = data.draw(st.integers(2, len(values) - 2))
    whole = xmr(values, rebase_at=(position,), short_group_threshold=0)
    first = xmr(values[:position], short_group_threshold=0)
    second = xmr(values[position:], short_group_threshold=0)
    assert whole.special_cause == first.special_cause + second.special_cause
    assert np.array_equal(whole.upper, np.concatenate([first.upper, second.upper]), equal_nan=True)
