"""The measures of an action: the metrics of the catalogue it should move, read from the
organisation's latest finished metric run, and whether each is moving the right way."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pcref.analytics.metrics.catalogue import CATALOGUE
from pcref.governance.models import ActionMeasure, Direction
from pcref.insights.dashboard import BROAD_GROUPS, COMPARISON_GROUP, figure, latest_run
from pcref.insights.metric_page import period_label, read_metric_rows

ALL_PEOPLE = "all"
# The period types a measure is read for, the first the results hold winning.
PERIOD_PREFERENCE = ("financial_year", "quarter", "month", "extract")


class Movement(Enum):
    """Whether a measure is moving the right way, in words (colour never alone)."""

    MET = gettext_lazy("Met the target")
    TOWARDS = gettext_lazy("Moving towards the target")
    AWAY = gettext_lazy("Moving away from the target")
    NO_CHANGE = gettext_lazy("No change from the starting figure")
    NO_FIGURE = gettext_lazy("No figure yet")


MOVEMENT_TAGS = {
    Movement.MET: "nhsuk-tag--blue",
    Movement.TOWARDS: "nhsuk-tag--green",
    Movement.AWAY: "nhsuk-tag--red",
    Movement.NO_CHANGE: "nhsuk-tag--yellow",
    Movement.NO_FIGURE: "nhsuk-tag--grey",
}


def _number(value) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def movement(current: float | None, target: float, direction: str, start: float | None) -> Movement:
    """How `current` stands against `target` for a measure that should go `direction` ("up" or
    "down"), compared with where it started (the baseline, or else the earliest figure).

    At the target (or beyond it, the right way) is met; otherwise it moves towards the target
    when it has gone the right way since the start, away when the wrong way.
    """
    current, start = _number(current), _number(start)
    if current is None:
        return Movement.NO_FIGURE
    up = Direction(direction) == Direction.UP
    if (current >= target) if up else (current <= target):
        return Movement.MET
    if start is None or current == start:
        return Movement.NO_CHANGE
    return Movement.TOWARDS if (current > start) == up else Movement.AWAY


def metric_choices() -> list[tuple[str, str]]:
    """The catalogue's metrics, by id: what a measure may link."""
    return [(metric_id, f"{metric_id}: {d.title}") for metric_id, d in CATALOGUE.items()]


def group_choices() -> list[tuple[str, str]]:
    """All people (blank), then the broad ethnic groups."""
    return [("", str(_("All people")))] + [(key, str(label)) for key, label in BROAD_GROUPS.items()]


def reported_for(metric_id: str, group: str) -> bool:
    """Whether the catalogue reports `metric_id` for the broad group (blank: all people)."""
    definition = CATALOGUE[metric_id]
    return not group or "broad" in definition.breakdowns


def has_ratio(metric_id: str, group: str) -> bool:
    """Whether the metric gives a ratio to White for the group."""
    definition = CATALOGUE[metric_id]
    return (
        bool(group)
        and group != COMPARISON_GROUP
        and COMPARISON_GROUP in (definition.comparison_groups)
    )


@dataclass
class Figure:
    period: str
    value: float | None
    lower: float | None
    upper: float | None


@dataclass
class Reading:
    """One measure as the board reads it."""

    measure: ActionMeasure
    title: str
    group: str
    statistic: str
    unit: str
    current: Figure | None
    earliest: Figure | None
    movement: Movement

    @property
    def words(self) -> str:
        return str(self.movement.value)

    @property
    def tag_classes(self) -> str:
        return MOVEMENT_TAGS[self.movement]

    @property
    def is_ratio(self) -> bool:
        return self.measure.statistic == ActionMeasure.Statistic.RATIO

    def show(self, number) -> str:
        if number is None:
            return "–"
        return figure(number, 2) if self.is_ratio else figure(number)

    @property
    def current_text(self) -> str:
        if self.current is None or self.current.value is None:
            return str(_("No figure yet"))
        text = self.show(self.current.value)
        if self.current.lower is not None and self.current.upper is not None:
            text = _("%(value)s (95%% interval %(lower)s to %(upper)s)") % {
                "value": text,
                "lower": self.show(self.current.lower),
                "upper": self.show(self.current.upper),
            }
        return _("%(figure)s in %(period)s") % {"figure": text, "period": self.current.period}

    @property
    def target_text(self) -> str:
        return self.show(self.measure.target)

    @property
    def baseline_text(self) -> str:
        if self.measure.baseline is not None:
            return self.show(self.measure.baseline)
        if self.earliest is not None and self.earliest.value is not None:
            return _("none set; %(value)s in %(period)s, the earliest figure") % {
                "value": self.show(self.earliest.value),
                "period": self.earliest.period,
            }
        return _("none set")


