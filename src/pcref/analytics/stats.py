"""Confidence intervals, rates, proportions, standardised rates, rate ratios and funnel limits."""

# Every method follows reference/statistics.md (cited as §n) and names the public implementation
# it agrees with; docs/methods.md states each formula and where the project differs, and why.
# numpy and scipy only: this module never imports Django.
#
# Conventions, shared by every function:
# - Scalars in give floats out. Arrays (or lists) in give arrays out, element by element, with
#   no Python loop over the elements. A scalar argument is used for every element.
# - Missing input (NaN or None) gives a missing result (NaN), never an error (§1).
# - Impossible input is refused with a ValueError naming the argument, the value and where it is:
#   "x must be 0 or more: element 3 is -2".
# - `confidence` goes through the one shared check, `confidence_level`. `confidence=None` means
#   "no limits": the value is computed and the limits are NaN (§2, PHE's confidence = NA).
# - Groups are joined by label, never by position: age bands and strata are mapping keys, or
#   named by `age_bands` / `strata` for array input, and must match the standard exactly.

import csv
import io
import math
import numbers
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from importlib.resources import files
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy import special, stats

__all__ = [
    "ESP2013",
    "Estimate",
    "FunnelLimits",
    "byar_interval",
    "confidence_level",
    "dsr",
    "dsr_many",
    "dsr_ratio",
    "dsr_ratio_many",
    "exact_poisson_interval",
    "funnel_limits",
    "funnel_significance",
    "indirectly_standardised_rate",
    "isr",
    "mean",
    "mean_from_summary",
    "nhse_published_value",
    "nhse_standardised_rate",
    "proportion",
    "proportion_ratio",
    "rate",
    "rate_ratio",
    "ratio_of_independent_estimates",
    "repeat_event_rate_ratio",
    "wilson_interval",
]

# The count below which rates, ISRs and rate ratios switch to exact limits, and below which a DSR
# (and a DSR ratio) is not reported (§3, §5, §8.2, §8.4).
SMALL_COUNT = 10

# A method that cannot be named because the count it depends on is missing.
NO_METHOD = ""

# Counts below the smallest normal float (2.2e-308) count as no events where a limit depends on
# whether there are any: their limits underflow, and scipy gives NaN or overflows on them.
_NEARLY_NONE = np.finfo(float).tiny

# --- Reference data: the European Standard Population 2013 (§5) ------------------------------

_ESP_COLUMNS = ["age_band", "lower_age", "upper_age", "weight"]


def _read_standard_population(filename: str) -> Mapping[str, float]:
    """Weights by age band label from a packaged CSV file, checked once, here."""
    text = (files(__package__) / "data" / filename).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != _ESP_COLUMNS:
        raise RuntimeError(
            f"{filename} must have columns {_ESP_COLUMNS}; it has {reader.fieldnames}"
        )
    weights = {row["age_band"]: float(row["weight"]) for row in reader}
    if len(weights) != 19 or sum(weights.values()) != 100_000:
        raise RuntimeError(
            f"{filename} must hold 19 age bands weighing 100,000 in all; it holds "
            f"{len(weights)} weighing {sum(weights.values()):g}"
        )
    return MappingProxyType(weights)


#: European Standard Population 2013: weight by five-year age band label ("0-4" … "85-89", "90+"),
#: 100,000 in all. Source: PHE `data-raw/LoadTestdata.R`, copied in `reference/esp2013.csv`.
ESP2013: Mapping[str, float] = _read_standard_population("esp2013.csv")


# --- Checks: one per rule ---------------------------------------------------------------------


def confidence_level(value: float) -> float:
    """A confidence level as a fraction: up to 1, or above 1 up to 100 read as a percentage.

    Args:
        value: the confidence level, as a fraction in (0, 1] (0.95) or a percentage in (1, 100]
            (95). 1 and 100 both mean 100%, whose limits are the whole range.

    Returns:
        The level as a fraction.

    Raises:
        TypeError: when the value is not a number.
        ValueError: naming the value, when it is outside (0, 1] and (1, 100], or NaN.

    Differs from PHE, which accepts only 0.9-1 and 90-100 (`R/utils.R`): lower levels are
    legitimate (an 80% interval for a planning chart), so only impossible values are refused.

    >>> confidence_level(0.95), confidence_level(99.8)
    (0.95, 0.998)
    >>> confidence_level(150)
    Traceback (most recent call last):
    ...
    ValueError: confidence must be in (0, 1] or (1, 100]; got 150
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"confidence must be a number; got {value!r}")
    level = float(value)
    if 0 < level <= 1:
        return level
    if 1 < level <= 100:
        return level / 100
    shown = value if isinstance(value, int | float) else level
    raise ValueError(f"confidence must be in (0, 1] or (1, 100]; got {shown!r}")


def _level(confidence: float | None) -> float | None:
    """The checked level, or None when no limits are wanted (PHE's confidence = NA, §2)."""
    return None if confidence is None else confidence_level(confidence)


def _z(level: float) -> float:
    """z = Φ⁻¹((1 + c)/2), computed from the level, never a hard-coded 1.96 (§1); ∞ at c = 1."""
    return float(special.ndtri((1 + level) / 2))


def _show(value: Any) -> str:
    """A number as people write it: 3, not 3.0; 0.445 as it is."""
    number = float(value)
    if math.isfinite(number) and number.is_integer():
        return str(int(number))
    return repr(number)


def _numbers(name: str, value: Any) -> np.ndarray:
    """`value` as a float array; None becomes NaN (missing); text and infinities are refused."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a number, an array of numbers or missing; got {reprlib.repr(value)}"
        ) from None
    _refuse(name, array, np.isinf(array), "a finite number or missing")
    return array


def _refuse(
    name: str,
    array: np.ndarray,
    failed: np.ndarray,
    rule: str,
    labels: tuple[str, Sequence[str]] | None = None,
) -> None:
    """Raise a ValueError naming `name`, the rule, the first failing element and its value.

    `labels` is (kind, labels of the first axis), e.g. ("age band", ["0-4", ...]), so the message
    names the age band rather than a position.
    """
    if not np.any(failed):
        return
    index = tuple(int(i) for i in np.argwhere(failed)[0])
    value = _show(np.asarray(array)[index])
    if not index:
        raise ValueError(f"{name} must be {rule}; got {value}")
    if labels is not None:
        kind, names = labels
        where = f"{kind} {names[index[0]]!r}"
        if len(index) > 1:
            where += f", frequency column {index[1]}"
        raise ValueError(f"{name} must be {rule}: {where} has {value}")
    where = f"element {index[0]}" if len(index) == 1 else f"element {index}"
    raise ValueError(f"{name} must be {rule}: {where} is {value}")


def _at_least_zero(name: str, array: np.ndarray, labels=None) -> None:
    _refuse(name, array, array < 0, "0 or more", labels)


def _more_than_zero(name: str, array: np.ndarray, labels=None) -> None:
    _refuse(name, array, array <= 0, "more than 0", labels)


def _not_more_than(x_name: str, x: np.ndarray, n_name: str, n: np.ndarray) -> None:
    """Refuse x > n (a proportion), naming both values and the element."""
    failed = x > n
    if not np.any(failed):
        return
    x, n = np.broadcast_arrays(x, n)
    index = tuple(int(i) for i in np.argwhere(failed)[0])
    detail = f"{x_name}={_show(x[index])}, {n_name}={_show(n[index])}"
    rule = f"{x_name} must not be more than {n_name} for a proportion"
    if not index:
        raise ValueError(f"{rule}; got {detail}")
    where = f"element {index[0]}" if len(index) == 1 else f"element {index}"
    raise ValueError(f"{rule}: {where} has {detail}")


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _same_shape(**arrays: np.ndarray) -> list[np.ndarray]:
    """The arrays broadcast together; scalars go with anything, arrays must match exactly."""
    shaped = {name: array for name, array in arrays.items() if array.ndim > 0}
    if len({array.shape for array in shaped.values()}) > 1:

        def size(shape: tuple[int, ...]) -> str:
            return f"{shape[0]} elements" if len(shape) == 1 else f"shape {shape}"

        found = ", ".join(f"{name} has {size(array.shape)}" for name, array in shaped.items())
        raise ValueError(f"{_names(list(shaped))} must have the same length: {found}")
    return list(np.broadcast_arrays(*arrays.values()))


def _positive(name: str, value: Any) -> float:
    """A single finite number above 0 (a multiplier, a reference value)."""
    array = _numbers(name, value)
    if array.ndim != 0:
        raise ValueError(f"{name} must be a single number; got {reprlib.repr(value)}")
    _refuse(name, array, ~(array > 0), "more than 0")
    return float(array)


def _flat(*arrays: np.ndarray) -> list[np.ndarray]:
    """The arrays as 1-D copies, so that a scalar call runs the very same array arithmetic as
    an array call, and the two give the same bits for the same element."""
    return [np.ravel(array).astype(float) for array in arrays]


def _output(array: np.ndarray, shape: tuple[int, ...]) -> Any:
    """The result in the input's shape: a float for scalar input, an array otherwise."""
    array = np.reshape(array, shape)
    return float(array) if not shape else array


def _output_method(methods: np.ndarray, shape: tuple[int, ...]) -> Any:
    methods = np.reshape(methods, shape)
    return str(methods) if not shape else methods


# --- The result -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A statistic with its confidence limits and the method that gave them.

    `value`, `lower` and `upper` are floats for scalar input and arrays for array input; NaN
    where not available (missing input, a limit a method cannot give, no limits requested).
    `method` is the method's name ("Wilson", "Exact", "Byars", "Dobson", ...), a string array
    for array input, and "" where missing input leaves no method to name.
    """

    value: Any
    lower: Any
    upper: Any
    method: Any


# --- Intervals for counts and proportions (§2, §3) --------------------------------------------


def _wilson(x: np.ndarray, n: np.ndarray, level: float | None) -> tuple[np.ndarray, np.ndarray]:
    missing = np.full(np.broadcast(x, n).shape, np.nan)
    if level is None:
        return missing, missing.copy()
    if level == 1:  # PHE: the whole range (testWilson.R); still missing where input is
        present = ~(np.isnan(x) | np.isnan(n))
        return np.where(present, 0.0, np.nan), np.where(present, 1.0, np.nan)
    z = _z(level)
    spread = z * np.sqrt(z * z + 4 * x * (1 - x / n))
    denominator = 2 * (n + z * z)
    return (2 * x + z * z - spread) / denominator, (2 * x + z * z + spread) / denominator


def _byar(observed: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"):
        base = 1 - 1 / (9 * observed) - z / (3 * np.sqrt(observed))
        lower = observed * (base * base * base)
        above = observed + 1
        base = 1 - 1 / (9 * above) + z / (3 * np.sqrt(above))
        upper = above * (base * base * base)
    # A negative lower limit (small counts, high confidence) is no limit (PHE byars_lower); at
    # 0 events the formula is undefined and gives NaN as it does in R.
    lower = np.where(lower < 0, np.nan, lower)
    return lower, upper


def _exact(observed: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    tail = (1 - level) / 2
    lower = np.zeros(observed.shape)
    events = observed >= _NEARLY_NONE
    lower[events] = stats.chi2.ppf(tail, 2 * observed[events]) / 2
    lower[np.isnan(observed)] = np.nan
    upper = stats.chi2.ppf(level + tail, 2 * observed + 2) / 2
    return lower, upper


def _count_input(name: str, value: Any) -> np.ndarray:
    array = _numbers(name, value)
    _at_least_zero(name, array)
    return array


def wilson_interval(x: Any, n: Any, confidence: float | None = 0.95) -> tuple[Any, Any]:
    """Wilson score limits for the proportion x/n, on the proportion scale (0 to 1).

    Args:
        x: cases with the condition; may be fractional (weighted counts); scalar or array.
        n: cases in the sample; scalar or array of the same length as x.
        confidence: fraction or percentage (see `confidence_level`); default 0.95. At 1 the
            limits are 0 and 1 (PHE testWilson.R); None gives NaN limits.

    Returns:
        (lower, upper): floats, or arrays for array input; NaN where x or n is missing.

    Raises:
        ValueError: x < 0, n ≤ 0, x > n, arrays of different lengths, a bad confidence level.

    Method: Wilson (1927), as statistics.md §2 and PHE `R/utils.R` (`wilson_lower`/`_upper`):
    (2x + z² ∓ z√(z² + 4x(1 − x/n))) / (2(n + z²)), z = Φ⁻¹((1 + c)/2).

    >>> [round(limit, 4) for limit in wilson_interval(65, 100)]
    [0.5525, 0.7364]
    """
    level = _level(confidence)
    x, n = _proportion_input(x, n)
    shape = x.shape
    lower, upper = _wilson(*_flat(x, n), level)
    return _output(lower, shape), _output(upper, shape)


def byar_interval(observed: Any, confidence: float | None = 0.95) -> tuple[Any, Any]:
    """Byar's limits for an observed count of events, on the count scale.

    Args:
        observed: events (0 or more; may be fractional); scalar or array.
        confidence: fraction or percentage (see `confidence_level`); default 0.95.

    Returns:
        (lower, upper): the lower limit is NaN where Byar's formula goes negative (1 event at
        99.8%), and at 0 events, where it is undefined; NaN where the count is missing.

    Raises:
        ValueError: a negative count, a bad confidence level.

    Method: Breslow & Day (1987), as statistics.md §3 and PHE `R/utils.R` (`byars_lower`/
    `byars_upper`): O(1 − 1/(9O) − z/(3√O))³ and (O + 1)(1 − 1/(9(O + 1)) + z/(3√(O + 1)))³.

    >>> [round(limit, 2) for limit in byar_interval(65)]
    [50.16, 82.85]
    """
    level = _level(confidence)
    observed = _count_input("observed", observed)
    shape = observed.shape
    if level is None:
        return _output(observed * np.nan, shape), _output(observed * np.nan, shape)
    lower, upper = _byar(*_flat(observed), _z(level))
    return _output(lower, shape), _output(upper, shape)


def exact_poisson_interval(observed: Any, confidence: float | None = 0.95) -> tuple[Any, Any]:
    """Exact (chi-square) Poisson limits for an observed count of events, on the count scale.

    Args:
        observed: events (0 or more; may be fractional); scalar or array.
        confidence: fraction or percentage (see `confidence_level`); default 0.95.

    Returns:
        (lower, upper): lower is 0 at 0 events; NaN where the count is missing.

    Raises:
        ValueError: a negative count, a bad confidence level.

    Method: statistics.md §3 and PHE `R/Rates.R`: χ²⁻¹((1 − c)/2, 2O)/2 and
    χ²⁻¹(c + (1 − c)/2, 2O + 2)/2, with scipy's chi-square quantile over the whole array.

    >>> [round(limit, 4) for limit in exact_poisson_interval(0)]
    [0.0, 3.6889]
    """
    level = _level(confidence)
    observed = _count_input("observed", observed)
    shape = observed.shape
    if level is None:
        return _output(observed * np.nan, shape), _output(observed * np.nan, shape)
    lower, upper = _exact(*_flat(observed), level)
    return _output(lower, shape), _output(upper, shape)


def _poisson_limits(observed: np.ndarray, level: float | None) -> tuple[np.ndarray, ...]:
    """Limits of counts, exact below 10 events and Byar's from 10 (§3), and the method names."""
    shape = observed.shape
    counts = observed.ravel()
    exact = counts < SMALL_COUNT
    byars = counts >= SMALL_COUNT
    lower = np.full(counts.shape, np.nan)
    upper = np.full(counts.shape, np.nan)
    if level is not None:
        lower[exact], upper[exact] = _exact(counts[exact], level)
        lower[byars], upper[byars] = _byar(counts[byars], _z(level))
    methods = np.where(exact, "Exact", np.where(byars, "Byars", NO_METHOD))
    return lower.reshape(shape), upper.reshape(shape), methods.reshape(shape)


