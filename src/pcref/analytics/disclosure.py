"""Small-number suppression and rounding for public outputs (disclosure-control.md §2, §3)."""

# Sources are sections of reference/disclosure-control.md, cited as §n and rules D1-D6, and the
# NHS England code each rule comes from: the MHA annual statistics (MHA) output.py, the Mental
# Health Bulletin (Bulletin) outputs_and_suppression.py and the restrictive-interventions
# notebook "Restraints_Suppression". Standard library only: this module never imports Django.
#
# Order of operations (§3): work out rates, intervals, ratios and SPC limits from unrounded,
# unsuppressed counts first; these functions only decide what is shown.

import math
import numbers
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

# Record this with every published output (§3, "Audit"); change it when any rule here changes.
RULE_SET_VERSION = "pcref-disclosure-v2 (D1-D6, secondary suppression, the rest of a proportion)"

SUPPRESSED = "*"
COUNT_THRESHOLD = 5  # D1, D3: below 5 is suppressed
ECDS_THRESHOLD = 7  # D5: ECDS counts 1-6 are suppressed
ROUNDING_BASE = 5  # D2
BED_DAYS_THRESHOLD = 100  # D4

Shown = int | float | str | None


# --- Checks shared by every rule -------------------------------------------------------------


def _is_missing(value: object) -> bool:
    """None, NaN, or a pandas NA / NaT: missing in gives missing out (statistics.md §1)."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isnan(value)


def _checked_count(value: object, name: str) -> float | None:
    """A count as a float, None if missing; refuses non-numbers, negatives and infinity."""
    if _is_missing(value):
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number; got {value!r} (a {type(value).__name__})")
    if value < 0:
        raise ValueError(f"{name} must be 0 or more; got {value!r}")
    if math.isinf(value):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return float(value)


def _checked_value(value: object, name: str) -> float | None:
    """A derived figure (rate, ratio, limit) as a float, None if missing; any sign allowed."""
    if _is_missing(value):
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number; got {value!r} (a {type(value).__name__})")
    if math.isinf(value):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return float(value)


def _checked_flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return value


def _checked_decimals(decimals: object) -> int | None:
    if decimals is None:
        return None
    if isinstance(decimals, bool) or not isinstance(decimals, numbers.Integral) or decimals < 0:
        raise ValueError(f"decimals must be None or a whole number of 0 or more; got {decimals!r}")
    return int(decimals)


def _same_lengths(**sequences: Sequence) -> None:
    lengths = {name: len(values) for name, values in sequences.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name} has {length}" for name, length in lengths.items())
        raise ValueError(f"the sequences must have the same length: {shown}")


# --- Rounding ------------------------------------------------------------------------------------


def round_to_nearest_five(count: float) -> int:
    """A count rounded to the nearest 5, halves away from zero (D2).

    NHS England's MHA code rounds with Spark SQL `ROUND(count/5.0, 0)*5` (MHA output.py), which
    rounds halves up. Whole counts never meet a half (n/5 ends in .0, .2, .4, .6 or .8), so
    this matters only for fractional counts: 7.5 → 10 and 12.5 → 15, where Python's `round`
    would give 10 and 10.

    Args:
        count: a finite number, 0 or more.

    Returns:
        The nearest multiple of 5 as an int.

    Raises:
        TypeError, ValueError: naming the value, for a non-number, a negative or infinity.

    >>> [round_to_nearest_five(n) for n in (5, 7, 8, 12, 13, 12.5)]
    [5, 5, 10, 10, 15, 15]
    """
    checked = _checked_count(count, "count")
    if checked is None:
        raise ValueError(f"count must be a number to round; got {count!r}")
    fives = (Decimal(repr(checked)) / ROUNDING_BASE).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(fives) * ROUNDING_BASE


def _round_half_up(value: float, decimals: int | None) -> float:
    """`value` to `decimals` places, halves away from zero as Spark's ROUND; None: unrounded."""
    if decimals is None:
        return value
    step = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP))


