"""`xmr_many` (many series at once) gives each series exactly the flags `xmr` gives it alone."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcref.analytics.spc import xmr, xmr_many

FAST = settings(deadline=None, max_examples=150)

improvements = st.sampled_from(["increase", "decrease", "neutral"])
# whole numbers, small ranges (ties, flat stretches, runs and trends) and floats
values = st.one_of(
    st.integers(-1000, 1000).map(float),
    st.integers(0, 3).map(float),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
)


@st.composite
def series(draw):
    length = draw(st.integers(min_value=2, max_value=40))
    rows = draw(st.integers(min_value=1, max_value=5))
    kind = draw(st.sampled_from(["any", "steps", "trend"]))
    array = np.array(
        draw(st.lists(values, min_size=length * rows, max_size=length * rows))
    ).reshape(rows, length)
    if kind == "steps":  # long runs either side of the mean
        array = np.round(array / 400)
    elif kind == "trend":
        array = np.cumsum(np.abs(array) + 1, axis=1) * draw(st.sampled_from([1, -1]))
    return array


def _assert_same(charts, index, chart):
    assert list(charts.special_cause[index]) == list(chart.special_cause)
    assert list(charts.rule[index]) == list(chart.rule)
    assert list(charts.special_cause_label[index]) == list(chart.special_cause_label)
    assert charts.variation[index] == chart.variation
    assert charts.variation_icon[index] == chart.variation_icon
    for name in ("mean", "lower", "upper"):
        assert np.array_equal(
            getattr(charts, name)[index], getattr(chart, name)[-1], equal_nan=True
        )


@FAST
@given(series(), improvements, st.booleans())
def test_xmr_many_equals_xmr_on_each_series(array, improvement, screen_outliers):
    charts = xmr_many(array, improvement, screen_outliers)
    assert len(charts) == len(array)
    for index, row in enumerate(array):
        _assert_same(charts, index, xmr(row, improvement, screen_outliers))


def test_xmr_many_flags_every_rule_as_xmr_does():
    rows = np.array(
        [
            [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1],  # outside the limits
            [1, 2, 3, 4, 5, 6, 7, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2],  # trends both ways
            [5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5],  # flat: no limits
            [1, 3, 1, 3, 1, 3, 5, 5, 5, 5, 5, 5, 5, 1, 3, 1, 3, 1],  # a shift above the mean
        ],
        dtype=float,
    )
    charts = xmr_many(rows, "decrease")
    rules = {rule for row in charts.rule for rule in row if rule}
    assert {"outside_limits", "trend", "shift"} <= rules
    for index, row in enumerate(rows):
        _assert_same(charts, index, xmr(row, "decrease"))
    assert not charts.special_cause.flags.writeable


def test_xmr_many_refuses_missing_values_text_and_bad_shapes():
    with pytest.raises(ValueError, match="row 1, position 2 has nan"):
        xmr_many([[1, 2, 3], [1, 2, np.nan]])
    with pytest.raises(ValueError, match="two-dimensional"):
        xmr_many([1, 2, 3])
    with pytest.raises(ValueError, match="at least 2 points"):
        xmr_many([[1], [2]])
    with pytest.raises(ValueError, match="numbers"):
        xmr_many([["1", "2"]])
    with pytest.raises(ValueError, match="improvement"):
        xmr_many([[1, 2]], improvement="up")