# --- Proportions and crude rates (§2, §4) -----------------------------------------------------


def _proportion_input(x: Any, n: Any, x_name: str = "x", n_name: str = "n") -> list[np.ndarray]:
    x, n = _same_shape(**{x_name: _numbers(x_name, x), n_name: _numbers(n_name, n)})
    _at_least_zero(x_name, x)
    _more_than_zero(n_name, n)
    _not_more_than(x_name, x, n_name, n)
    return [x, n]


def proportion(x: Any, n: Any, confidence: float | None = 0.95, multiplier: float = 1) -> Estimate:
    """The proportion x/n with Wilson score limits.

    Args:
        x: cases with the condition; may be fractional; scalar or array. For grouped data, sum
            x and n over the group's rows first (§1).
        n: cases in the sample; scalar or array of the same length.
        confidence: fraction or percentage (see `confidence_level`); default 0.95.
        multiplier: scale of the value and limits, e.g. 100 for a percentage; default 1.

    Returns:
        Estimate with value x/n × multiplier and Wilson limits × multiplier; method "Wilson".
        NaN value and limits where x or n is missing.

    Raises:
        ValueError: x < 0, n ≤ 0, x > n, arrays of different lengths, a multiplier ≤ 0, a bad
            confidence level.

    Method: statistics.md §2; agrees with PHE `R/Proportions.R` (`phe_proportion`) to 1e-9
    on every case of `stats_cases_phe.csv`.

    >>> estimate = proportion(65, 100, multiplier=100)
    >>> [round(figure, 2) for figure in (estimate.value, estimate.lower, estimate.upper)]
    [65.0, 55.25, 73.64]
    """
    level = _level(confidence)
    scale = _positive("multiplier", multiplier)
    x, n = _proportion_input(x, n)
    shape = x.shape
    x, n = _flat(x, n)
    lower, upper = _wilson(x, n, level)
    return Estimate(
        _output(x / n * scale, shape),
        _output(lower * scale, shape),
        _output(upper * scale, shape),
        _output_method(np.full(x.shape, "Wilson"), shape),
    )


def rate(x: Any, n: Any, confidence: float | None = 0.95, multiplier: float = 100_000) -> Estimate:
    """The crude rate x/n with exact limits below 10 events and Byar's limits from 10.

    Args:
        x: events; may be fractional and may exceed n (episodes: one person can have several);
            scalar or array. For grouped data, sum x and n over the group's rows first (§1).
        n: population or person-time; scalar or array of the same length.
        confidence: fraction or percentage (see `confidence_level`); default 0.95.
        multiplier: the rate is per this many of n; default 100,000.

    Returns:
        Estimate with value x/n × multiplier and limits O_L/n, O_U/n × multiplier; method
        "Exact" (x < 10) or "Byars" (x ≥ 10), "" where x is missing. NaN value and limits
        where x or n is missing.

    Raises:
        ValueError: x < 0, n ≤ 0, arrays of different lengths, a multiplier ≤ 0, a bad
            confidence level.

    Method: statistics.md §4; agrees with PHE `R/Rates.R` (`phe_rate`) to 1e-9 on every case
    of `stats_cases_phe.csv`.

    >>> estimate = rate(5, 100, multiplier=100)
    >>> [round(figure, 3) for figure in (estimate.value, estimate.lower, estimate.upper)]
    [5.0, 1.623, 11.668]
    >>> estimate.method
    'Exact'
    """
    level = _level(confidence)
    scale = _positive("multiplier", multiplier)
    x, n = _same_shape(x=_numbers("x", x), n=_numbers("n", n))
    _at_least_zero("x", x)
    _more_than_zero("n", n)
    shape = x.shape
    x, n = _flat(x, n)
    lower, upper, methods = _poisson_limits(x, level)
    return Estimate(
        _output(x / n * scale, shape),
        _output(lower / n * scale, shape),
        _output(upper / n * scale, shape),
        _output_method(methods, shape),
    )