# --- Counts: D1, D2, D5, D6 ------------------------------------------------------------------


def suppress_count(count: float | None, *, national: bool = False, structural_zero: bool = False):
    """What to publish for a count: "*" below 5 (zero too), else the nearest 5 (D1, D2).

    NHS England's MHSDS rule in the MHA annual statistics (MHA output.py: `MHSDS_COUNT < 5 →
    '*'`, else `ROUND(count/5.0, 0)*5`), also used by the Bulletin and the restrictive
    interventions notebook (§1.1-1.3). Halves round up (see `round_to_nearest_five`).

    Args:
        count: a number of people or events, 0 or more; None or NaN when missing.
        national: True for a national comparator figure (England), shown exactly as published
            (D6). A trust's own figures are never national. Default False.
        structural_zero: True only when the trust has decided that the whole table is
            structurally zero (D1), so 0 is shown as 0. Default False.

    Returns:
        "*", the count rounded to the nearest 5 (an int), the count as given when `national`,
        or None when the count is missing. NHS England shows a missing sub-national count as
        "*"; we return None so the caller can say "no data" rather than "small number".

    Raises:
        TypeError: naming the value, for a non-number (bools included) or a non-bool switch.
        ValueError: naming the value, for a negative or infinite count.

    >>> [suppress_count(n) for n in (0, 4, 5, 7, 8, 12, 13, None)]
    ['*', '*', 5, 5, 10, 10, 15, None]
    >>> suppress_count(3, national=True)
    3
    """
    _checked_flag(national, "national")
    _checked_flag(structural_zero, "structural_zero")
    checked = _checked_count(count, "count")
    if checked is None:
        return None
    if national:
        return count
    if structural_zero and checked == 0:
        return 0
    if checked < COUNT_THRESHOLD:
        return SUPPRESSED
    return round_to_nearest_five(checked)


def suppress_ecds_count(count: float | None, *, national: bool = False):
    """What to publish for a count from ECDS (A&E) data: 0 as 0, 1-6 "*", else nearest 5 (D5).

    MHA output.py: `Acute_Count = 0 → 0`, `Acute_Count < 7 → '*'`, else `ROUND(count/5.0, 0)*5`.

    Args:
        count: an ECDS count, 0 or more; None or NaN when missing.
        national: True for a national comparator figure, shown as given (D6). Default False.

    Returns:
        0, "*", the count rounded to the nearest 5, the count as given when `national`, or None.

    Raises:
        TypeError, ValueError: as for `suppress_count`.

    >>> [suppress_ecds_count(n) for n in (0, 1, 6, 7, 8, 13)]
    [0, '*', '*', 5, 10, 15]
    """
    _checked_flag(national, "national")
    checked = _checked_count(count, "count")
    if checked is None:
        return None
    if national:
        return count
    if checked == 0:
        return 0
    if checked < ECDS_THRESHOLD:
        return SUPPRESSED
    return round_to_nearest_five(checked)


