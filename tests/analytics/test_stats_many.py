"""`dsr_many` and `dsr_ratio_many` (many groups at once) equal `dsr` and `dsr_ratio` on each group
alone, and refuse what those refuse."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcref.analytics.stats import ESP2013, dsr, dsr_many, dsr_ratio, dsr_ratio_many

FAST = settings(max_examples=100, deadline=None)

levels = st.one_of(st.none(), st.floats(min_value=0.5, max_value=0.9999))
counts = st.one_of(
    st.integers(min_value=0, max_value=5_000).map(float),
    st.floats(min_value=0, max_value=5_000),
)
people = st.floats(min_value=1, max_value=1e7)


@st.composite
def groups(draw, frequencies=None):
    """(counts, populations, weights, band labels): a few groups over 2-19 age bands; counts
    groups × bands, or groups × bands × frequencies."""
    bands = draw(st.integers(min_value=2, max_value=19))
    size = draw(st.integers(min_value=1, max_value=6))
    shape = (size, bands) if frequencies is None else (size, bands, frequencies)
    number = int(np.prod(shape))
    found = np.array(draw(st.lists(counts, min_size=number, max_size=number))).reshape(shape)
    populations = np.array(
        draw(st.lists(people, min_size=size * bands, max_size=size * bands))
    ).reshape(size, bands)
    weights = draw(
        st.lists(st.integers(min_value=1, max_value=10_000), min_size=bands, max_size=bands)
    )
    labels = [f"band {i}" for i in range(bands)]
    return found, populations, dict(zip(labels, weights, strict=True)), labels


def _close(array_value: float, scalar_value: float) -> bool:
    """Equal to the bit: both run the same arithmetic, every sum added in band order."""
    if math.isnan(scalar_value):
        return math.isnan(array_value)
    return array_value == scalar_value


def _equal_estimates(many, index, one) -> bool:
    return (
        all(
            _close(float(getattr(many, name)[index]), getattr(one, name))
            for name in ("value", "lower", "upper")
        )
        and many.method == one.method
    )


@FAST
@given(groups(), levels)
def test_dsr_many_equals_dsr_on_each_group(case, level):
    found, populations, weights, labels = case
    many = dsr_many(found, populations, weights, level, age_bands=labels)
    for index in range(len(found)):
        one = dsr(found[index], populations[index], weights, level, age_bands=labels)
        assert _equal_estimates(many, index, one)


@FAST
@given(st.integers(min_value=1, max_value=4).flatmap(lambda f: groups(frequencies=f)), levels)
def test_dsr_many_of_repeat_events_equals_dsr_on_each_group(case, level):
    found, populations, weights, labels = case
    frequencies = np.arange(1, found.shape[2] + 1)
    many = dsr_many(found, populations, weights, level, 1000, False, frequencies, age_bands=labels)
    for index in range(len(found)):
        one = dsr(
            found[index],
            populations[index],
            weights,
            level,
            1000,
            False,
            frequencies,
            age_bands=labels,
        )
        assert _equal_estimates(many, index, one)


@FAST
@given(groups(), st.data(), levels)
def test_dsr_ratio_many_equals_dsr_ratio_on_each_pair(case, data, level):
    found, populations, weights, labels = case
    order = data.draw(st.permutations(range(len(found))))
    reference, reference_people = found[list(order)], populations[list(order)]
    many = dsr_ratio_many(
        found, populations, reference, reference_people, weights, level, age_bands=labels
    )
    for index in range(len(found)):
        one = dsr_ratio(
            found[index],
            populations[index],
            reference[index],
            reference_people[index],
            weights,
            level,
            age_bands=labels,
        )
        assert _equal_estimates(many, index, one)


@FAST
@given(st.integers(min_value=1, max_value=3).flatmap(lambda f: groups(frequencies=f)), levels)
def test_dsr_ratio_many_of_repeat_events_equals_dsr_ratio_on_each_pair(case, level):
    found, populations, weights, labels = case
    frequencies = list(range(1, found.shape[2] + 1))
    reference, reference_people = found[::-1], populations[::-1]
    arguments = {"independent_events": False, "frequencies": frequencies, "age_bands": labels}
    many = dsr_ratio_many(
        found, populations, reference, reference_people, weights, level, **arguments
    )
    for index in range(len(found)):
        one = dsr_ratio(
            found[index],
            populations[index],
            reference[index],
            reference_people[index],
            weights,
            level,
            **arguments,
        )
        assert _equal_estimates(many, index, one)


def test_dsr_many_joins_age_bands_by_label_and_agrees_with_the_phe_example():
    # statistics.md §5's shape check: a population shaped like the standard gives O/N
    bands = list(ESP2013)
    populations = np.array([[weight * 3 for weight in ESP2013.values()]] * 2)
    found = np.array([[6.0] * len(bands), [12.0] * len(bands)])
    shuffled = bands[::-1]
    forward = dsr_many(found, populations, ESP2013, age_bands=bands)
    backward = dsr_many(found[:, ::-1], populations[:, ::-1], ESP2013, age_bands=shuffled)
    assert np.array_equal(forward.value, backward.value)
    assert forward.value.round(6).tolist() == [38.0, 76.0]
    assert forward.method == "Dobson"


def test_dsr_many_gives_nan_below_10_events_and_for_a_missing_population():
    weights = {"a": 1, "b": 1}
    found = np.array([[4.0, 5.0], [10.0, 0.0], [np.nan, 10.0], [10.0, 10.0]])
    populations = np.array([[100.0, 100.0]] * 3 + [[np.nan, 100.0]])
    estimate = dsr_many(found, populations, weights, age_bands=["a", "b"])
    assert np.isnan(estimate.value[[0, 3]]).all()
    assert not np.isnan(estimate.value[[1, 2]]).any()  # a missing count is 0
    assert estimate.value[1] == estimate.value[2]


def test_dsr_many_refuses_what_dsr_refuses_and_bad_shapes():
    weights = {"a": 1, "b": 1}
    with pytest.raises(ValueError, match="populations must be more than 0"):
        dsr_many([[10, 10]], [[100, 0]], weights, age_bands=["a", "b"])
    with pytest.raises(ValueError, match="counts must be 0 or more"):
        dsr_many([[10, -1]], [[100, 100]], weights, age_bands=["a", "b"])
    with pytest.raises(ValueError, match="age_bands must have the same age bands"):
        dsr_many([[10, 10]], [[100, 100]], weights, age_bands=["a", "c"])
    with pytest.raises(ValueError, match="2 axes"):
        dsr_many([10, 10], [[100, 100]], weights, age_bands=["a", "b"])
    with pytest.raises(ValueError, match="one row per group"):
        dsr_many([[10, 10]] * 2, [[100, 100]], weights, age_bands=["a", "b"])
    with pytest.raises(ValueError, match="frequencies must be given"):
        dsr_many([[10, 10]], [[100, 100]], weights, independent_events=False, age_bands=["a", "b"])
    with pytest.raises(ValueError, match="one value per frequency"):
        dsr_many(
            [[[1, 2], [3, 4]]],
            [[100, 100]],
            weights,
            0.95,
            1,
            False,
            [1, 2, 3],
            age_bands=["a", "b"],
        )
    with pytest.raises(ValueError, match="counts2 must be 0 or more"):
        dsr_ratio_many(
            [[10, 10]], [[100, 100]], [[10, -1]], [[100, 100]], weights, age_bands=["a", "b"]
        )
    with pytest.raises(ValueError, match="one row per pair"):
        dsr_ratio_many(
            [[10, 10]],
            [[100, 100]],
            [[10, 10]] * 2,
            [[100, 100]] * 2,
            weights,
            age_bands=["a", "b"],
        )