# --- Joining by label -------------------------------------------------------------------------


def _check_labels(
    name: str, given: Sequence[Any], labels: Sequence[str], kind: str, reference: str
):
    """Refuse repeated, missing or extra labels, naming them."""
    repeated = sorted({label for label in given if list(given).count(label) > 1}, key=str)
    if repeated:
        shown = ", ".join(repr(label) for label in repeated)
        raise ValueError(f"{name} must name each {kind} once; it repeats {shown}")
    missing = [label for label in labels if label not in set(given)]
    extra = [label for label in given if label not in set(labels)]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"it lacks {', '.join(repr(label) for label in missing)}")
        if extra:
            shown = ", ".join(repr(label) for label in extra)
            parts.append(f"{reference} has no {shown}")
        raise ValueError(f"{name} must have the same {kind}s as {reference}: {'; '.join(parts)}")


def _aligned(
    name: str,
    data: Any,
    labels: Sequence[str],
    row_labels: Sequence[str] | None,
    *,
    kind: str,
    reference: str,
    row_argument: str,
    columns: int | None = None,
) -> np.ndarray:
    """`data` as an array in the order of `labels`, joined by label, never by position.

    `data` is a mapping from label to value (to a row of `columns` values when `columns` is
    given), or an array whose rows `row_labels` names.
    """
    if isinstance(data, Mapping):
        _check_labels(name, list(data), labels, kind, reference)
        rows = [data[label] for label in labels]
        if columns is not None:
            for label, row in zip(labels, rows, strict=True):
                if np.ndim(row) != 1 or len(row) != columns:
                    raise ValueError(
                        f"{name} must have one value per frequency ({columns}): {kind} "
                        f"{label!r} has {reprlib.repr(row)}"
                    )
        return _numbers(name, rows)
    if row_labels is None:
        raise ValueError(
            f"{name} must be a mapping from {kind} to value, or {row_argument} must name its "
            f"rows, so it is joined to {reference} by label; got {reprlib.repr(data)}"
        )
    row_labels = list(row_labels)
    array = _numbers(name, data)
    if array.ndim == 0 or array.shape[0] != len(row_labels):
        rows = "a single number" if array.ndim == 0 else f"{array.shape[0]} rows"
        raise ValueError(
            f"{name} must have one row per {kind} in {row_argument} ({len(row_labels)}); "
            f"it has {rows}"
        )
    _check_labels(row_argument, row_labels, labels, kind, reference)
    array = array[[row_labels.index(label) for label in labels]]
    if columns is not None and (array.ndim != 2 or array.shape[1] != columns):
        raise ValueError(
            f"{name} must have one column per frequency ({columns}); it has shape {array.shape}"
        )
    return array


def _weights(name: str, weights: Any, kind: str) -> tuple[tuple[str, ...], np.ndarray]:
    """Labels and values of a standard keyed by label (weights, standard populations)."""
    if not isinstance(weights, Mapping) or not weights:
        raise ValueError(
            f"{name} must be a mapping from {kind} label to weight, such as ESP2013; "
            f"got {reprlib.repr(weights)}"
        )
    labels = tuple(weights)
    values = _numbers(name, [weights[label] for label in labels])
    where = (kind, labels)
    _refuse(name, values, np.isnan(values), "a number (not missing)", where)
    _at_least_zero(name, values, where)
    if values.sum() <= 0:
        raise ValueError(f"{name} must weigh more than 0 in all; got {_show(values.sum())}")
    return labels, values


# --- Directly standardised rate (§5) ----------------------------------------------------------


@dataclass(frozen=True)
class _StandardisedParts:
    """Each group's DSR, its variance and its events, as arrays with one entry per group."""

    value: np.ndarray  # DSR on the unit scale (before the multiplier)
    variance: np.ndarray  # vardsr, or custom_vardsr for non-independent events, on the unit scale
    events: np.ndarray  # O, total events
    method: str


def _dsr_method(independent_events: bool) -> str:
    if not isinstance(independent_events, bool):
        raise TypeError(f"independent_events must be True or False; got {independent_events!r}")
    if independent_events:
        return "Dobson"
    return "Dobson, with confidence adjusted for non-independent events"


def _frequency_weights(independent_events: bool, frequencies: Any) -> np.ndarray | None:
    """The checked event frequencies of the columns of counts; None for independent events."""
    if independent_events:
        if frequencies is not None:
            raise ValueError(
                "frequencies is used only when independent_events is False; got "
                f"{reprlib.repr(frequencies)}"
            )
        return None
    if frequencies is None:
        raise ValueError(
            "frequencies must be given when independent_events is False: the number of "
            "events each column of counts is for, such as [1, 2, 3]"
        )
    weights = _numbers("frequencies", frequencies)
    if weights.ndim != 1 or weights.size == 0:
        raise ValueError(
            f"frequencies must be a list of event frequencies; got {reprlib.repr(frequencies)}"
        )
    _refuse("frequencies", weights, np.isnan(weights), "not missing")
    _at_least_zero("frequencies", weights)
    return weights


def _in_order_sum(array: np.ndarray, axis: int) -> np.ndarray:
    """The sum along `axis`, adding its entries in order. numpy's `sum` adds pairwise or in
    order depending on the array's shape, so a group summed alone and among others could
    differ in the last bit; added in order, each group gets the same bits either way."""
    parts = np.moveaxis(array, axis, 0)
    total = parts[0].copy()
    for part in parts[1:]:
        total = total + part
    return total


def _standardised(
    counts: np.ndarray,
    populations: np.ndarray,
    weights: np.ndarray,
    frequency_weights: np.ndarray | None,
    method: str,
) -> _StandardisedParts:
    """§5's arithmetic for every group (row) at once: counts (groups × bands, or groups × bands
    × frequencies of people), populations (groups × bands), both already checked and in the
    standard's band order. `dsr` runs it on one row and every sum adds in order, so a group
    gives the same bits alone or among others."""
    if frequency_weights is None:
        events = counts
        people = None
    else:
        people = counts
        # total events per band: Σ_f f · persons_f
        events = _in_order_sum(people * frequency_weights, axis=-1)
    total_weight = weights.sum()
    weight_per_person = weights / populations
    value = _in_order_sum(events * weight_per_person, axis=-1) / total_weight
    if people is None:
        variance = _in_order_sum(events * weight_per_person**2, axis=-1) / total_weight**2
    else:
        # custom_vardsr = Σ_f f² · vardsr_f, with vardsr_f from the people with f events (§5)
        squares = (weight_per_person**2)[..., None]
        by_frequency = _in_order_sum(people * squares, axis=-2) / total_weight**2
        variance = _in_order_sum(frequency_weights**2 * by_frequency, axis=-1)
    total = _in_order_sum(events, axis=-1)
    missing = np.isnan(populations).any(axis=-1)  # missing in, missing out
    value, variance, total = (np.where(missing, np.nan, a) for a in (value, variance, total))
    return _StandardisedParts(value, variance, total, method)


def _dsr_parts(
    counts: Any,
    populations: Any,
    standard_weights: Any,
    independent_events: bool,
    frequencies: Any,
    age_bands: Sequence[str] | None,
    suffix: str = "",
) -> _StandardisedParts:
    labels, weights = _weights(f"standard_weights{suffix}", standard_weights, "age band")
    method = _dsr_method(independent_events)
    where = ("age band", labels)
    joined = {
        "labels": labels,
        "row_labels": age_bands,
        "kind": "age band",
        "reference": "standard_weights",
        "row_argument": "age_bands",
    }
    populations = _aligned(f"populations{suffix}", populations, **joined)
    _more_than_zero(f"populations{suffix}", populations, where)
    frequency_weights = _frequency_weights(independent_events, frequencies)
    columns = None if frequency_weights is None else frequency_weights.size
    counts = _aligned(f"counts{suffix}", counts, **joined, columns=columns)
    _at_least_zero(f"counts{suffix}", counts, where)
    counts = np.nan_to_num(counts, nan=0.0)  # §5: a missing count is treated as 0
    return _standardised(counts[None], populations[None], weights, frequency_weights, method)


def _dobson(parts: _StandardisedParts, level: float | None, scale: float):
    """Value and Dobson limits of each group; NaN below 10 events (§5) or without a level."""
    reported = parts.events >= SMALL_COUNT  # "dsr NA for total count < 10" (§5); also NaN
    value = np.where(reported, parts.value * scale, np.nan)
    if level is None:
        return value, np.full(value.shape, np.nan), np.full(value.shape, np.nan)
    observed = np.where(reported, parts.events, np.nan)
    lower, upper = _byar(observed, _z(level))
    with np.errstate(all="ignore"):
        spread = np.sqrt(parts.variance / observed) * scale
        return value, value + spread * (lower - observed), value + spread * (upper - observed)


def _band_axis(
    name: str, array: Any, labels: tuple[str, ...], age_bands: Sequence[str], ndim: int
) -> np.ndarray:
    """An array of groups × age bands (× frequencies) with its bands put in the standard's order,
    joined by the labels `age_bands` gives the second axis."""
    array = _numbers(name, array)
    if array.ndim != ndim:
        axes = "groups × age bands" + (" × frequencies" if ndim == 3 else "")
        raise ValueError(f"{name} must have {ndim} axes ({axes}); it has shape {array.shape}")
    if array.shape[1] != len(age_bands):
        raise ValueError(
            f"{name} must have one column per age band in age_bands ({len(age_bands)}); "
            f"it has shape {array.shape}"
        )
    _check_labels("age_bands", list(age_bands), labels, "age band", "standard_weights")
    return array[:, [list(age_bands).index(label) for label in labels]]