def suppress_combined_count(
    mhsds_count: float | None, ecds_count: float | None, *, national: bool = False
):
    """What to publish for a total of an MHSDS count and an ECDS count (D1 and D5 together).

    The checks run in MHA output.py's order, on total = MHSDS + ECDS: 0 if the total and the
    ECDS part are both 0; "*" if the total and the ECDS part are both below 7; "*" if the total
    and the MHSDS part are both below 5; "*" for any other total of 0; otherwise the total to
    the nearest 5. A part given as None or NaN is absent from that source (MHA's NULL), and the
    checks that mention it do not fire: MHSDS alone follows D1, ECDS alone follows D5.

    Args:
        mhsds_count: the MHSDS part, 0 or more, or None when the figure has none.
        ecds_count: the ECDS part, 0 or more, or None when the figure has none.
        national: True for a national comparator figure: the total as given (D6).

    Returns:
        0, "*", the total rounded to the nearest 5, the total when `national`, or None when
        both parts are missing.

    Raises:
        TypeError, ValueError: as for `suppress_count`, naming the part.

    >>> [suppress_combined_count(*parts) for parts in ((6, 0), (6, None), (4, 9))]
    ['*', 5, 15]
    """
    _checked_flag(national, "national")
    mhsds = _checked_count(mhsds_count, "mhsds_count")
    ecds = _checked_count(ecds_count, "ecds_count")
    if mhsds is None and ecds is None:
        return None
    total = (mhsds or 0.0) + (ecds or 0.0)
    if national:
        return total
    if total == 0 and ecds == 0:
        return 0
    if ecds is not None and total < ECDS_THRESHOLD and ecds < ECDS_THRESHOLD:
        return SUPPRESSED
    if mhsds is not None and total < COUNT_THRESHOLD and mhsds < COUNT_THRESHOLD:
        return SUPPRESSED
    if total == 0:
        return SUPPRESSED
    return round_to_nearest_five(total)


# --- Derived figures: D3, D4 and §3 ------------------------------------------------------------


def _derived(value, blocked: bool | None, national: bool, decimals: int | None, name: str):
    """A derived figure, or each of a tuple of them (value, lower, upper), suppressed together."""
    if isinstance(value, (list, tuple)):
        return tuple(
            _derived(item, blocked, national, decimals, f"{name}[{i}]")
            for i, item in enumerate(value)
        )
    checked = _checked_value(value, name)
    if checked is None or blocked is None:
        return None
    if national:
        return value
    if blocked:
        return SUPPRESSED
    return _round_half_up(checked, decimals)


def suppress_derived(
    value,
    counts: Iterable[float | None],
    *,
    national: bool = False,
    decimals: int | None = None,
):
    """A figure derived from counts, hidden when any of them is below 5 (§3, D1, D3).

    "When a cell is suppressed, also suppress every figure derived from it": a rate, a
    percentage, a ratio and their confidence limits are all shown or all hidden.

    Args:
        value: the figure, or a tuple or list of figures suppressed together, e.g.
            (rate, lower, upper). Any sign; None or NaN when missing.
        counts: every count the figure was worked out from, unrounded; any below 5 hides it.
        national: True for a national comparator figure, shown as given (D6). Default False.
        decimals: round to this many places, halves away from zero; None (default) leaves the
            figure unrounded.

    Returns:
        "*", the (rounded) figure, or None when the figure or any count is missing; a tuple of
        these when `value` is a tuple or list.

    Raises:
        TypeError, ValueError: naming the argument and value, for a non-number, a negative or
            infinite count, an infinite figure, or a bad `decimals`.

    >>> suppress_derived((2.31, 1.52, 3.5), [12, 4, 30, 900], decimals=1)
    ('*', '*', '*')
    >>> suppress_derived((2.31, 1.52, 3.5), [12, 40, 30, 900], decimals=1)
    (2.3, 1.5, 3.5)
    """
    _checked_flag(national, "national")
    places = _checked_decimals(decimals)
    checked = [_checked_count(count, f"counts[{i}]") for i, count in enumerate(counts)]
    if not checked:
        raise ValueError("counts must name at least one count the figure was worked out from")
    blocked = None if None in checked else any(count < COUNT_THRESHOLD for count in checked)
    return _derived(value, blocked, national, places, "value")


