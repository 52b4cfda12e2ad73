"""Properties of pcref.analytics.stats that hold for any valid input, checked with hypothesis."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pcref.analytics.stats import (
    byar_interval,
    dsr,
    exact_poisson_interval,
    isr,
    mean,
    mean_from_summary,
    proportion,
    proportion_ratio,
    rate,
    rate_ratio,
    wilson_interval,
)

FAST = settings(max_examples=150, deadline=None)

levels = st.floats(min_value=0.5, max_value=0.9999)
level_pairs = st.tuples(levels, levels).map(sorted)
whole_counts = st.integers(min_value=0, max_value=10**6).map(float)
# Weighted counts are fractional; none is as small as a millionth of an event.
weighted_counts = st.floats(min_value=1e-6, max_value=1e6)
counts = st.one_of(whole_counts, weighted_counts)
populations = st.floats(min_value=1, max_value=1e9)


@st.composite
def cases_of(draw, size=None):
    """(x, n) with 0 ≤ x ≤ n: a proportion's cases and sample; x may be fractional."""
    n = draw(st.integers(min_value=1, max_value=10**7))
    x = draw(
        st.one_of(
            st.integers(min_value=0, max_value=n).map(float), st.floats(min_value=1e-6, max_value=n)
        )
    )
    return x, float(n)


def _at_most(low: float, high: float) -> bool:
    """low ≤ high, allowing for the last bit of floating-point rounding."""
    return low <= high + 1e-12 * max(1.0, abs(high))


def _inside(estimate) -> bool:
    return _at_most(estimate.lower, estimate.value) and _at_most(estimate.value, estimate.upper)


def _wider(narrow, wide) -> bool:
    """`wide` holds `narrow`: its lower limit no higher, its upper limit no lower."""
    return _at_most(wide[0], narrow[0]) and _at_most(narrow[1], wide[1])


# --- The value lies within its interval -------------------------------------------------------


@FAST
@given(cases_of(), levels)
def test_proportion_lies_within_its_wilson_interval(case, level):
    assert _inside(proportion(*case, level, multiplier=100))


@FAST
@given(counts, populations, levels)
def test_rate_lies_within_its_interval(x, n, level):
    assert _inside(rate(x, n, level))


@FAST
@given(whole_counts, populations, whole_counts, populations, levels)
def test_rate_ratio_lies_within_its_interval(x1, n1, x2, n2, level):
    estimate = rate_ratio(x1, n1, x2, n2, level)
    if x1 == x2 == 0:
        assert math.isnan(estimate.value)  # 0/0: no ratio, yet limits 0 and ∞
    else:
        assert _inside(estimate)


@FAST
@given(cases_of(), cases_of(), levels)
def test_proportion_ratio_lies_within_its_interval(first, second, level):
    estimate = proportion_ratio(*first, *second, level)
    if first[0] > 0 and second[0] > 0:
        assert _inside(estimate)


@FAST
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=2, max_size=40), levels)
def test_mean_lies_within_its_interval(values, level):
    assert _inside(mean(values, level))


bands = st.lists(
    st.tuples(
        st.integers(min_value=4, max_value=5_000),
        st.integers(min_value=100, max_value=10**6),
        st.integers(min_value=1, max_value=10_000),
    ),
    min_size=3,
    max_size=19,
)


def _by_band(rows):
    labels = [f"band {i}" for i in range(len(rows))]
    events, people, weights = zip(*rows, strict=True)
    return (
        dict(zip(labels, events, strict=True)),
        dict(zip(labels, people, strict=True)),
        dict(zip(labels, weights, strict=True)),
    )


@FAST
@given(bands, levels)
def test_dsr_and_isr_lie_within_their_intervals(rows, level):
    events, people, weights = _by_band(rows)  # at least 4 events a band: 12 or more in all
    assert _inside(dsr(events, people, weights, level))
    assert _inside(isr(events, people, weights, people, level))


# --- Intervals widen as confidence rises -----------------------------------------------------


@FAST
@given(cases_of(), level_pairs)
def test_wilson_widens_with_confidence(case, pair):
    assert _wider(wilson_interval(*case, pair[0]), wilson_interval(*case, pair[1]))


@FAST
@given(counts, level_pairs)
def test_count_intervals_widen_with_confidence(observed, pair):
    assert _wider(
        exact_poisson_interval(observed, pair[0]), exact_poisson_interval(observed, pair[1])
    )
    narrow, wide = byar_interval(observed, pair[0]), byar_interval(observed, pair[1])
    assert _at_most(narrow[1], wide[1])
    if not math.isnan(wide[0]):  # a lower limit lost (NaN) is the widest of all
        assert _at_most(wide[0], narrow[0])


def _limits(estimate):
    return estimate.lower, estimate.upper


@FAST
@given(counts, populations, whole_counts, populations, level_pairs)
def test_rates_and_rate_ratios_widen_with_confidence(x1, n1, x2, n2, pair):
    low, high = pair
    assert _wider(_limits(rate(x1, n1, low)), _limits(rate(x1, n1, high)))
    narrow, wide = (
        _limits(rate_ratio(x1, n1, x2, n2, low)),
        _limits(rate_ratio(x1, n1, x2, n2, high)),
    )
    if x1 or x2:
        assert _wider(narrow, wide)