def _many_parts(
    counts: Any,
    populations: Any,
    standard_weights: Any,
    independent_events: bool,
    frequencies: Any,
    age_bands: Sequence[str],
    suffix: str = "",
) -> _StandardisedParts:
    """`_dsr_parts` for many groups: arrays whose rows are groups and columns `age_bands`."""
    labels, weights = _weights(f"standard_weights{suffix}", standard_weights, "age band")
    method = _dsr_method(independent_events)
    if isinstance(age_bands, str) or not isinstance(age_bands, Sequence):
        raise ValueError(f"age_bands must be a list of age band labels; got {age_bands!r}")
    frequency_weights = _frequency_weights(independent_events, frequencies)
    ndim = 2 if frequency_weights is None else 3
    populations = _band_axis(f"populations{suffix}", populations, labels, age_bands, 2)
    counts = _band_axis(f"counts{suffix}", counts, labels, age_bands, ndim)
    if counts.shape[0] != populations.shape[0]:
        raise ValueError(
            f"counts{suffix} and populations{suffix} must have one row per group each: "
            f"{counts.shape[0]} and {populations.shape[0]}"
        )
    if frequency_weights is not None and counts.shape[2] != frequency_weights.size:
        raise ValueError(
            f"counts{suffix} must have one value per frequency ({frequency_weights.size}) on its "
            f"last axis; it has shape {counts.shape}"
        )
    _more_than_zero(f"populations{suffix}", populations)
    _at_least_zero(f"counts{suffix}", counts)
    counts = np.nan_to_num(counts, nan=0.0)  # §5: a missing count is treated as 0
    return _standardised(counts, populations, weights, frequency_weights, method)


def dsr(
    counts: Any,
    populations: Any,
    standard_weights: Mapping[str, float],
    confidence: float | None = 0.95,
    multiplier: float = 100_000,
    independent_events: bool = True,
    frequencies: Any = None,
    *,
    age_bands: Sequence[str] | None = None,
) -> Estimate:
    """Directly standardised rate with Dobson limits, for one group.

    Args:
        counts: events by age band: a mapping from band label to count, or an array whose rows
            `age_bands` names. A missing count is treated as 0 (§5). When
            `independent_events` is False, each band holds a row: the number of people in the
            band with exactly f events, one column per entry of `frequencies`.
        populations: population by age band, keyed the same way; each more than 0.
        standard_weights: weight by age band label, e.g. `ESP2013`. The bands of counts and
            populations must be exactly these labels: they are joined by label, not position.
        confidence: fraction or percentage (see `confidence_level`); default 0.95.
        multiplier: the rate is per this many people; default 100,000.
        independent_events: True (default) when each person has at most one event, or events
            are independent; False to widen the limits for repeat events (PHE 2.1.0).
        frequencies: with `independent_events=False`, the event frequencies the columns of
            counts are for, e.g. [1, 2, 3]; otherwise None.
        age_bands: the labels of the rows of array inputs; not needed for mappings.

    Returns:
        Estimate with the DSR × multiplier and Dobson limits; method "Dobson" (or "Dobson,
        with confidence adjusted for non-independent events"). NaN value and limits when
        there are fewer than 10 events in all (§5), or when a population is missing.

    Raises:
        ValueError: bands that differ from the standard's (missing, extra or repeated), a
            negative count, a population ≤ 0, array rows or columns of the wrong number,
            frequencies given with independent events or missing without, a bad confidence.

    Method: statistics.md §5; agrees with PHE `R/DSR.R` (`calculate_dsr`):
    DSR = Σ(xᵢwᵢ/nᵢ)/Σwᵢ; vardsr = Σ xᵢ(wᵢ/nᵢ)²/(Σwᵢ)²; limits DSR + √(vardsr/O)(O_L − O)
    and DSR + √(vardsr/O)(O_U − O), with O_L, O_U Byar's limits of O = Σxᵢ.

    >>> populations = {band: weight * 3 for band, weight in ESP2013.items()}
    >>> counts = {band: 6 for band in ESP2013}
    >>> round(dsr(counts, populations, ESP2013).value, 3)
    38.0
    """
    level = _level(confidence)
    scale = _positive("multiplier", multiplier)
    parts = _dsr_parts(
        counts, populations, standard_weights, independent_events, frequencies, age_bands
    )
    value, lower, upper = _dobson(parts, level, scale)
    return Estimate(float(value[0]), float(lower[0]), float(upper[0]), parts.method)


def dsr_many(
    counts: Any,
    populations: Any,
    standard_weights: Mapping[str, float],
    confidence: float | None = 0.95,
    multiplier: float = 100_000,
    independent_events: bool = True,
    frequencies: Any = None,
    *,
    age_bands: Sequence[str],
) -> Estimate:
    """Directly standardised rates of many groups at once: `dsr` on each row, without a Python
    loop over the groups (the metric engine has thousands of groups and periods).

    Args:
        counts: events, an array of groups × age bands; with `independent_events` False,
            groups × age bands × frequencies (people with exactly f events). Missing counts
            are treated as 0 (§5).
        populations: population, an array of groups × age bands; each more than 0.
        standard_weights, confidence, multiplier, independent_events, frequencies: as for `dsr`.
        age_bands: the labels of the second axis of counts and populations, joined to the
            standard's labels (any order).

    Returns:
        Estimate whose value, lower and upper are arrays with one entry per group, each equal
        to `dsr` on that group alone (the same arithmetic), and the method as for `dsr`.

    Raises:
        ValueError: as for `dsr`; arrays of the wrong number of axes, groups, bands or
            frequencies.

    >>> populations = [[weight * 3 for weight in ESP2013.values()]] * 2
    >>> counts = [[6] * len(ESP2013), [12] * len(ESP2013)]
    >>> dsr_many(counts, populations, ESP2013, age_bands=list(ESP2013)).value.round(3).tolist()
    [38.0, 76.0]
    """
    level = _level(confidence)
    scale = _positive("multiplier", multiplier)
    parts = _many_parts(
        counts, populations, standard_weights, independent_events, frequencies, age_bands
    )
    value, lower, upper = _dobson(parts, level, scale)
    return Estimate(value, lower, upper, parts.method)


# --- Indirect standardisation (§6) ------------------------------------------------------------


@dataclass(frozen=True)
class _IndirectParts:
    observed: float  # O, the group's events
    expected: float  # E = Σ (x_ref,i / n_ref,i) · nᵢ
    reference_rate: float  # Σ x_ref / Σ n_ref, on the unit scale


def _indirect_parts(
    observed: Any,
    populations: Any,
    reference_counts: Any,
    reference_populations: Any,
    age_bands: Sequence[str] | None,
) -> _IndirectParts:
    if isinstance(populations, Mapping):
        labels = tuple(populations)
    elif age_bands is not None:
        labels = tuple(age_bands)
    else:
        raise ValueError(
            "populations must be a mapping from age band to population, or age_bands must name "
            f"its rows, so the reference is joined to it by label; got {reprlib.repr(populations)}"
        )
    where = ("age band", labels)
    joined = {
        "labels": labels,
        "row_labels": age_bands,
        "kind": "age band",
        "reference": "populations",
        "row_argument": "age_bands",
    }
    local = _aligned("populations", populations, **joined)
    _at_least_zero("populations", local, where)  # nᵢ = 0 is allowed (§6)
    reference = _aligned("reference_counts", reference_counts, **joined)
    _at_least_zero("reference_counts", reference, where)
    reference_people = _aligned("reference_populations", reference_populations, **joined)
    _more_than_zero("reference_populations", reference_people, where)
    if isinstance(observed, Mapping) or np.ndim(observed) > 0:
        by_band = _aligned("observed", observed, **joined)
        _at_least_zero("observed", by_band, where)
        total = float(np.nansum(by_band))  # PHE sums per-band counts with na.rm = TRUE
    else:
        total = float(_count_input("observed", observed))
    # §6: a missing reference count counts as 0; a missing population is missing in, out.
    reference = np.nan_to_num(reference, nan=0.0)
    expected = float((reference / reference_people * local).sum())
    return _IndirectParts(total, expected, float(reference.sum() / reference_people.sum()))


def _indirect(parts: _IndirectParts, level: float | None, scale: float) -> Estimate:
    total, expected = parts.observed, parts.expected
    if math.isnan(total):
        return Estimate(math.nan, math.nan, math.nan, NO_METHOD)
    lower, upper, methods = _poisson_limits(np.asarray(total), level)
    method = str(methods[()])
    if not expected > 0:  # no expected events: the ratio is undefined
        return Estimate(math.nan, math.nan, math.nan, method)
    return Estimate(
        total / expected * scale,
        float(lower) / expected * scale,
        float(upper) / expected * scale,
        method,
    )


def isr(
    observed: Any,
    populations: Any,
    reference_counts: Any,
    reference_populations: Any,
    confidence: float | None = 0.95,
    refvalue: float = 1,
    *,
    age_bands: Sequence[str] | None = None,
) -> Estimate:
    """Indirectly standardised ratio (observed / expected events), for one group.

    Args:
        observed: the group's events: the total (a number), or counts by age band keyed like
            populations, which are summed (a missing band count counts as 0, as in PHE).
        populations: the group's population by age band: a mapping from band label, or an
            array whose rows `age_bands` names; 0 is allowed.
        reference_counts: the reference population's events by age band, keyed the same way;
            a missing count counts as 0 (§6).
        reference_populations: the reference population by age band; each more than 0.
        confidence: fraction or percentage (see `confidence_level`); default 0.95.
        refvalue: scale of the ratio and limits; default 1 (use 100 for "per 100"). Passing the
            reference rate gives the indirectly standardised rate (see
            `indirectly_standardised_rate`).
        age_bands: the labels of the rows of array inputs.

    Returns:
        Estimate with O/E × refvalue and limits O_L/E, O_U/E × refvalue; method "Exact" when
        O < 10, else "Byars". NaN where the total observed or a population is missing, or
        nothing is expected (E = 0).

    Raises:
        ValueError: bands that differ between the inputs, negative counts or populations, a
            reference population ≤ 0, refvalue ≤ 0, a bad confidence level.

    Method: statistics.md §6; agrees with PHE `R/ISRatio.R` (`calculate_ISRatio`):
    E = Σ(x_ref,i/n_ref,i)·nᵢ.

    >>> estimate = isr(30, {"0-39": 1000, "40+": 500}, {"0-39": 10, "40+": 40},
    ...                {"0-39": 1000, "40+": 1000})
    >>> round(estimate.value, 4), estimate.method
    (1.0, 'Byars')
    """
    level = _level(confidence)
    scale = _positive("refvalue", refvalue)
    parts = _indirect_parts(
        observed, populations, reference_counts, reference_populations, age_bands
    )
    return _indirect(parts, level, scale)


