"""Making Data Count XmR charts: limits, special-cause rules and assurance (statistics.md §11)."""

# Sources are sections of reference/statistics.md, cited as §11.n, and the NHSRplotthedots (PTD)
# R files they describe: limits in R/ptd_spc_standard.R, rules in R/ptd_calculate_point_type.R,
# assurance in R/ptd_calculate_assurance_type.R, the short-group warning in
# R/ptd_add_short_group_warnings.R, options in R/ptd_spc_options.R and icons in R/geom_ptd_icon.R.
# Where we differ from PTD the comment says so; docs/methods.md §13–14 lists every case.
# numpy only: this module never imports Django.

import math
import numbers
import reprlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

# Constants exactly as PTD writes them (R/ptd_spc_standard.R), not recomputed from d2 = 1.128.
LIMIT_MULTIPLIER = 2.66
NEAR_LIMIT_MULTIPLIER = 2 * LIMIT_MULTIPLIER / 3  # 1.7733…, two thirds of the way to a limit
OUTLIER_SCREEN_MULTIPLIER = 3.267
RUN_LENGTH = 7  # trend and shift rules both use 7 points (§11.3)
MINIMUM_FIX_AFTER_N_POINTS = 12  # PTD refuses fewer (R/ptd_spc_options.R)
SHORT_GROUP_THRESHOLD = 13  # PTD's option ptd_spc.warning_threshold defaults to 13 (§11.7)

IMPROVEMENT_DIRECTIONS = ("increase", "decrease", "neutral")
_DIRECTION_SIGN = {"increase": 1, "decrease": -1, "neutral": 0}

SPECIAL_CAUSES = ("improvement", "concern", "neutral_high", "neutral_low")
RULES = ("outside_limits", "trend", "two_of_three", "shift")
ASSURANCES = ("consistent pass", "consistent fail", "inconsistent")
COMMON_CAUSE_LABEL = "Common Cause"