def suppress_rate(
    numerator: float | None,
    denominator: float | None,
    value,
    *,
    national: bool = False,
    decimals: int | None = 0,
):
    """A rate or percentage: "*" when its numerator or denominator is below 5 (D3).

    The Mental Health Bulletin rule (Bulletin outputs_and_suppression.py, §1.2): derived rates
    and percentages are suppressed when the count they are built from is below 5, and are
    otherwise rounded to a whole number. Pass the limits with the value to hide them together.

    Args:
        numerator: the unrounded count on top, 0 or more; None or NaN when missing.
        denominator: the unrounded count or population below, 0 or more; None or NaN if missing.
        value: the rate as worked out from the unrounded counts, or a tuple (rate, lower,
            upper); None or NaN when missing.
        national: True for a national comparator figure, shown as given (D6). Default False.
        decimals: places to round to, halves away from zero; default 0 (the Bulletin's whole
            numbers); None leaves it unrounded.

    Returns:
        "*", the rounded value (a float), the value as given when `national`, or None when
        anything is missing; a tuple of these for a tuple `value`.

    Raises:
        TypeError, ValueError: naming the argument and value, as for `suppress_derived`.

    >>> suppress_rate(4, 120, 3.3), suppress_rate(5, 120, 4.16667, decimals=1)
    ('*', 4.2)
    """
    _checked_flag(national, "national")
    places = _checked_decimals(decimals)
    top = _checked_count(numerator, "numerator")
    bottom = _checked_count(denominator, "denominator")
    blocked = None if top is None or bottom is None else min(top, bottom) < COUNT_THRESHOLD
    return _derived(value, blocked, national, places, "value")


def suppress_proportion(
    part: float | None,
    whole: float | None,
    value,
    *,
    national: bool = False,
    decimals: int | None = 0,
):
    """A proportion of a whole (records with an ethnic group of all records, inpatients
    restrained of all inpatients): "*" when the part, the whole or the rest is below 5.

    D3 hides a rate whose numerator or denominator is below 5. A proportion has a third count
    in it, the rest (whole − part): 909.1 per 1,000 of 11 inpatients says that 10 were
    restrained and 1 was not, and 100% says that none was not. The rest is a count D1 would
    hide, recovered by subtraction, so it is hidden here too (§3, secondary suppression).

    Args:
        part: the unrounded count of the part, 0 or more; None or NaN when missing.
        whole: the unrounded count of the whole, 0 or more; None or NaN when missing.
        value: the proportion as worked out from the unrounded counts (any multiplier), or a
            tuple (value, lower, upper); None or NaN when missing.
        national: True for a national comparator figure, shown as given (D6). Default False.
        decimals: places to round to, halves away from zero; default 0; None: unrounded.

    Returns:
        As `suppress_rate`.

    Raises:
        TypeError, ValueError: naming the argument and value, as for `suppress_derived`.

    >>> suppress_proportion(10, 11, 909.1), suppress_proportion(10, 15, 666.7)
    ('*', 667.0)
    >>> suppress_proportion(40, 40, 100.0), suppress_proportion(4, 400, 1.0)
    ('*', '*')
    """
    _checked_flag(national, "national")
    places = _checked_decimals(decimals)
    top = _checked_count(part, "part")
    bottom = _checked_count(whole, "whole")
    if top is None or bottom is None:
        blocked = None
    else:
        blocked = min(top, bottom, bottom - top) < COUNT_THRESHOLD
    return _derived(value, blocked, national, places, "value")