def indirectly_standardised_rate(
    observed: Any,
    populations: Any,
    reference_counts: Any,
    reference_populations: Any,
    confidence: float | None = 0.95,
    multiplier: float = 100_000,
    *,
    age_bands: Sequence[str] | None = None,
) -> Estimate:
    """Indirectly standardised rate: the ISR times the reference population's crude rate.

    Arguments as `isr`, with `multiplier` (default 100,000) for "per 100,000" in place of
    `refvalue`. The reference rate is Σx_ref / Σn_ref × multiplier, missing reference counts
    counting as 0. Returns an Estimate with the rate and its limits, scaled the same way;
    method "Exact" below 10 observed events, else "Byars".

    Method: statistics.md §6; agrees with PHE `R/ISRate.R` (`calculate_ISRate`).

    >>> estimate = indirectly_standardised_rate(30, {"0-39": 1000, "40+": 500},
    ...     {"0-39": 10, "40+": 40}, {"0-39": 1000, "40+": 1000})
    >>> round(estimate.value, 1)
    2500.0
    """
    level = _level(confidence)
    scale = _positive("multiplier", multiplier)
    parts = _indirect_parts(
        observed, populations, reference_counts, reference_populations, age_bands
    )
    return _indirect(parts, level, parts.reference_rate * scale)


# --- Mean with a t-interval (§7) --------------------------------------------------------------


def _t_limits(means, deviations, counts, level: float | None):
    if level is None:
        return means * np.nan, means * np.nan
    with np.errstate(all="ignore"):
        quantile = np.abs(stats.t.ppf((1 - level) / 2, counts - 1))
        half = quantile * deviations / np.sqrt(counts)
    return means - half, means + half


def mean(values: Any, confidence: float | None = 0.95) -> Estimate:
    """The mean of a sample with Student's t limits, e.g. mean length of stay.

    Args:
        values: the sample, 1-D. A missing value makes the result missing (as PHE, which
            does not drop NA); drop them first if they are to be left out.
        confidence: fraction or percentage (see `confidence_level`); default 0.95.

    Returns:
        Estimate with the mean and m ± |t⁻¹((1 − c)/2, k − 1)|·s/√k, s the sample standard
        deviation (k − 1 denominator); method "Student's t-distribution". Limits are NaN for
        a single value. For skewed data report the median as well (§7).

    Raises:
        ValueError: an empty sample, a sample that is not 1-D, a bad confidence level.

    Method: statistics.md §7; agrees with PHE `R/Means.R` (`phe_mean`).

    >>> estimate = mean([2, 4, 4, 4, 5, 5, 7, 9])
    >>> [round(figure, 4) for figure in (estimate.value, estimate.lower, estimate.upper)]
    [5.0, 3.2125, 6.7875]
    """
    level = _level(confidence)
    sample = _numbers("values", values)
    if sample.ndim != 1 or sample.size == 0:
        raise ValueError(
            f"values must be a list of at least one number; got {reprlib.repr(values)}"
        )
    count = sample.size
    average = float(sample.sum() / count)
    deviation = float(np.std(sample, ddof=1)) if count > 1 else math.nan
    lower, upper = _t_limits(np.asarray(average), np.asarray(deviation), np.asarray(count), level)
    return Estimate(average, float(lower), float(upper), "Student's t-distribution")


def mean_from_summary(
    means: Any, standard_deviations: Any, counts: Any, confidence: float | None = 0.95
) -> Estimate:
    """Student's t limits from summary figures, one row per group (as a backend aggregates).

    Args:
        means: group means; scalar or array.
        standard_deviations: sample standard deviations (k − 1 denominator); 0 or more.
        counts: values in each group; 1 or more.
        confidence: fraction or percentage (see `confidence_level`); default 0.95.

    Returns:
        Estimate as `mean`, element by element; NaN where any input is missing, and NaN
        limits where a group has one value.

    Raises:
        ValueError: a negative standard deviation, a count below 1, arrays of different
            lengths, a bad confidence level.

    Method: statistics.md §7; PHE `R/Means.R`.

    >>> estimate = mean_from_summary(5.0, 2.138089935299395, 8)
    >>> round(estimate.lower, 4), round(estimate.upper, 4)
    (3.2125, 6.7875)
    """
    level = _level(confidence)
    means, deviations, counts = _same_shape(
        means=_numbers("means", means),
        standard_deviations=_numbers("standard_deviations", standard_deviations),
        counts=_numbers("counts", counts),
    )
    _at_least_zero("standard_deviations", deviations)
    _refuse("counts", counts, counts < 1, "1 or more")
    shape = means.shape
    means, deviations, counts = _flat(means, deviations, counts)
    deviations = np.where(counts > 1, deviations, np.nan)
    lower, upper = _t_limits(means, deviations, counts, level)
    methods = np.full(means.shape, "Student's t-distribution")
    return Estimate(
        _output(means, shape),
        _output(lower, shape),
        _output(upper, shape),
        _output_method(methods, shape),
    )


# --- Ratios between groups (§8) ---------------------------------------------------------------


def _ratio_estimate(ratio, lower, upper, methods, shape: tuple[int, ...]) -> Estimate:
    if np.ndim(methods) == 0:
        methods = np.full(np.shape(ratio), methods)
    return Estimate(
        _output(ratio, shape),
        _output(lower, shape),
        _output(upper, shape),
        _output_method(methods, shape),
    )


def _log_limits(ratio, standard_error, z: float):
    with np.errstate(all="ignore"):
        return ratio * np.exp(-z * standard_error), ratio * np.exp(z * standard_error)


def rate_ratio(x1: Any, n1: Any, x2: Any, n2: Any, confidence: float | None = 0.95) -> Estimate:
    """Ratio of two crude rates, (x1/n1)/(x2/n2): "X times as likely".

    Args:
        x1, n1: events and population (or person-time) of the group of interest.
        x2, n2: the same for the reference group (White, or White British, §8).
        confidence: fraction or percentage (see `confidence_level`); default 0.95.
        All scalar or arrays of one length; counts may be fractional.

    Returns:
        Estimate with the rate ratio and limits; method "log" when both counts are 10 or
        more, "exact" when either is below 10, "" when a count is missing. The value and
        upper limit are infinite when x2 = 0 (and the value NaN when both counts are 0).

    Raises:
        ValueError: a negative count, a population ≤ 0, arrays of different lengths, a bad
            confidence level.

    Method: statistics.md §8.1 (log: RR·exp(±z√(1/x1 + 1/x2)), as `fmsb::rateratio` and
    `cancerradarr`) and §8.2 (exact conditional: Clopper-Pearson limits for
    p = x1/(x1 + x2), turned into RR = (n2/n1)·p/(1 − p)). PHE has no two-group function.
    State whether the counts are people or episodes (§8.6).

    >>> estimate = rate_ratio(40, 10_000, 20, 10_000)
    >>> round(estimate.value, 2), estimate.method
    (2.0, 'log')
    """
    level = _level(confidence)
    x1, n1, x2, n2 = _same_shape(
        x1=_numbers("x1", x1), n1=_numbers("n1", n1), x2=_numbers("x2", x2), n2=_numbers("n2", n2)
    )
    for name, counts in (("x1", x1), ("x2", x2)):
        _at_least_zero(name, counts)
    for name, people in (("n1", n1), ("n2", n2)):
        _more_than_zero(name, people)
    shape = x1.shape
    x1, n1, x2, n2 = _flat(x1, n1, x2, n2)
    with np.errstate(all="ignore"):
        ratio = (x1 / n1) / (x2 / n2)
    large = (x1 >= SMALL_COUNT) & (x2 >= SMALL_COUNT)
    present = ~(np.isnan(x1) | np.isnan(x2))
    small = present & ~large
    methods = np.where(large, "log", np.where(small, "exact", NO_METHOD))
    lower = np.full(ratio.shape, np.nan)
    upper = np.full(ratio.shape, np.nan)
    if level is not None:
        z = _z(level)
        standard_error = np.sqrt(1 / x1[large] + 1 / x2[large])
        lower[large], upper[large] = _log_limits(ratio[large], standard_error, z)
        a, b = x1[small], x2[small]
        tail = (1 - level) / 2
        with np.errstate(all="ignore"):
            p_lower = np.zeros(a.shape)  # p_L = 0 when x1 = 0
            some = a >= _NEARLY_NONE
            p_lower[some] = stats.beta.ppf(tail, a[some], b[some] + 1)
            p_upper = np.ones(a.shape)  # p_U = 1 when x2 = 0
            some = b >= _NEARLY_NONE
            p_upper[some] = stats.beta.ppf(1 - tail, a[some] + 1, b[some])
            odds = n2[small] / n1[small]
            lower[small] = odds * p_lower / (1 - p_lower)
            upper[small] = np.where(p_upper < 1, odds * p_upper / (1 - p_upper), np.inf)
        # the limits are missing wherever a population is
        missing = np.isnan(n1) | np.isnan(n2)
        lower[missing] = upper[missing] = np.nan
    return _ratio_estimate(ratio, lower, upper, methods, shape)