def _rows_for(rows: list[dict], measure: ActionMeasure) -> list[dict]:
    """The measure's rows: whole organisation, its group, its figure."""
    ratio = measure.statistic == ActionMeasure.Statistic.RATIO
    chosen = []
    for row in rows:
        if row["organisation"] != ALL_PEOPLE or row["service"] != ALL_PEOPLE:
            continue
        if measure.group:
            if row["group_scheme"] != measure.group_scheme or row["group"] != measure.group:
                continue
        elif row["group_scheme"] != ALL_PEOPLE:
            continue
        if ratio and row["comparison_group"] != COMPARISON_GROUP:
            continue
        chosen.append(row)
    return chosen


def _figure(row: dict, ratio: bool) -> Figure:
    prefix = "ratio" if ratio else "value"
    lower, upper = ("ratio_lower", "ratio_upper") if ratio else ("lower", "upper")
    return Figure(
        period=period_label(row["period_type"], row["period"]),
        value=_number(row[prefix]),
        lower=_number(row[lower]),
        upper=_number(row[upper]),
    )


def complete_financial_years(rows: list[dict]) -> set[str]:
    """The financial years ("2024/25") all twelve of whose months the results report: a year
    the extract only partly covers is not compared with a target."""
    months = {row["period"] for row in rows if row["period_type"] == "month"}
    years = {row["period"] for row in rows if row["period_type"] == "financial_year"}
    complete = set()
    for year in years:
        first = int(year[:4])
        wanted = [f"{first}-{m:02d}" for m in range(4, 13)] + [
            f"{first + 1}-{m:02d}" for m in range(1, 4)
        ]
        if all(month in months for month in wanted):
            complete.add(year)
    return complete


def figures(rows: list[dict], measure: ActionMeasure) -> tuple[Figure | None, Figure | None]:
    """The latest and the earliest figure of the measure, of the first period type (financial
    year first) that has one. Financial years the extract covers only in part are left out
    when any year is complete."""
    ratio = measure.statistic == ActionMeasure.Statistic.RATIO
    mine = _rows_for(rows, measure)
    complete = complete_financial_years(rows)
    for period_type in PERIOD_PREFERENCE:
        by_period: dict[str, dict] = {}
        for row in mine:
            value = row["ratio" if ratio else "value"]
            if row["period_type"] == period_type and _number(value) is not None:
                by_period.setdefault(row["period"], row)
        if period_type == "financial_year" and complete & set(by_period):
            by_period = {period: row for period, row in by_period.items() if period in complete}
        if by_period:
            periods = sorted(by_period)
            return _figure(by_period[periods[-1]], ratio), _figure(by_period[periods[0]], ratio)
    return None, None


def read(measure: ActionMeasure, rows: list[dict]) -> Reading:
    definition = CATALOGUE.get(measure.metric_id)
    current, earliest = figures(rows, measure)
    start = measure.baseline if measure.baseline is not None else (earliest and earliest.value)
    return Reading(
        measure=measure,
        title=definition.title if definition else measure.metric_id,
        group=str(BROAD_GROUPS.get(measure.group, measure.group))
        if measure.group
        else _("All people"),
        statistic=str(measure.get_statistic_display()),
        unit=""
        if measure.statistic == ActionMeasure.Statistic.RATIO
        else (definition.unit if definition else ""),
        current=current,
        earliest=earliest,
        movement=movement(current and current.value, measure.target, measure.direction, start),
    )


def readings(organisation_id, measures) -> list[Reading]:
    """Each measure read from the organisation's latest finished metric run (each metric's rows
    read once); with no run, every measure has no figure yet."""
    measures = list(measures)
    run = latest_run(organisation_id)
    results = Path(run.results_path) / "results.parquet" if run else None
    rows_by_metric: dict[str, list[dict]] = {}
    out = []
    for measure in measures:
        if results is None or not results.is_file():
            rows = []
        else:
            if measure.metric_id not in rows_by_metric:
                rows_by_metric[measure.metric_id] = read_metric_rows(
                    run.results_path, measure.metric_id
                )
            rows = rows_by_metric[measure.metric_id]
        out.append(read(measure, rows))
    return out