def suppress_restraint_rate(
    people: float | None,
    interventions: float | None,
    bed_days: float | None,
    value,
    *,
    national: bool = False,
    decimals: int | None = 0,
):
    """Restrictive interventions per occupied bed days: "*" below 100 bed days (D4).

    NHS England's "Restraints_Suppression" notebook (§1.3) suppresses MHS96 (interventions per
    1,000 occupied bed days) when MHS76 (people) < 5, MHS77 (interventions) < 5 or bed days
    < 100, and otherwise rounds it to a whole number. That notebook has no England exception;
    D6 makes one for national comparators, which `national=True` applies.

    Args:
        people: people subject to restrictive intervention (MHS76), 0 or more.
        interventions: restrictive interventions (MHS77), 0 or more.
        bed_days: occupied bed days, 0 or more.
        value: the rate as worked out from the unrounded counts, or a tuple (rate, lower, upper).
        national: True for a national comparator figure, shown as given (D6). Default False.
        decimals: places to round to; default 0 (the notebook's whole numbers); None: unrounded.

    Returns:
        "*", the rounded value, the value as given when `national`, or None when anything is
        missing; a tuple for a tuple `value`.

    Raises:
        TypeError, ValueError: naming the argument and value, as for `suppress_derived`.

    >>> suppress_restraint_rate(12, 40, 99, 404.0), suppress_restraint_rate(12, 40, 100, 400.0)
    ('*', 400.0)
    """
    _checked_flag(national, "national")
    places = _checked_decimals(decimals)
    checked = [
        _checked_count(people, "people"),
        _checked_count(interventions, "interventions"),
        _checked_count(bed_days, "bed_days"),
    ]
    if None in checked:
        blocked = None
    else:
        blocked = (
            checked[0] < COUNT_THRESHOLD
            or checked[1] < COUNT_THRESHOLD
            or checked[2] < BED_DAYS_THRESHOLD
        )
    return _derived(value, blocked, national, places, "value")


def suppress_rate_ratio(
    numerator: float | None,
    denominator: float | None,
    reference_numerator: float | None,
    reference_denominator: float | None,
    value,
    *,
    national: bool = False,
    decimals: int | None = None,
):
    """A ratio of two rates (e.g. Black vs White): "*" when any of its four counts is below 5 (§3).

    Args:
        numerator, denominator: the group's unrounded counts, 0 or more.
        reference_numerator, reference_denominator: the comparison group's, 0 or more.
        value: the ratio, or a tuple (ratio, lower, upper).
        national: True for a national comparator figure, shown as given (D6). Default False.
        decimals: places to round to; None (default) leaves it unrounded, as NHS England sets no
            rounding for ratios.

    Returns:
        "*", the (rounded) ratio, or None when anything is missing; a tuple for a tuple `value`.

    Raises:
        TypeError, ValueError: naming the argument and value, as for `suppress_derived`.

    >>> suppress_rate_ratio(40, 1000, 4, 1000, (10.0, 3.6, 27.9))
    ('*', '*', '*')
    """
    _checked_flag(national, "national")
    places = _checked_decimals(decimals)
    named = {
        "numerator": numerator,
        "denominator": denominator,
        "reference_numerator": reference_numerator,
        "reference_denominator": reference_denominator,
    }
    checked = [_checked_count(count, name) for name, count in named.items()]
    blocked = None if None in checked else min(checked) < COUNT_THRESHOLD
    return _derived(value, blocked, national, places, "value")


# --- Lists and arrays ------------------------------------------------------------------------


def suppress_counts(counts: Iterable[float | None], *, national: bool = False) -> list[Shown]:
    """`suppress_count` for each count in a list or array, in order.

    Raises:
        TypeError, ValueError: naming the position and value of the first bad count.

    >>> suppress_counts([0, 4, 5, 12, None, float("nan")])
    ['*', '*', 5, 10, None, None]
    """
    results = []
    for position, count in enumerate(counts):
        try:
            results.append(suppress_count(count, national=national))
        except (TypeError, ValueError) as error:
            raise type(error)(f"counts[{position}]: {error}") from None
    return results


def suppress_rates(
    numerators: Sequence[float | None],
    denominators: Sequence[float | None],
    values: Sequence,
    *,
    national: bool = False,
    decimals: int | None = 0,
) -> list[Shown | tuple]:
    """`suppress_rate` for each row of three equal-length lists or arrays, in order.

    Raises:
        ValueError: when the lengths differ, naming them.
        TypeError, ValueError: naming the position and value of the first bad entry.

    >>> suppress_rates([4, 5, None], [100, 100, 100], [4.0, 5.0, 6.0])
    ['*', 5.0, None]
    """
    numerators, denominators, values = list(numerators), list(denominators), list(values)
    _same_lengths(numerators=numerators, denominators=denominators, values=values)
    results = []
    for position, row in enumerate(zip(numerators, denominators, values, strict=True)):
        try:
            results.append(suppress_rate(*row, national=national, decimals=decimals))
        except (TypeError, ValueError) as error:
            raise type(error)(f"row {position}: {error}") from None
    return results