def proportion_ratio(a: Any, n1: Any, c: Any, n2: Any, confidence: float | None = 0.95) -> Estimate:
    """Ratio of two proportions of people, (a/n1)/(c/n2), with Katz's log limits.

    Args:
        a, n1: people with the event, and people, in the group of interest.
        c, n2: the same for the reference group.
        confidence: fraction or percentage (see `confidence_level`); default 0.95.
        All scalar or arrays of one length.

    Returns:
        Estimate with the ratio and RR·exp(±z·SE), SE = √(1/a − 1/n1 + 1/c − 1/n2); method
        "Katz log". The limits are NaN when a or c is 0, where Katz's SE is undefined (no
        continuity correction is added).

    Raises:
        ValueError: a negative count, a group size ≤ 0, a count above its group size, arrays
            of different lengths, a bad confidence level.

    Method: statistics.md §8.3 (Katz et al. 1978); use it when the unit is people (§8.6 a).

    >>> estimate = proportion_ratio(40, 1000, 20, 1000)
    >>> [round(figure, 3) for figure in (estimate.value, estimate.lower, estimate.upper)]
    [2.0, 1.178, 3.396]
    """
    level = _level(confidence)
    a, n1 = _proportion_input(a, n1, "a", "n1")
    c, n2 = _proportion_input(c, n2, "c", "n2")
    a, n1, c, n2 = _same_shape(a=a, n1=n1, c=c, n2=n2)
    shape = a.shape
    a, n1, c, n2 = _flat(a, n1, c, n2)
    with np.errstate(all="ignore"):
        ratio = (a / n1) / (c / n2)
        standard_error = np.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    standard_error = np.where((a >= _NEARLY_NONE) & (c >= _NEARLY_NONE), standard_error, np.nan)
    if level is None:
        lower = upper = ratio * np.nan
    else:
        lower, upper = _log_limits(ratio, standard_error, _z(level))
    return _ratio_estimate(ratio, lower, upper, np.str_("Katz log"), shape)


def repeat_event_rate_ratio(
    people1: Any,
    n1: Any,
    people2: Any,
    n2: Any,
    frequencies: Any,
    confidence: float | None = 0.95,
) -> Estimate:
    """Ratio of two episode rates when one person can have several episodes (§8.6 b).

    Args:
        people1: people in the group of interest with exactly f episodes, one entry per entry of
            `frequencies` (the last axis); leading axes, if any, are separate comparisons.
            A missing entry counts as 0.
        n1: the group's population or person-time.
        people2, n2: the same for the reference group.
        frequencies: the episode frequencies f the entries are for, e.g. [1, 2, 3].
        confidence: fraction or percentage (see `confidence_level`); default 0.95.

    Returns:
        Estimate with the episode rate ratio (O1/n1)/(O2/n2), O = Σ f·m_f, and the log limits
        with each 1/O of §8.1 replaced by Σ f²·m_f / O². Method "log, variance inflated for
        repeat events". The limits are NaN when either group has fewer than 10 episodes: there
        is no exact method for clustered counts, so count people there (`rate_ratio` on people,
        or `proportion_ratio`).

    Raises:
        ValueError: negative people or frequencies, a population ≤ 0, a frequency count that
            does not match the last axis, a bad confidence level.

    Method: statistics.md §8.6 (b), a project convention: the crude-rate counterpart of PHE's
    non-independent-events DSR variance (`R/DSR.R`). With everyone at f = 1 it is §8.1.

    >>> estimate = repeat_event_rate_ratio([20, 10], 10_000, [20, 0], 10_000, [1, 2])
    >>> round(estimate.value, 2), round(estimate.lower, 3)
    (2.0, 1.12)
    """
    level = _level(confidence)
    weights = _numbers("frequencies", frequencies)
    if weights.ndim != 1 or weights.size == 0:
        raise ValueError(
            f"frequencies must be a list of episode frequencies; got {reprlib.repr(frequencies)}"
        )
    _refuse("frequencies", weights, np.isnan(weights), "not missing")
    _at_least_zero("frequencies", weights)
    groups = {}
    for name, people in (("people1", people1), ("people2", people2)):
        counts = _numbers(name, people)
        if counts.ndim == 0 or counts.shape[-1] != weights.size:
            raise ValueError(
                f"{name} must have one entry per frequency ({weights.size}) on its last axis; "
                f"it has shape {counts.shape}"
            )
        _at_least_zero(name, counts)
        counts = np.nan_to_num(counts, nan=0.0)
        # O = Σ f·m_f episodes, and Σ f²·m_f, the sum that replaces O in 1/O (§8.6 b)
        groups[name] = (counts @ weights, counts @ weights**2)
    o1, n1, o2, n2 = _same_shape(
        people1=groups["people1"][0],
        n1=_numbers("n1", n1),
        people2=groups["people2"][0],
        n2=_numbers("n2", n2),
    )
    _more_than_zero("n1", n1)
    _more_than_zero("n2", n2)
    shape = o1.shape
    squares1 = np.broadcast_to(groups["people1"][1], shape)
    squares2 = np.broadcast_to(groups["people2"][1], shape)
    o1, n1, o2, n2, squares1, squares2 = _flat(o1, n1, o2, n2, squares1, squares2)
    with np.errstate(all="ignore"):
        ratio = (o1 / n1) / (o2 / n2)
        variance = squares1 / o1**2 + squares2 / o2**2
    enough = (o1 >= SMALL_COUNT) & (o2 >= SMALL_COUNT)
    if level is None:
        lower = upper = ratio * np.nan
    else:
        standard_error = np.where(enough, np.sqrt(variance), np.nan)
        lower, upper = _log_limits(ratio, standard_error, _z(level))
    method = np.str_("log, variance inflated for repeat events")
    return _ratio_estimate(ratio, lower, upper, method, shape)


def dsr_ratio(
    counts1: Any,
    populations1: Any,
    counts2: Any,
    populations2: Any,
    standard_weights: Mapping[str, float],
    confidence: float | None = 0.95,
    independent_events: bool = True,
    frequencies: Any = None,
    *,
    age_bands: Sequence[str] | None = None,
) -> Estimate:
    """Ratio of two directly standardised rates, DSR₁/DSR₂, with log limits.

    Args:
        counts1, populations1: the group of interest, as for `dsr`.
        counts2, populations2: the reference group, as for `dsr`.
        standard_weights: weight by age band label, e.g. `ESP2013`; both groups are joined to
            it by label.
        confidence: fraction or percentage (see `confidence_level`); default 0.95.
        independent_events, frequencies: as for `dsr`; with False, each DSR's variance is
            PHE's custom_vardsr (§8.6 b).
        age_bands: the labels of the rows of array inputs.

    Returns:
        Estimate with the ratio and (DSR₁/DSR₂)·exp(±z·√(var₁/DSR₁² + var₂/DSR₂²)); method
        "log" (or "log, with variance adjusted for non-independent events"). All NaN when
        either group has fewer than 10 events, whose DSR is not reported (§5, §8.4).

    Raises:
        ValueError: as for `dsr`, naming the group (counts1, populations2, ...).

    Method: statistics.md §8.4, as `popEpi::rate_ratio`. Not the CRAN `dsr` package's `dsrr()`,
    whose code gives a symmetric interval despite its documentation.

    >>> populations = {band: weight * 3 for band, weight in ESP2013.items()}
    >>> twice = {band: 12 for band in ESP2013}
    >>> once = {band: 6 for band in ESP2013}
    >>> round(dsr_ratio(twice, populations, once, populations, ESP2013).value, 6)
    2.0
    """
    level = _level(confidence)
    groups = [
        _dsr_parts(counts, people, standard_weights, independent_events, frequencies, age_bands, s)
        for counts, people, s in ((counts1, populations1, "1"), (counts2, populations2, "2"))
    ]
    ratio, lower, upper = _ratio_of_dsrs(*groups, level)
    return Estimate(float(ratio[0]), float(lower[0]), float(upper[0]), _dsr_ratio_method(groups))


def _dsr_ratio_method(groups: Sequence[_StandardisedParts]) -> str:
    if groups[0].method == "Dobson":
        return "log"
    return "log, with variance adjusted for non-independent events"


def _ratio_of_dsrs(first: _StandardisedParts, second: _StandardisedParts, level: float | None):
    """DSR₁/DSR₂ and its log limits for each pair of groups; NaN where either has fewer than
    10 events (§5, §8.4), and NaN limits without a level."""
    reported = (first.events >= SMALL_COUNT) & (second.events >= SMALL_COUNT)
    with np.errstate(all="ignore"):
        ratio = np.where(reported, first.value / second.value, np.nan)
        if level is None:
            return ratio, np.full(ratio.shape, np.nan), np.full(ratio.shape, np.nan)
        # float_power is libm's pow, as Python's ** on a float: the bits `dsr_ratio` has always
        # given (numpy's ** squares by multiplying, which differs in the last bit now and then)
        standard_error = np.sqrt(
            first.variance / np.float_power(first.value, 2)
            + second.variance / np.float_power(second.value, 2)
        )
    lower, upper = _log_limits(ratio, standard_error, _z(level))
    return ratio, lower, upper