@FAST
@given(bands, level_pairs)
def test_dsr_and_mean_widen_with_confidence(rows, pair):
    events, people, weights = _by_band(rows)
    low, high = pair
    assert _wider(
        _limits(dsr(events, people, weights, low)), _limits(dsr(events, people, weights, high))
    )
    values = list(events.values())
    assert _wider(_limits(mean(values, low)), _limits(mean(values, high)))


# --- Array calls equal element-wise scalar calls ----------------------------------------------


def _equal(array_value, scalar_values) -> bool:
    return np.array_equal(np.asarray(array_value), np.asarray(scalar_values), equal_nan=True)


def _agree(array_estimate, scalar_estimates) -> bool:
    return all(
        _equal(getattr(array_estimate, field), [getattr(e, field) for e in scalar_estimates])
        for field in ("value", "lower", "upper")
    ) and list(array_estimate.method) == [e.method for e in scalar_estimates]


@FAST
@given(st.lists(cases_of(), min_size=1, max_size=30), levels)
def test_proportion_arrays_equal_scalar_calls(cases, level):
    x, n = (list(column) for column in zip(*cases, strict=True))
    assert _agree(proportion(x, n, level, 100), [proportion(a, b, level, 100) for a, b in cases])
    lower, upper = wilson_interval(x, n, level)
    scalars = [wilson_interval(a, b, level) for a, b in cases]
    assert _equal(lower, [s[0] for s in scalars]) and _equal(upper, [s[1] for s in scalars])


@FAST
@given(st.lists(st.tuples(counts, populations), min_size=1, max_size=30), levels)
def test_rate_and_count_interval_arrays_equal_scalar_calls(rows, level):
    x, n = (list(column) for column in zip(*rows, strict=True))
    assert _agree(rate(x, n, level), [rate(a, b, level) for a, b in rows])
    for interval in (byar_interval, exact_poisson_interval):
        lower, upper = interval(x, level)
        scalars = [interval(a, level) for a in x]
        assert _equal(lower, [s[0] for s in scalars]) and _equal(upper, [s[1] for s in scalars])


@FAST
@given(
    st.lists(
        st.tuples(whole_counts, populations, whole_counts, populations), min_size=1, max_size=30
    ),
    levels,
)
def test_ratio_arrays_equal_scalar_calls(rows, level):
    columns = [list(column) for column in zip(*rows, strict=True)]
    assert _agree(rate_ratio(*columns, level), [rate_ratio(*row, level) for row in rows])


@FAST
@given(st.lists(st.tuples(cases_of(), cases_of()), min_size=1, max_size=30), levels)
def test_proportion_ratio_arrays_equal_scalar_calls(pairs, level):
    rows = [(*first, *second) for first, second in pairs]
    columns = [list(column) for column in zip(*rows, strict=True)]
    assert _agree(
        proportion_ratio(*columns, level), [proportion_ratio(*row, level) for row in rows]
    )


@FAST
@given(
    st.lists(
        st.tuples(st.floats(-1e6, 1e6), st.floats(0, 1e6), st.integers(1, 10_000)),
        min_size=1,
        max_size=30,
    ),
    levels,
)
def test_mean_from_summary_arrays_equal_scalar_calls(rows, level):
    columns = [list(column) for column in zip(*rows, strict=True)]
    expected = [mean_from_summary(*row, level) for row in rows]
    assert _agree(mean_from_summary(*columns, level), expected)


# --- Missing in, missing out ------------------------------------------------------------------


@FAST
@given(
    st.lists(st.tuples(counts, populations, st.booleans(), st.booleans()), min_size=1, max_size=30),
    levels,
)
def test_missing_rate_inputs_give_missing_results_and_leave_the_rest_alone(rows, level):
    x = [math.nan if drop_x else a for a, _, drop_x, _ in rows]
    n = [math.nan if drop_n else b for _, b, _, drop_n in rows]
    estimate = rate(x, n, level)
    missing = np.isnan(x) | np.isnan(n)
    for field in ("value", "lower", "upper"):
        assert np.isnan(getattr(estimate, field)[missing]).all()
    complete = rate(np.array(x)[~missing], np.array(n)[~missing], level)
    assert _equal(estimate.value[~missing], complete.value)
    assert _equal(estimate.upper[~missing], complete.upper)
    assert (estimate.method[np.isnan(x)] == "").all()


@FAST
@given(st.lists(st.tuples(cases_of(), st.booleans()), min_size=1, max_size=30), levels)
def test_missing_proportion_inputs_give_missing_results(rows, level):
    x = [math.nan if drop else case[0] for case, drop in rows]
    n = [case[1] for case, _ in rows]
    estimate = proportion(x, n, level)
    missing = np.isnan(x)
    for field in ("value", "lower", "upper"):
        assert np.isnan(getattr(estimate, field)[missing]).all()
        assert not np.isnan(getattr(estimate, field)[~missing]).any()


@FAST
@given(whole_counts, populations, whole_counts, populations, st.integers(0, 3), levels)
def test_a_missing_ratio_input_gives_a_missing_ratio(x1, n1, x2, n2, which, level):
    inputs = [x1, n1, x2, n2]
    inputs[which] = math.nan
    estimate = rate_ratio(*inputs, level)
    assert math.isnan(estimate.value) and math.isnan(estimate.lower)
    assert math.isnan(estimate.upper)