def hide_suppressed_points(
    values: Sequence,
    numerators: Sequence[float | None],
    denominators: Sequence[float | None] | None = None,
    *,
    national: bool = False,
) -> list[float | None]:
    """Chart points with suppressed ones hidden: None where a count is below 5 or missing (§3).

    "A point whose count is suppressed is not plotted, and its value is not exposed in tooltips
    or in the page's data." Values are not rounded: a chart plots the figure itself. Limits
    (e.g. SPC) stay worked out from all the unsuppressed points (statistics.md §12).

    Args:
        values: the plotted figures, one per point.
        numerators: the count behind each point (the numerator of a rate).
        denominators: the denominator behind each point, or None for plain counts.
        national: True for national comparator points, all shown (D6).

    Returns:
        A list of floats, with None for each point that must not be shown.

    Raises:
        ValueError: when the lengths differ; TypeError, ValueError naming a bad entry.

    >>> hide_suppressed_points([2.5, 0.4, 3.1], [25, 4, 31], [1000, 1000, 1000])
    [2.5, None, 3.1]
    """
    values, numerators = list(values), list(numerators)
    bottoms = [COUNT_THRESHOLD] * len(numerators) if denominators is None else list(denominators)
    _same_lengths(values=values, numerators=numerators, denominators=bottoms)
    shown = []
    for position, (value, top, bottom) in enumerate(zip(values, numerators, bottoms, strict=True)):
        try:
            result = suppress_rate(top, bottom, value, national=national, decimals=None)
        except (TypeError, ValueError) as error:
            raise type(error)(f"point {position}: {error}") from None
        shown.append(None if result in (None, SUPPRESSED) else float(result))
    return shown


# --- Secondary suppression (§3) ----------------------------------------------------------------


def suppress_table_row(
    counts: Sequence[float | None],
    *,
    total: float | None = None,
    national: bool = False,
) -> tuple[list[Shown], Shown]:
    """A row of counts and its total, safe against recovering a hidden cell by subtraction (§3).

    Each cell and the total get D1 and D2 (`suppress_count`). If that hides exactly one cell,
    the smallest other shown cell (the first, on a tie) is hidden too, so no "*" can be worked
    out as total minus the rest. NHS England's rules have no such step; §3 asks for one.

    Args:
        counts: the row's unrounded cells, each 0 or more; None or NaN when missing (shown as
            None and left out of the total).
        total: the row's unrounded total; None (default) for the sum of the cells. The total is
            always rounded, never shown exactly.
        national: True for a national comparator row, shown as given (D6). Default False.

    Returns:
        (cells, total) as they may be published.

    Raises:
        TypeError, ValueError: naming the position and value of a bad cell, or a bad total.

    >>> suppress_table_row([3, 40, 12, 57])
    (['*', 40, '*', 55], 110)
    """
    _checked_flag(national, "national")
    counts = list(counts)
    cells = suppress_counts(counts, national=national)
    present = [
        (count, position) for position, count in enumerate(counts) if cells[position] is not None
    ]
    if total is None and present:
        total = sum(count for count, _ in present)
    try:
        shown_total = suppress_count(total, national=national)
    except (TypeError, ValueError) as error:
        raise type(error)(f"total: {error}") from None
    if national:
        return cells, shown_total
    hidden = [position for _, position in present if cells[position] == SUPPRESSED]
    if len(hidden) == 1:
        candidates = [(count, position) for count, position in present if position != hidden[0]]
        if candidates:
            _, position = min(candidates)
            cells[position] = SUPPRESSED
    return cells, shown_total