def dsr_ratio_many(
    counts1: Any,
    populations1: Any,
    counts2: Any,
    populations2: Any,
    standard_weights: Mapping[str, float],
    confidence: float | None = 0.95,
    independent_events: bool = True,
    frequencies: Any = None,
    *,
    age_bands: Sequence[str],
) -> Estimate:
    """Ratios of directly standardised rates for many pairs of groups at once: `dsr_ratio` on
    each row, without a Python loop over the pairs.

    Args:
        counts1, populations1: the groups of interest, one row each, as for `dsr_many`.
        counts2, populations2: each row's reference group, as for `dsr_many`.
        standard_weights, confidence, independent_events, frequencies: as for `dsr_ratio`.
        age_bands: the labels of the second axis of all four arrays.

    Returns:
        Estimate whose value, lower and upper are arrays with one entry per row, each equal to
        `dsr_ratio` on that row alone (the same arithmetic); the method as for `dsr_ratio`.

    Raises:
        ValueError: as for `dsr_many`, naming the argument (counts1, populations2, ...).

    >>> populations = [[weight * 3 for weight in ESP2013.values()]]
    >>> twice, once = [[12] * len(ESP2013)], [[6] * len(ESP2013)]
    >>> bands = list(ESP2013)
    >>> dsr_ratio_many(twice, populations, once, populations, ESP2013, age_bands=bands).value
    array([2.])
    """
    level = _level(confidence)
    groups = [
        _many_parts(counts, people, standard_weights, independent_events, frequencies, age_bands, s)
        for counts, people, s in ((counts1, populations1, "1"), (counts2, populations2, "2"))
    ]
    if groups[0].value.shape != groups[1].value.shape:
        raise ValueError(
            "counts1 and counts2 must have one row per pair of groups each: "
            f"{groups[0].value.size} and {groups[1].value.size}"
        )
    ratio, lower, upper = _ratio_of_dsrs(*groups, level)
    return Estimate(ratio, lower, upper, _dsr_ratio_method(groups))


def ratio_of_independent_estimates(
    value1: Any,
    lower1: Any,
    upper1: Any,
    value2: Any,
    lower2: Any,
    upper2: Any,
    confidence: float | None = 0.95,
    published_confidence: float = 0.95,
) -> Estimate:
    """Ratio of two published ratio-scale estimates (rates, ratios) from their intervals.

    Args:
        value1, lower1, upper1: the first estimate and its published limits, all above 0.
        value2, lower2, upper2: the second, e.g. a national figure; independent of the first.
        confidence: level of the returned interval (see `confidence_level`); default 0.95.
        published_confidence: level of the published intervals; default 0.95.
        All scalar or arrays of one length.

    Returns:
        Estimate with value1/value2 and ratio·exp(±z·SE), where SE(ln E) = (ln U − ln L)/(2z_p)
        for each estimate and SE(ln ratio) = √(SE₁² + SE₂²); method "Altman-Bland".

    Raises:
        ValueError: a value or limit ≤ 0, a value outside its limits, arrays of different
            lengths, a bad confidence level.

    Method: statistics.md §8.5, Altman & Bland, BMJ 2003;326:219. z_p is computed from
    `published_confidence` (1.959964 at 95%) where the paper writes 1.96 (§1: never hard-code).
    Valid only for independent estimates.

    >>> estimate = ratio_of_independent_estimates(2.0, 1.5, 2.7, 1.0, 0.9, 1.1)
    >>> round(estimate.value, 2), round(estimate.lower, 3), round(estimate.upper, 3)
    (2.0, 1.466, 2.728)
    """
    level = _level(confidence)
    published = confidence_level(published_confidence)
    if published >= 1:
        raise ValueError(
            f"published_confidence must be below 100%: a 100% interval has no standard error; "
            f"got {published_confidence!r}"
        )
    arrays = {
        name: _numbers(name, value)
        for name, value in (
            ("value1", value1),
            ("lower1", lower1),
            ("upper1", upper1),
            ("value2", value2),
            ("lower2", lower2),
            ("upper2", upper2),
        )
    }
    for name, array in arrays.items():
        _more_than_zero(name, array)
    v1, l1, u1, v2, l2, u2 = _same_shape(**arrays)
    for index, (value, low, high) in enumerate(((v1, l1, u1), (v2, l2, u2)), start=1):
        _refuse(f"lower{index}", low, low > value, f"no more than value{index}")
        _refuse(f"upper{index}", high, high < value, f"no less than value{index}")
    shape = v1.shape
    v1, l1, u1, v2, l2, u2 = _flat(v1, l1, u1, v2, l2, u2)
    z_published = _z(published)
    first = (np.log(u1) - np.log(l1)) / (2 * z_published)
    second = (np.log(u2) - np.log(l2)) / (2 * z_published)
    ratio = v1 / v2
    if level is None:
        lower = upper = ratio * np.nan
    else:
        lower, upper = _log_limits(ratio, np.sqrt(first**2 + second**2), _z(level))
    return _ratio_estimate(ratio, lower, upper, np.str_("Altman-Bland"), shape)


# --- NHS England's MHA standardised rate (§9) -------------------------------------------------

# NHS England's code uses the literal 1.96 (§9): the one place a z is not computed.
NHSE_Z = 1.96
NHSE_METHOD = "NHS England MHA standardisation (normal approximation, 1.96)"


def nhse_standardised_rate(
    counts: Any,
    populations: Any,
    standard_populations: Mapping[str, float],
    multiplier: float = 100_000,
    *,
    strata: Sequence[str] | None = None,
    exclude_from_variance: Iterable[str] = (),
) -> Estimate:
    """NHS England's standardised rate for MHA detentions or CTOs by ethnicity, with its CI.

    Args:
        counts: the ethnic group's episodes by stratum (NHS England: 6 age bands × 2 sexes,
            after its exclusions, §9): a mapping from stratum label, or an array whose rows
            `strata` names. A missing count counts as 0 (NHS England's left join).
        populations: the group's population by stratum, keyed the same way; 0 or more, and
            more than 0 wherever the count is.
        standard_populations: the England population by stratum, over all groups (N_k),
            keyed by stratum label; the strata of counts and populations must be exactly these.
        multiplier: per this many people; default 100,000.
        strata: the labels of the rows of array inputs.
        exclude_from_variance: strata whose terms are left out of the variance. Empty by
            default, as §9 writes it. NHS England's published code drops its 16-17 strata from
            the variance (see docs/methods.md); pass their labels to reproduce a published CI.

    Returns:
        Estimate with SR = Σ r_k·N_k/N × multiplier and SR ∓ CI, where
        CI = 1.96·√(Σ N_k²·r_k(1 − r_k)/n_k)/N × multiplier; method names the method. NaN
        where a population is missing. Round for publication with `nhse_published_value`.

    Raises:
        ValueError: strata that differ from the standard's, negative counts or populations,
            events in a stratum with no population, an unknown label to exclude.

    Method: statistics.md §9; NHS England `MHSDS Code/rates/eth_detentions_sr.py` and
    `Rates/Ethnicity - Detentions Standardisation.sql`. Not Byar's method.

    >>> standard = {"16-64 F": 6000, "16-64 M": 4000}
    >>> estimate = nhse_standardised_rate({"16-64 F": 2, "16-64 M": 6}, {"16-64 F": 1000,
    ...     "16-64 M": 1000}, standard)
    >>> round(estimate.value, 1), round(estimate.upper - estimate.value, 1)
    (360.0, 253.5)
    """
    scale = _positive("multiplier", multiplier)
    labels, standard = _weights("standard_populations", standard_populations, "stratum")
    where = ("stratum", labels)
    joined = {
        "labels": labels,
        "row_labels": strata,
        "kind": "stratum",
        "reference": "standard_populations",
        "row_argument": "strata",
    }
    episodes = _aligned("counts", counts, **joined)
    _at_least_zero("counts", episodes, where)
    episodes = np.nan_to_num(episodes, nan=0.0)
    people = _aligned("populations", populations, **joined)
    _at_least_zero("populations", people, where)
    _refuse(
        "populations",
        people,
        (people == 0) & (episodes > 0),
        "more than 0 where there are events",
        where,
    )
    excluded = list(exclude_from_variance)
    unknown = [label for label in excluded if label not in labels]
    if unknown:
        raise ValueError(
            f"exclude_from_variance must name strata of standard_populations; it has no "
            f"{', '.join(repr(label) for label in unknown)}"
        )
    if np.isnan(people).any():
        return Estimate(math.nan, math.nan, math.nan, NHSE_METHOD)
    total = standard.sum()
    with np.errstate(all="ignore"):
        rates = np.where(people > 0, episodes / people, 0.0)
        terms = np.where(people > 0, standard**2 * rates * (1 - rates) / people, 0.0)
    terms[[labels.index(label) for label in excluded]] = 0.0
    value = float((rates * standard / total).sum() * scale)
    half_width = float(NHSE_Z * math.sqrt(terms.sum()) / total * scale)
    return Estimate(value, value - half_width, value + half_width, NHSE_METHOD)