def _is_real(value: object) -> bool:
    """A real number that is not a bool (True is an int in Python and numpy)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _is_integer(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class XmROptions:
    """The options of an XmR chart, checked once when built (PTD R/ptd_spc_options.R).

    Build one with a metric definition to catch a bad option before any data arrives; `xmr`
    builds one from its keyword arguments. Messages name the argument and the value given.

    Attributes:
        improvement: which way is better: "increase" (default), "decrease" or "neutral".
        screen_outliers: drop moving ranges of at least 3.267 × their average before the limits
            are worked out (§11.2); default True, as in PTD. False reproduces the NHS England
            Making Data Count Excel tool.
        target: the value to be assured against, in the units of the series; None (default) for
            no target.
        rebase_at: 0-based positions where a new rebase group starts; () (default) for one
            group. Held sorted and without repeats. Positions are checked against the series
            length by `xmr`.
        fix_after_n_points: compute each group's mean and limits from its first N points only;
            None (default) uses every point. At least 12 when set.
        short_group_threshold: a group with fewer points than this has trial limits and a
            warning (§11.7); default 13, PTD's default. 0 switches the warning off.

    Raises:
        ValueError: naming the argument and the value, for any option outside the above.

    >>> XmROptions(improvement="decrease", rebase_at=[24, 12]).rebase_at
    (12, 24)
    >>> XmROptions(improvement="up")
    Traceback (most recent call last):
    ...
    ValueError: improvement must be "increase", "decrease" or "neutral"; got 'up'
    """

    improvement: str = "increase"
    screen_outliers: bool = True
    target: float | None = None
    rebase_at: tuple[int, ...] = ()
    fix_after_n_points: int | None = None
    short_group_threshold: int = SHORT_GROUP_THRESHOLD

    def __post_init__(self) -> None:
        if not isinstance(self.improvement, str) or self.improvement not in _DIRECTION_SIGN:
            raise ValueError(
                f'improvement must be "increase", "decrease" or "neutral"; got {self.improvement!r}'
            )
        if not isinstance(self.screen_outliers, (bool, np.bool_)):
            raise ValueError(
                f"screen_outliers must be True or False; got {self.screen_outliers!r} "
                f"(a {type(self.screen_outliers).__name__})"
            )
        object.__setattr__(self, "screen_outliers", bool(self.screen_outliers))
        if self.target is not None:
            if not _is_real(self.target) or not math.isfinite(self.target):
                raise ValueError(f"target must be a finite number or None; got {self.target!r}")
            object.__setattr__(self, "target", float(self.target))
        object.__setattr__(self, "rebase_at", _checked_rebase_positions(self.rebase_at))
        if self.fix_after_n_points is not None and (
            not _is_integer(self.fix_after_n_points)
            or self.fix_after_n_points < MINIMUM_FIX_AFTER_N_POINTS
        ):
            raise ValueError(
                "fix_after_n_points must be None or a whole number of at least "
                f"{MINIMUM_FIX_AFTER_N_POINTS}; got {self.fix_after_n_points!r}"
            )
        if self.fix_after_n_points is not None:
            object.__setattr__(self, "fix_after_n_points", int(self.fix_after_n_points))
        if not _is_integer(self.short_group_threshold) or self.short_group_threshold < 0:
            raise ValueError(
                "short_group_threshold must be a whole number of 0 or more; "
                f"got {self.short_group_threshold!r}"
            )
        object.__setattr__(self, "short_group_threshold", int(self.short_group_threshold))


def _checked_rebase_positions(rebase_at: object) -> tuple[int, ...]:
    if isinstance(rebase_at, (str, bytes)) or not isinstance(rebase_at, Iterable):
        raise ValueError(
            f"rebase_at must be a sequence of 0-based positions, e.g. (12,); got {rebase_at!r}"
        )
    positions = list(rebase_at)
    for position in positions:
        if not _is_integer(position) or position < 1:
            raise ValueError(
                "rebase_at positions must be whole numbers of at least 1 (the first group "
                f"always starts at position 0); got {position!r} in rebase_at={rebase_at!r}"
            )
    return tuple(sorted({int(position) for position in positions}))


@dataclass(frozen=True, eq=False)
class XmRChart:
    """An XmR chart: one entry per point in each array or tuple, plus chart-level results.

    Per point (numpy arrays are read-only; tuples hold text or None):
        values: the series as floats.
        mean, lower, upper: the centre line and process limits of the point's group; lower and
            upper are NaN where a group has no variation to draw limits from (§11.8).
        near_lower, near_upper: two thirds of the way from the mean to each limit.
        moving_range: |y_t − y_{t−1}| within the group; NaN at the start of each group.
        moving_range_used: True where the moving range entered the average moving range (not
            the first point, within `fix_after_n_points`, not screened out).
        average_moving_range: the group's average moving range after screening.
        rebase_group: 0 for the first group, then 1, 2, … after each rebase (PTD's numbering).
        trial_limits: True in a group shorter than `short_group_threshold` (§11.7).
        special_cause: None (common cause), "improvement", "concern", "neutral_high" or
            "neutral_low" (§11.4).
        rule: the rule that fired: None, "outside_limits", "trend", "two_of_three" or "shift".
        special_cause_label: PTD's label, e.g. "Above UCL", "7 Point Trend (Decreasing)",
            "2 in 3 Below CL", "7 Points Above CL" or "Common Cause".

    Chart level:
        options: the checked `XmROptions`.
        assurance: "consistent pass", "consistent fail", "inconsistent", or None (no target,
            neutral direction, or no limits in the latest group) (§11.5).
        variation: the Making Data Count variation icon for the latest point, in words:
            "common cause", "special cause improvement high", "special cause concern low", …
        variation_icon: PTD's icon file stem for it: "common_cause", "improvement_high",
            "concern_low", "neutral_high", … (R/geom_ptd_icon.R).
        warnings: plain-English warnings (trial limits, groups without limits, no assurance).
    """

    values: np.ndarray
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    near_lower: np.ndarray
    near_upper: np.ndarray
    moving_range: np.ndarray
    moving_range_used: np.ndarray
    average_moving_range: np.ndarray
    rebase_group: np.ndarray
    trial_limits: np.ndarray
    special_cause: tuple[str | None, ...]
    rule: tuple[str | None, ...]
    special_cause_label: tuple[str, ...]
    options: XmROptions
    assurance: str | None
    variation: str
    variation_icon: str
    warnings: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.values)

    @property
    def improvement(self) -> str:
        """The improvement direction the chart was built with."""
        return self.options.improvement

    @property
    def target(self) -> float | None:
        """The target, or None."""
        return self.options.target

    def rows(self) -> list[dict[str, object]]:
        """One plain dict per point (floats, ints, str or None), e.g. for a results table."""
        return [
            {
                "value": float(self.values[i]),
                "mean": float(self.mean[i]),
                "lower": float(self.lower[i]),
                "upper": float(self.upper[i]),
                "near_lower": float(self.near_lower[i]),
                "near_upper": float(self.near_upper[i]),
                "rebase_group": int(self.rebase_group[i]),
                "trial_limits": bool(self.trial_limits[i]),
                "special_cause": self.special_cause[i],
                "rule": self.rule[i],
                "special_cause_label": self.special_cause_label[i],
            }
            for i in range(len(self.values))
        ]


def xmr(
    values: Sequence[float] | np.ndarray,
    improvement: str = "increase",
    screen_outliers: bool = True,
    target: float | None = None,
    rebase_at: Iterable[int] = (),
    fix_after_n_points: int | None = None,
    *,
    short_group_threshold: int = SHORT_GROUP_THRESHOLD,
) -> XmRChart:
    """An XmR (individuals) chart with Making Data Count rules, as NHSRplotthedots draws it (§11).

    Limits (§11.2, PTD R/ptd_spc_standard.R): within each rebase group, from its first
    `fix_after_n_points` points (all if None), mean = mean(y), MR_t = |y_t − y_{t−1}|,
    AMR = mean(MR); with screening, moving ranges ≥ 3.267 × AMR are dropped and AMR is
    recomputed once. Limits are mean ± 2.66 × AMR and near limits mean ± (2 × 2.66 / 3) × AMR.

    Rules (§11.3, PTD R/ptd_calculate_point_type.R), first match wins: (1) outside the limits
    (strictly); (2) a trend: 7 points each strictly above (or below) the one before, every point
    flagged, a point shared by a rising and a falling trend taking the right-hand trend's
    direction; (3) two of three: in 3 consecutive points all on one side of the mean, at least 2
    between a near limit and its limit, only those flagged; (4) a shift: 7 or more points on one
    side of the mean, a point on the mean breaking the run. Each rule restarts in a rebase group.
    Improvement direction maps each flag to improvement, concern or neutral high/low (§11.4).
    Assurance (§11.5) compares the target with the latest group's limits.

    Outlier screening is on by default, as in PTD (a deviation from the Excel tool that PTD
    documents in vignettes/deviations.Rmd, after Nelson 1982 and Provost & Murray 2011): one
    extreme month should not widen the limits enough to hide the next one. Pass
    `screen_outliers=False` to match the NHS England Excel tool.

    Where we differ from PTD (docs/methods.md §13–14): a group whose average moving range
    is 0 after screening (a flat series, or one flat step) gets no limits (NaN), the two
    limit-based rules are not applied to it and a warning says so, where PTD collapses the limits
    onto the mean and flags every other point (§11.8); a missing value is refused, where PTD has
    no defined behaviour; the short-group warning names the real threshold, not PTD's "n < 12";
    and a trend point followed by a tie keeps its own trend's direction (PTD's code calls it
    "Decreasing").

    Args:
        values: the series in time order, one number per period (any units). At least 2, each
            finite; no missing values (fill or drop a missing period first: a gap would join
            the moving ranges either side of it).
        improvement: "increase" (default), "decrease" or "neutral".
        screen_outliers: True (default) to screen moving ranges as above; False for the Excel
            tool's limits.
        target: a value in the units of `values`, or None (default) for no assurance.
        rebase_at: 0-based positions where a new group starts (limits and rules restart there);
            each at least 1 and below len(values), leaving every group 2 points or more.
        fix_after_n_points: None (default), or at least 12 to fix each group's limits on its
            first N points and judge the rest against them.
        short_group_threshold: groups with fewer points get trial limits (§11.7); default 13.

    Returns:
        An `XmRChart`.

    Raises:
        ValueError: naming the argument and value, for a bad option (see `XmROptions`), a
            rebase position out of range, fewer than 2 values or a 1-point group, or a value
            that is not a finite number (naming its position).

    >>> chart = xmr([1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1])
    >>> round(float(chart.mean[0]), 4), round(float(chart.upper[0]), 4)
    (1.9444, 4.6044)
    >>> chart.special_cause[4], chart.rule[4], chart.special_cause_label[4]
    ('improvement', 'outside_limits', 'Above UCL')
    >>> chart.variation, chart.assurance
    ('common cause', None)
    """
    options = XmROptions(
        improvement=improvement,
        screen_outliers=screen_outliers,
        target=target,
        rebase_at=rebase_at,
        fix_after_n_points=fix_after_n_points,
        short_group_threshold=short_group_threshold,
    )
    return xmr_with_options(values, options)


def xmr_with_options(values: Sequence[float] | np.ndarray, options: XmROptions) -> XmRChart:
    """`xmr` with options already checked, e.g. those of a metric definition.

    Args:
        values: as for `xmr`.
        options: an `XmROptions`.

    Returns:
        An `XmRChart`.

    Raises:
        TypeError: if `options` is not an `XmROptions`.
        ValueError: as for `xmr`, for the values and rebase positions.

    >>> xmr_with_options([3, 5, 4, 6], XmROptions(short_group_threshold=0)).warnings
    ()
    """
    if not isinstance(options, XmROptions):
        raise TypeError(f"options must be an XmROptions; got a {type(options).__name__}")
    y = _checked_values(values)
    n = len(y)
    starts = _group_starts(n, options.rebase_at)
    bounds = list(zip(starts, [*starts[1:], n], strict=True))
    direction = _DIRECTION_SIGN[options.improvement]

    columns = {
        name: np.full(n, np.nan)
        for name in ("mean", "lower", "upper", "near_lower", "near_upper", "moving_range", "amr")
    }
    moving_range_used = np.zeros(n, dtype=bool)
    rebase_group = np.zeros(n, dtype=int)
    trial_limits = np.zeros(n, dtype=bool)
    labels: list[str] = []
    warnings: list[str] = []

    for group, (start, stop) in enumerate(bounds):
        part = y[start:stop]
        limits = _group_limits(part, options.screen_outliers, options.fix_after_n_points)
        span = slice(start, stop)
        columns["mean"][span] = limits.mean
        columns["lower"][span] = limits.lower
        columns["upper"][span] = limits.upper
        columns["near_lower"][span] = limits.near_lower
        columns["near_upper"][span] = limits.near_upper
        columns["amr"][span] = limits.average_moving_range
        columns["moving_range"][start + 1 : stop] = np.abs(np.diff(part))
        moving_range_used[start + 1 : stop] = limits.used
        rebase_group[span] = group
        where = f"points {start}-{stop - 1} (rebase group {group})"
        if stop - start < options.short_group_threshold:
            trial_limits[span] = True
            warnings.append(
                f"{where} are {stop - start}, fewer than {options.short_group_threshold}: "
                "their limits are trial limits, revised with each new point"
            )
        if not limits.drawn:
            warnings.append(
                f"{where} have no variation to set limits from (average moving range 0"
                f"{' after outlier screening' if options.screen_outliers else ''}): no limits are "
                "drawn, and the outside-limits and two-in-three rules are not applied"
            )
        labels.extend(_special_cause_labels(part, limits))

    special_cause, rule = [], []
    for label in labels:
        special_cause.append(_point_type(label, direction))
        rule.append(_rule_of(label))

    assurance = _assurance(options, columns["lower"][-1], columns["upper"][-1])
    if assurance is None and options.target is not None and options.improvement != "neutral":
        warnings.append(
            "no assurance: the latest group has no limits to compare the target "
            f"{options.target:g} with"
        )
    variation, variation_icon = _variation(labels[-1], special_cause[-1])

    def frozen(array: np.ndarray) -> np.ndarray:
        array.setflags(write=False)
        return array

    return XmRChart(
        values=frozen(y),
        mean=frozen(columns["mean"]),
        lower=frozen(columns["lower"]),
        upper=frozen(columns["upper"]),
        near_lower=frozen(columns["near_lower"]),
        near_upper=frozen(columns["near_upper"]),
        moving_range=frozen(columns["moving_range"]),
        moving_range_used=frozen(moving_range_used),
        average_moving_range=frozen(columns["amr"]),
        rebase_group=frozen(rebase_group),
        trial_limits=frozen(trial_limits),
        special_cause=tuple(special_cause),
        rule=tuple(rule),
        special_cause_label=tuple(labels),
        options=options,
        assurance=assurance,
        variation=variation,
        variation_icon=variation_icon,
        warnings=tuple(warnings),
    )


@dataclass(frozen=True, eq=False)
class XmRSeries:
    """The points' flags of many XmR charts at once (`xmr_many`): one row per series.

    Per series (1-D arrays, read-only): mean, lower, upper (NaN with no variation to draw limits
    from), variation and variation_icon (as `XmRChart`, for each series' latest point).
    Per point (2-D arrays, series × points, read-only): special_cause, rule and
    special_cause_label, as `XmRChart` (None for common cause in the first two).
    """

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    special_cause: np.ndarray
    rule: np.ndarray
    special_cause_label: np.ndarray
    variation: np.ndarray
    variation_icon: np.ndarray

    def __len__(self) -> int:
        return len(self.mean)


# The labels of `_special_cause_labels` by code, in rule priority, so that many series are
# labelled with integer arrays and the text is looked up once at the end.
_LABELS = (
    COMMON_CAUSE_LABEL,
    "Above UCL",
    "Below LCL",
    "7 Point Trend (Increasing)",
    "7 Point Trend (Decreasing)",
    "2 in 3 Above CL",
    "2 in 3 Below CL",
    "7 Points Above CL",
    "7 Points Below CL",
)


def xmr_many(
    values: Sequence[Sequence[float]] | np.ndarray,
    improvement: str = "increase",
    screen_outliers: bool = True,
) -> XmRSeries:
    """XmR charts of many series of one length at once, with no rebase, target or fixed
    limits: each row's flags are exactly `xmr(row, improvement, screen_outliers)`'s, from
    whole-array rules rather than a Python loop per point (the metric engine charts over a
    thousand monthly series).

    Args:
        values: a 2-D array, one series per row in time order: at least 2 columns, every value
            finite (no missing values, as for `xmr`).
        improvement: "increase" (default), "decrease" or "neutral".
        screen_outliers: True (default) to screen moving ranges, as for `xmr`.

    Returns:
        An `XmRSeries`.

    Raises:
        ValueError: a bad option (see `XmROptions`), an array that is not 2-D, fewer than 2
            columns, or a value that is not a finite number (naming its row and column).

    >>> charts = xmr_many([[1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]] * 2)
    >>> charts.special_cause[:, 4].tolist(), charts.variation.tolist()
    (['improvement', 'improvement'], ['common cause', 'common cause'])
    """
    options = XmROptions(improvement=improvement, screen_outliers=screen_outliers)
    y = _checked_rows(values)
    limits = [_group_limits(row, options.screen_outliers, None) for row in y]
    mean = np.array([limit.mean for limit in limits])
    drawn = np.array([limit.drawn for limit in limits], dtype=bool)
    bounds = {
        name: np.array([getattr(limit, name) for limit in limits])
        for name in ("lower", "upper", "near_lower", "near_upper")
    }
    codes = _label_codes(y, mean, drawn, bounds)
    labels = np.array(_LABELS, dtype=object)[codes]
    direction = _DIRECTION_SIGN[options.improvement]
    causes = np.array([_point_type(label, direction) for label in _LABELS], dtype=object)
    rules = np.array([_rule_of(label) for label in _LABELS], dtype=object)
    latest = codes[:, -1]
    icons = [_variation(label, cause) for label, cause in zip(_LABELS, causes, strict=True)]
    variation = np.array([words for words, _ in icons], dtype=object)[latest]
    variation_icon = np.array([icon for _, icon in icons], dtype=object)[latest]

    def frozen(array: np.ndarray) -> np.ndarray:
        array.setflags(write=False)
        return array

    return XmRSeries(
        mean=frozen(mean),
        lower=frozen(bounds["lower"]),
        upper=frozen(bounds["upper"]),
        special_cause=frozen(causes[codes]),
        rule=frozen(rules[codes]),
        special_cause_label=frozen(labels),
        variation=frozen(variation),
        variation_icon=frozen(variation_icon),
    )


def _checked_rows(values: object) -> np.ndarray:
    """The series as a new 2-D float array, refusing anything `_checked_values` would."""
    given = np.asarray(values) if not isinstance(values, (str, bytes, dict)) else None
    if given is None or given.dtype.kind not in "iuf":
        raise ValueError(
            f"values must be a 2-D array of numbers, one series per row; got {reprlib.repr(values)}"
        )
    array = given.astype(float)  # a new array: the caller's is never frozen
    if array.ndim != 2:
        raise ValueError(
            f"values must be two-dimensional, one series per row; got shape {array.shape}"
        )
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        row, column = (int(i) for i in bad[0])
        raise ValueError(
            f"values must be finite numbers with none missing: row {row}, position {column} "
            f"has {float(array[row, column])!r}"
        )
    if array.shape[1] < 2:
        raise ValueError(
            f"values needs at least 2 points per series for a moving range; got {array.shape[1]}"
        )
    return array


def _windows(marks: np.ndarray, length: int) -> np.ndarray:
    """Each point's window of `length` points ending at it (points × window), for the points
    from the `length`-th on."""
    return np.lib.stride_tricks.sliding_window_view(marks, length, axis=1)


def _spread_back(marks: np.ndarray, length: int) -> np.ndarray:
    """True at each marked point and the `length` − 1 points before it."""
    spread = marks.copy()
    for offset in range(1, length):
        spread[:, :-offset] |= marks[:, offset:]
    return spread


def _label_codes(y: np.ndarray, mean: np.ndarray, drawn: np.ndarray, bounds) -> np.ndarray:
    """`_special_cause_labels` for every row at once, as indices into `_LABELS`."""
    n = y.shape[1]
    side = np.sign(y - mean[:, None])
    with np.errstate(invalid="ignore"):
        outside = (y > bounds["upper"][:, None]) | (y < bounds["lower"][:, None])
        near = (y < bounds["near_lower"][:, None]) | (y > bounds["near_upper"][:, None])
    outside &= drawn[:, None]
    close = ~outside & near & drawn[:, None]

    # trend: the last point of 7 each strictly above (below) the one before, then its 6 before;
    # a point in two trends takes the right-hand one's direction (`_trend_directions`)
    trend = np.zeros(y.shape, dtype=int)
    if n >= RUN_LENGTH:
        steps = _windows(np.sign(np.diff(y, axis=1)), RUN_LENGTH - 1)
        trend[:, RUN_LENGTH - 1 :] = (steps == 1).all(axis=2).astype(int) - (steps == -1).all(
            axis=2
        )
    direction = np.zeros(y.shape, dtype=int)
    for offset in range(min(RUN_LENGTH, n)):  # later ends overwrite earlier ones
        ends = trend[:, offset:]
        direction[:, : n - offset] = np.where(ends != 0, ends, direction[:, : n - offset])
    in_trend = _spread_back(trend != 0, RUN_LENGTH)

    # two in three: a window of 3 on one side of the mean with at least 2 close to a limit
    fired = np.zeros(y.shape, dtype=bool)
    if n >= 3:
        fired[:, : n - 2] = (_windows(close, 3).sum(axis=2) >= 2) & (
            np.abs(_windows(side, 3).sum(axis=2)) == 3
        )
    two_of_three = _spread_back_forward(fired, 3) & close

    # shift: 7 or more points on one side of the mean, the 7th and later marked, then spread
    shift = np.zeros(y.shape, dtype=bool)
    if n >= RUN_LENGTH:
        runs = _windows(side, RUN_LENGTH)
        shift[:, RUN_LENGTH - 1 :] = (side[:, RUN_LENGTH - 1 :] != 0) & (
            runs == side[:, RUN_LENGTH - 1 :, None]
        ).all(axis=2)
    in_shift = _spread_back(shift, RUN_LENGTH)

    above = side > 0
    codes = np.select(
        [outside, in_trend, two_of_three, in_shift],
        [
            np.where(side == 1, 1, 2),
            np.where(direction == 1, 3, 4),
            np.where(above, 5, 6),
            np.where(above, 7, 8),
        ],
        default=0,
    )
    return codes


def _spread_back_forward(starts: np.ndarray, length: int) -> np.ndarray:
    """True at each window's first point and the `length` − 1 points after it."""
    spread = starts.copy()
    for offset in range(1, length):
        spread[:, offset:] |= starts[:, :-offset]
    return spread


# --- Input ------------------------------------------------------------------------------------


def _checked_values(values: object) -> np.ndarray:
    """The series as a new float array, refusing anything that is not a finite real number."""
    if isinstance(values, (str, bytes, dict)) or not isinstance(values, Iterable):
        raise ValueError(f"values must be a sequence of numbers; got {values!r}")
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise ValueError(
                f"values must be one-dimensional; got an array of shape {values.shape}"
            )
        items = values.tolist() if values.dtype.kind not in "iuf" else None
        array = values.astype(float) if items is None else None
    else:
        items, array = list(values), None
    if array is None:
        for position, item in enumerate(items):
            if not _is_real(item):
                raise ValueError(
                    f"values must be numbers; position {position} has {item!r} "
                    f"(a {type(item).__name__})"
                )
        array = np.array([float(item) for item in items], dtype=float)
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        shown = ", ".join(f"position {p} has {float(array[p])!r}" for p in bad[:5])
        more = f" and {bad.size - 5} more" if bad.size > 5 else ""
        raise ValueError(
            f"values must be finite numbers with none missing: {shown}{more}. Fill or drop the "
            "missing periods first (statistics.md §11; NHSRplotthedots has no defined behaviour)"
        )
    if array.size < 2:
        raise ValueError(f"values needs at least 2 points for a moving range; got {array.size}")
    return array


def _group_starts(n: int, rebase_at: tuple[int, ...]) -> list[int]:
    """Each rebase group's first position; refuses positions past the end and 1-point groups."""
    outside = [position for position in rebase_at if position >= n]
    if outside:
        raise ValueError(
            f"rebase_at positions must be below the number of values ({n}); got {outside[0]!r} "
            f"in rebase_at={rebase_at!r}"
        )
    starts = [0, *rebase_at]
    for start, stop in zip(starts, [*starts[1:], n], strict=True):
        if stop - start < 2:
            raise ValueError(
                f"rebase_at={rebase_at!r} leaves 1 point in the group starting at position "
                f"{start}; each group needs at least 2 points for a moving range"
            )
    return starts


# --- Limits (§11.2, PTD R/ptd_spc_standard.R) ---------------------------------------------------


@dataclass(frozen=True)
class _GroupLimits:
    mean: float
    average_moving_range: float
    lower: float
    upper: float
    near_lower: float
    near_upper: float
    used: np.ndarray  # per moving range (length n − 1): entered the average
    drawn: bool


def _mean(values: np.ndarray) -> float:
    """The mean with R's second, correcting pass, so that n equal values average to that value.

    A one-pass float mean of 17 copies of 986895.5348340627 is one unit in the last place off;
    every point would then sit "below the mean" and a flat series would show a shift.
    """
    first = math.fsum(values) / len(values)
    return first + math.fsum(values - first) / len(values)


def _group_limits(y: np.ndarray, screen_outliers: bool, fix_after_n_points: int | None):
    fixed = y if fix_after_n_points is None else y[:fix_after_n_points]
    mean = _mean(fixed)
    ranges = np.abs(np.diff(fixed))
    used = np.ones(len(ranges), dtype=bool)
    average = _mean(ranges)
    if screen_outliers:
        # One pass only, as PTD: later moving ranges are not screened against the new average.
        used = ranges < OUTLIER_SCREEN_MULTIPLIER * average
        average = _mean(ranges[used]) if used.any() else 0.0
    all_used = np.zeros(len(y) - 1, dtype=bool)
    all_used[: len(used)] = used
    if average == 0:
        # §11.8: no variation left. PTD draws zero-width limits (or NaN, when screening drops
        # every zero range) and flags every point off the mean; we draw none.
        return _GroupLimits(mean, 0.0, *([math.nan] * 4), used=all_used, drawn=False)
    return _GroupLimits(
        mean=mean,
        average_moving_range=average,
        lower=mean - LIMIT_MULTIPLIER * average,
        upper=mean + LIMIT_MULTIPLIER * average,
        near_lower=mean - NEAR_LIMIT_MULTIPLIER * average,
        near_upper=mean + NEAR_LIMIT_MULTIPLIER * average,
        used=all_used,
        drawn=True,
    )


# --- Rules (§11.3, PTD R/ptd_calculate_point_type.R) --------------------------------------------


def _seven_point_one_side_of_mean(relative_to_mean: np.ndarray) -> np.ndarray:
    """1 at the 7th and each later point of a run on one side of the mean, else 0 (PTD)."""
    sides = np.asarray(relative_to_mean)
    marks = np.zeros(len(sides))
    for i in range(RUN_LENGTH - 1, len(sides)):
        window = sides[i - RUN_LENGTH + 1 : i + 1]
        marks[i] = float(sides[i] != 0 and np.all(window == sides[i]))
    return marks


def _part_of_seven(marks: np.ndarray) -> np.ndarray:
    """1 for a marked point and the 6 before it: every point of the run or trend (PTD)."""
    marks = np.abs(np.asarray(marks)) == 1
    part = np.zeros(len(marks))
    for i in np.flatnonzero(marks):
        part[max(0, i - RUN_LENGTH + 1) : i + 1] = 1
    return part


def _seven_point_trend(y: np.ndarray) -> np.ndarray:
    """+1 (−1) at the last point of 7 each strictly above (below) the one before, else 0 (PTD)."""
    y = np.asarray(y, dtype=float)
    marks = np.zeros(len(y))
    for i in range(RUN_LENGTH - 1, len(y)):
        steps = np.sign(np.diff(y[i - RUN_LENGTH + 1 : i + 1]))
        if np.all(steps == 1):
            marks[i] = 1
        elif np.all(steps == -1):
            marks[i] = -1
    return marks


def _two_in_three(close_to_limits: np.ndarray, relative_to_mean: np.ndarray) -> np.ndarray:
    """1 for each point in a window of 3 with ≥ 2 close to a limit, all on one side (PTD)."""
    close = np.asarray(close_to_limits, dtype=float)
    sides = np.asarray(relative_to_mean, dtype=float)
    marks = np.zeros(len(close))
    for first in range(len(close) - 2):
        window = slice(first, first + 3)
        if close[window].sum() >= 2 and abs(sides[window].sum()) == 3:
            marks[window] = 1
    return marks


def _part_of_two_in_three(marks: np.ndarray, close_to_limits: np.ndarray) -> np.ndarray:
    """Only the close points of a firing window are flagged (PTD)."""
    return ((np.asarray(marks) == 1) & (np.abs(np.asarray(close_to_limits)) == 1)).astype(float)


def _trend_directions(y: np.ndarray, trend_marks: np.ndarray) -> np.ndarray:
    """+1 or −1 for each point in a trend, 0 elsewhere; a shared point takes the right trend.

    Windows are applied left to right, so the right-hand trend wins. PTD's code instead takes
    the sign of the step to the next point whenever that point is also in a trend, which calls
    the last point of a trend "Decreasing" when the next point ties with it.
    """
    directions = np.zeros(len(y))
    for end in np.flatnonzero(trend_marks):
        directions[end - RUN_LENGTH + 1 : end + 1] = trend_marks[end]
    return directions


def _special_cause_labels(y: np.ndarray, limits: _GroupLimits) -> list[str]:
    """PTD's special-cause label for each point of one rebase group, by rule priority."""
    relative_to_mean = np.sign(y - limits.mean)
    if limits.drawn:
        outside = (y > limits.upper) | (y < limits.lower)
        close = ~outside & ((y < limits.near_lower) | (y > limits.near_upper))
    else:
        outside = close = np.zeros(len(y), dtype=bool)
    trend = _seven_point_trend(y)
    trend_direction = _trend_directions(y, trend)
    part_trend = _part_of_seven(trend)
    part_two_in_three = _part_of_two_in_three(_two_in_three(close, relative_to_mean), close)
    part_shift = _part_of_seven(_seven_point_one_side_of_mean(relative_to_mean))

    labels = []
    for i, side in enumerate(relative_to_mean):
        above_or_below = "Above" if side > 0 else "Below"
        if outside[i]:
            labels.append("Above UCL" if side == 1 else "Below LCL")
        elif part_trend[i]:
            rising = "In" if trend_direction[i] == 1 else "De"
            labels.append(f"7 Point Trend ({rising}creasing)")
        elif part_two_in_three[i]:
            labels.append(f"2 in 3 {above_or_below} CL")
        elif part_shift[i]:
            labels.append(f"7 Points {above_or_below} CL")
        else:
            labels.append(COMMON_CAUSE_LABEL)
    return labels


def _label_sign(label: str) -> int:
    """+1 for "Above…" or "…Increasing", −1 for "Below…" or "…Decreasing", else 0."""
    if "Above" in label or "Increasing" in label:
        return 1
    if "Below" in label or "Decreasing" in label:
        return -1
    return 0


def _point_type(label: str, direction: int) -> str | None:
    """§11.4: the special cause for a label and an improvement direction, None if common cause."""
    sign = _label_sign(label)
    if sign == 0:
        return None
    if direction == 0:
        return "neutral_high" if sign > 0 else "neutral_low"
    return "improvement" if sign * direction > 0 else "concern"


def _rule_of(label: str) -> str | None:
    if label in ("Above UCL", "Below LCL"):
        return "outside_limits"
    if label.startswith("7 Point Trend"):
        return "trend"
    if label.startswith("2 in 3"):
        return "two_of_three"
    if label.startswith("7 Points"):
        return "shift"
    return None


# --- Assurance and icons (§11.5, PTD R/ptd_calculate_assurance_type.R, R/geom_ptd_icon.R) -----


def _assurance(options: XmROptions, lower: float, upper: float) -> str | None:
    """§11.5 from the latest group's limits; None with no target, neutral, or no limits."""
    target = options.target
    if target is None or options.improvement == "neutral" or math.isnan(upper):
        return None
    increasing = options.improvement == "increase"
    if target > upper:
        return "consistent fail" if increasing else "consistent pass"
    if target < lower:
        return "consistent pass" if increasing else "consistent fail"
    return "inconsistent"


def _variation(label: str, special_cause: str | None) -> tuple[str, str]:
    """The variation icon for the latest point: words and PTD's icon file stem."""
    if special_cause is None:
        return "common cause", "common_cause"
    high_or_low = "high" if _label_sign(label) > 0 else "low"
    kind = special_cause.split("_")[0]  # improvement, concern or neutral
    return f"special cause {kind} {high_or_low}", f"{kind}_{high_or_low}"