def nhse_published_value(value: float) -> str:
    """A rate or CI as NHS England publishes it: 1 decimal place; zero or missing as "NULL".

    Rounds half up, as Spark SQL's `round` in NHS England's code (`MHSDS Code/output.py`).

    >>> nhse_published_value(12.25), nhse_published_value(0.04), nhse_published_value(math.nan)
    ('12.3', 'NULL', 'NULL')
    """
    number = float(value)
    if not math.isfinite(number):
        return "NULL"
    rounded = Decimal(repr(number)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return "NULL" if rounded == 0 else str(rounded)


# --- Funnel plots (§10) -----------------------------------------------------------------------

# The two sets of limits: "2s" at p = 0.975 (95% two-sided), "3s" at p = 0.999 (99.8%).
_FUNNEL_TAILS = {"95": 0.025, "99_8": 0.001}
_STATISTICS = ("proportion", "rate")
SIGNIFICANCE_LABELS = (
    "High (0.001)",
    "High (0.025)",
    "Low (0.001)",
    "Low (0.025)",
    "Not significant",
)
DSR_NOT_APPLICABLE = "Not applicable for events less than 10 for dsrs"


@dataclass(frozen=True)
class FunnelLimits:
    """Funnel plot control limits, on the same scale as the values (× multiplier).

    `denominator` holds the denominators the limits are evaluated at; `lower_95`/`upper_95`
    are PHE's "2s" limits and `lower_99_8`/`upper_99_8` its "3s" limits, element by element.
    `baseline` is the pooled average × multiplier.
    """

    denominator: np.ndarray
    baseline: float
    lower_95: np.ndarray
    upper_95: np.ndarray
    lower_99_8: np.ndarray
    upper_99_8: np.ndarray
    statistic: str
    method: str


def _funnel_input(numerators, denominators, statistic, average):
    if statistic not in _STATISTICS:
        raise ValueError(f"statistic must be 'proportion' or 'rate'; got {statistic!r}")
    numerators, denominators = _same_shape(
        numerators=_numbers("numerators", numerators),
        denominators=_numbers("denominators", denominators),
    )
    _at_least_zero("numerators", numerators)
    _more_than_zero("denominators", denominators)
    if statistic == "proportion":
        _not_more_than("numerators", numerators, "denominators", denominators)
    if average is None:
        present = ~(np.isnan(numerators) | np.isnan(denominators))
        if not present.any():
            raise ValueError("numerators and denominators must have a row with both present")
        # the pooled average of the rows with both figures (PHE: Σ numerators / Σ denominators)
        average = float(numerators[present].sum() / denominators[present].sum())
    else:
        average = float(_count_input("average", average))
        if statistic == "proportion" and average > 1:
            raise ValueError(f"average must be a proportion from 0 to 1; got {_show(average)}")
    return numerators, denominators, average


def _proportion_funnel(population, average: float, tail: float, side: str) -> np.ndarray:
    """The proportion whose Wilson limit lies on the average (PHE `sigma_adjustment`)."""
    # Closed form of the quadratic, written as in PHE R/Funnels.R so the two can be compared.
    z2 = special.ndtri(1 - tail) ** 2
    first = average * (population / z2 + 1)
    with np.errstate(all="ignore"):
        adjustment = np.sqrt(
            (-8 * first) ** 2
            - 64
            * (1 / z2 + 1 / population)
            * average
            * (population * (average * (population / z2 + 2) - 1) + z2 * (average - 1))
        )
    last = 1 / z2 + 1 / population
    sign = -1 if side == "low" else 1
    return (first + sign * adjustment / 8) / last / population


def _poisson_count_at(probability: float, expected: np.ndarray) -> np.ndarray:
    """Continuous count a with Q(a, μ) = probability, Q the regularised upper incomplete gamma.

    Q(k + 1, μ) is P(X ≤ k) for X ~ Poisson(μ): this inverts the cumulative Poisson in k, as
    PHE's `poisson_funnel` does by bisection for whole k. Returns a (so k = a − 1).
    """
    counts = special.pdtrik(probability, expected) + 1  # pdtrik finds k ≥ 0
    # Where Q(1, μ) = e^(−μ) is above the probability the answer has a < 1, and pdtrik stops at
    # k = 0: bisect Q(a, μ) = probability on (0, 1] there.
    below = special.gammaincc(1.0, expected) > probability
    if np.any(below):
        low = np.zeros(int(below.sum()))
        high = np.ones(low.shape)
        mu = expected[below]
        for _ in range(60):  # bisection to double precision on (0, 1]
            middle = (low + high) / 2
            too_high = special.gammaincc(middle, mu) > probability
            high = np.where(too_high, middle, high)
            low = np.where(too_high, low, middle)
        counts[below] = np.where(mu > 0, (low + high) / 2, 0.0)  # no events expected: none
    return counts


def _rate_funnel(denominator, average: float, tail: float, side: str) -> np.ndarray:
    """The rate whose exact Poisson limit lies on the average, at this denominator."""
    expected = average * denominator
    if side == "low":  # the count whose upper limit is the expected count: P(X ≤ k | μ) = tail
        events = special.pdtrik(tail, expected)
    else:  # the count whose lower limit is the expected count: P(X ≥ k | μ) = tail
        events = _poisson_count_at(1 - tail, expected)
    return events / denominator


def funnel_limits(
    numerators: Any,
    denominators: Any,
    statistic: str = "proportion",
    multiplier: float | None = None,
    at: Any = None,
    *,
    average: float | None = None,
) -> FunnelLimits:
    """95% and 99.8% funnel plot limits around the pooled average, for proportions or rates.

    Args:
        numerators: cases or events of each unit (team, ward, trust); 0 or more.
        denominators: each unit's sample size (proportions) or population / person-time
            (rates); more than 0. For a DSR, pass the derived denominator
            numerator / DSR × multiplier, as PHE does.
        statistic: "proportion" (Wilson-based limits) or "rate" (exact Poisson); default
            "proportion".
        multiplier: scale of the limits; default 1 for proportions, 100,000 for rates.
        at: the denominators to evaluate the limits at, e.g. np.geomspace(10, 10_000, 100)
            to draw the funnel; default the units' own denominators.
        average: the baseline on the unit scale (e.g. a national proportion) instead of the
            pooled Σ numerators / Σ denominators of the rows with both present.

    Returns:
        FunnelLimits. Proportions: the proportion whose Wilson limit at 95% (99.8%) lies on
        the average, lower floored at 0 and upper capped at 1 × multiplier. Rates: the rate
        whose exact Poisson limit lies on the average, lower floored at 0.

    Raises:
        ValueError: an unknown statistic, negative numerators, denominators ≤ 0, numerators
            above denominators for proportions, arrays of different lengths, `at` ≤ 0.

    Method: statistics.md §10; PHE `R/Funnels.R` (`calculate_funnel_limits`) with
    `R/utils.R` (`sigma_adjustment`, `poisson_funnel`). PHE caps the upper proportion limit
    at 100 whatever the multiplier, and gives rate limits only at whole event counts; here
    the cap is 1 × multiplier and rate limits are exact at any denominator (docs/methods.md).

    >>> limits = funnel_limits([40, 55], [100, 100], at=[100], multiplier=100)
    >>> round(limits.baseline, 1), round(float(limits.lower_95[0]), 2)
    (47.5, 37.71)
    """
    numerators, denominators, average = _funnel_input(numerators, denominators, statistic, average)
    if multiplier is None:
        multiplier = 1 if statistic == "proportion" else 100_000
    scale = _positive("multiplier", multiplier)
    points = denominators if at is None else _numbers("at", at)
    _more_than_zero("at", points)
    points = np.atleast_1d(points).astype(float)
    limits = {}
    for name, tail in _FUNNEL_TAILS.items():
        if statistic == "proportion":
            low = _proportion_funnel(points, average, tail, "low")
            high = _proportion_funnel(points, average, tail, "high")
            limits[name] = (np.maximum(low, 0.0) * scale, np.minimum(high, 1.0) * scale)
        else:
            low = _rate_funnel(points, average, tail, "low")
            high = _rate_funnel(points, average, tail, "high")
            limits[name] = (np.maximum(low, 0.0) * scale, high * scale)
    return FunnelLimits(
        denominator=points,
        baseline=average * scale,
        lower_95=limits["95"][0],
        upper_95=limits["95"][1],
        lower_99_8=limits["99_8"][0],
        upper_99_8=limits["99_8"][1],
        statistic=statistic,
        method="Wilson" if statistic == "proportion" else "Poisson",
    )


def funnel_significance(
    numerators: Any,
    denominators: Any,
    statistic: str = "proportion",
    *,
    average: float | None = None,
    directly_standardised: bool = False,
) -> Any:
    """Where each unit sits on the funnel: "High (0.001)" … "Not significant".

    Args:
        numerators, denominators, statistic, average: as for `funnel_limits`.
        directly_standardised: for rates, True when the rows are DSRs (numerators their events,
            denominators derived as numerator / DSR × multiplier): rows with fewer than 10
            events are labelled "Not applicable for events less than 10 for dsrs".

    Returns:
        A label per unit, a string for scalar input: "High (0.001)" above the 99.8% limit,
        else "High (0.025)" above the 95% limit, "Low (0.001)", "Low (0.025)" the same way
        below, else "Not significant"; "" where a numerator or denominator is missing.

    Raises:
        ValueError: as for `funnel_limits`.

    Method: statistics.md §10; PHE `R/Funnels.R` (`assign_funnel_significance`). Proportions
    are compared with the Wilson-based limits; rates compare the average with the unit's own
    limits, exact below 10 events and Byar's from 10 (`funnel_ratio_significance`).

    >>> funnel_significance([10, 50, 90], [100, 100, 100]).tolist()
    ['Low (0.001)', 'Not significant', 'High (0.001)']
    """
    if directly_standardised and statistic != "rate":
        raise ValueError("directly_standardised applies to rates only; statistic is 'proportion'")
    numerators, denominators, average = _funnel_input(numerators, denominators, statistic, average)
    labels = np.full(numerators.shape, "Not significant", dtype=object)
    # From the weaker to the stronger signal, so a point beyond both limits ends at 0.001.
    for name, level in (("95", 0.95), ("99_8", 0.998)):
        tail = _FUNNEL_TAILS[name]
        with np.errstate(all="ignore"):
            if statistic == "proportion":
                observed = numerators / denominators
                low = observed < _proportion_funnel(denominators, average, tail, "low")
                high = observed > _proportion_funnel(denominators, average, tail, "high")
            else:  # the average against the unit's own limits (PHE funnel_ratio_significance)
                lower, upper, _ = _poisson_limits(numerators, level)
                low = average > upper / denominators
                high = average < lower / denominators
        labels[high] = f"High ({tail:g})"
        labels[low] = f"Low ({tail:g})"
    missing = np.isnan(numerators) | np.isnan(denominators)
    if directly_standardised:
        few = numerators < SMALL_COUNT
        labels[few] = DSR_NOT_APPLICABLE
        missing &= ~few
    labels[missing] = NO_METHOD
    labels = labels.astype(str)
    return str(labels[()]) if labels.ndim == 0 else labels
