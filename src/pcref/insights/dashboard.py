"""The staff overview dashboard: each metric's latest value, largest ratio to White, and SPC."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pcref.analytics.metrics.catalogue import CATALOGUE
from pcref.insights.models import MetricRun

COMPARISON_GROUP = "White"
# Catalogue id prefixes, in the order the dashboard shows its sections.
SECTIONS = (
    ("DQ", gettext_lazy("Data quality")),
    ("ACC", gettext_lazy("Access")),
    ("MHA", gettext_lazy("Mental Health Act")),
    ("RI", gettext_lazy("Restrictive practice")),
    ("LOS", gettext_lazy("Length of stay")),
    ("OUT", gettext_lazy("Outcomes")),
    ("EXP", gettext_lazy("Experience")),
)
OTHER_SECTION = gettext_lazy("Other measures")
BROAD_GROUPS = {
    "White": gettext_lazy("White"),
    "Mixed": gettext_lazy("Mixed"),
    "Asian": gettext_lazy("Asian"),
    "Black": gettext_lazy("Black"),
    "Other": gettext_lazy("Other"),
}
# spc_variation (pcref.analytics.spc.XmRChart.variation) → (label, icon kind, high/low letter)
VARIATIONS = {
    "common cause": (gettext_lazy("Common cause variation"), "common", ""),
    "special cause improvement high": (
        gettext_lazy("Special cause variation: improvement (higher)"),
        "improvement",
        "H",
    ),
    "special cause improvement low": (
        gettext_lazy("Special cause variation: improvement (lower)"),
        "improvement",
        "L",
    ),
    "special cause concern high": (
        gettext_lazy("Special cause variation: concern (higher)"),
        "concern",
        "H",
    ),
    "special cause concern low": (
        gettext_lazy("Special cause variation: concern (lower)"),
        "concern",
        "L",
    ),
    "special cause neutral high": (
        gettext_lazy("Special cause variation: neither better nor worse (higher)"),
        "neutral",
        "H",
    ),
    "special cause neutral low": (
        gettext_lazy("Special cause variation: neither better nor worse (lower)"),
        "neutral",
        "L",
    ),
}
# Making Data Count icon colours (NHSRplotthedots): grey, blue, orange, purple.
ICON_COLOURS = {
    "common": "#7b7d7d",
    "improvement": "#289de0",
    "concern": "#fab428",
    "neutral": "#361475",
}
COLUMNS = [
    "metric",
    "period_type",
    "period",
    "group_scheme",
    "group",
    "value",
    "lower",
    "upper",
    "comparison_group",
    "ratio",
    "ratio_lower",
    "ratio_upper",
    "spc_variation",
]


def latest_run(organisation_id) -> MetricRun | None:
    """The organisation's most recent finished metric run, or None."""
    if organisation_id is None:
        return None
    return (
        MetricRun.objects.filter(organisation_id=organisation_id, status=MetricRun.Status.DONE)
        .exclude(results_path="")
        .order_by("-finished_at", "-created_at")
        .first()
    )


def read_overview_rows(results_path: str | Path) -> list[dict]:
    """The rows the dashboard needs from a results.parquet: the whole extract (organisation and
    service "all"), all people and broad groups, by financial year, month or whole extract."""
    table = pq.read_table(
        Path(results_path) / "results.parquet",
        columns=COLUMNS,
        filters=[
            ("organisation", "=", "all"),
            ("service", "=", "all"),
            ("group_scheme", "in", ["all", "broad"]),
            ("period_type", "in", ["financial_year", "month", "extract"]),
        ],
    )
    broad_but_not_white = pc.and_(
        pc.equal(table["group_scheme"], "broad"),
        pc.not_equal(pc.fill_null(table["comparison_group"], ""), COMPARISON_GROUP),
    )
    return table.filter(pc.invert(broad_but_not_white)).to_pylist()


def _finite(number) -> bool:
    return number is not None and math.isfinite(number)


def figure(number, places: int = 1) -> str:
    """A number as the dashboard shows it: grouped, to a fixed number of decimal places."""
    if not _finite(number):
        return "–"
    return number_format(round(number, places), decimal_pos=places, force_grouping=True)


def ratio_figure(number) -> str:
    return figure(number, 2)


def direction(lower, upper) -> str:
    """ "higher", "lower" or "no clear difference": whether the ratio's interval excludes 1."""
    if _finite(lower) and lower > 1:
        return "higher"
    if _finite(upper) and upper < 1:
        return "lower"
    return "no clear difference"


DIRECTION_WORDS = {
    "higher": gettext_lazy("higher"),
    "lower": gettext_lazy("lower"),
    "no clear difference": gettext_lazy("no clear difference"),
}


def _month(period: str) -> str:
    year, month = period.split("-")
    return date_format(dt.date(int(year), int(month), 1), "F Y")


@dataclass
class Comparison:
    group: str
    ratio: str
    lower: str
    upper: str
    direction: str
    direction_words: str


@dataclass
class Variation:
    code: str
    label: str
    kind: str
    letter: str
    colour: str
    start: str
    end: str


@dataclass
class MetricRow:
    metric: str
    title: str
    unit: str
    period: str
    value: str
    lower: str
    upper: str
    comparison: Comparison | None
    variation: Variation | None

    @property
    def summary(self) -> str:
        """The row in words."""
        if self.value == "–":
            words = _("%(metric)s: no value for all people.") % {"metric": self.title}
        else:
            words = _(
                "%(metric)s in %(period)s: %(value)s %(unit)s for all people "
                "(95%% interval %(lower)s to %(upper)s)."
            ) % {
                "metric": self.title,
                "period": self.period,
                "value": self.value,
                "unit": self.unit,
                "lower": self.lower,
                "upper": self.upper,
            }
        if self.comparison:
            words += " " + _(
                "For %(group)s people it was %(ratio)s times that for White people "
                "(95%% interval %(lower)s to %(upper)s): %(direction)s."
            ) % {
                "group": self.comparison.group,
                "ratio": self.comparison.ratio,
                "lower": self.comparison.lower,
                "upper": self.comparison.upper,
                "direction": self.comparison.direction_words,
            }
        if self.variation:
            words += " " + _("Monthly, %(start)s to %(end)s: %(variation)s.") % {
                "start": self.variation.start,
                "end": self.variation.end,
                "variation": self.variation.label,
            }
        return words


@dataclass
class Section:
    title: str
    rows: list[MetricRow] = field(default_factory=list)

    @property
    def summary(self) -> list[str]:
        return [row.summary for row in self.rows]


def _latest_period(rows: list[dict]) -> str | None:
    for period_type in ("financial_year", "extract"):
        periods = [
            row["period"]
            for row in rows
            if row["period_type"] == period_type and row["group_scheme"] == "all"
        ]
        if periods:
            return period_type, max(periods)
    return None


def _comparison(rows: list[dict], period_type: str, period: str) -> Comparison | None:
    candidates = [
        row
        for row in rows
        if row["period_type"] == period_type
        and row["period"] == period
        and row["group_scheme"] == "broad"
        and row["group"] != COMPARISON_GROUP
        and _finite(row["ratio"])
    ]
    if not candidates:
        return None
    best = max(candidates, key=lambda row: (row["ratio"], row["group"]))
    said = direction(best["ratio_lower"], best["ratio_upper"])
    return Comparison(
        group=str(BROAD_GROUPS.get(best["group"], best["group"])),
        ratio=ratio_figure(best["ratio"]),
        lower=ratio_figure(best["ratio_lower"]),
        upper=ratio_figure(best["ratio_upper"]),
        direction=said,
        direction_words=str(DIRECTION_WORDS[said]),
    )


def _variation(rows: list[dict]) -> Variation | None:
    months = sorted(
        (row["period"], row["spc_variation"])
        for row in rows
        if row["period_type"] == "month" and row["group_scheme"] == "all" and row["spc_variation"]
    )
    if not months:
        return None
    code = months[-1][1]
    label, kind, letter = VARIATIONS.get(code, (code, "common", ""))
    return Variation(
        code=code,
        label=str(label),
        kind=kind,
        letter=letter,
        colour=ICON_COLOURS[kind],
        start=_month(months[0][0]),
        end=_month(months[-1][0]),
    )


def _period_label(period_type: str, period: str) -> str:
    if period_type == "extract":
        return _("the whole extract")
    return period


def overview(rows: list[dict]) -> list[Section]:
    """Sections of metric rows, in catalogue order (a trust's own metrics last)."""
    by_metric: dict[str, list[dict]] = {}
    for row in rows:
        by_metric.setdefault(row["metric"], []).append(row)
    order = {metric: position for position, metric in enumerate(CATALOGUE)}
    sections = {prefix: Section(str(title)) for prefix, title in SECTIONS}
    other = Section(str(OTHER_SECTION))
    for metric in sorted(by_metric, key=lambda name: (order.get(name, len(order)), name)):
        metric_rows = by_metric[metric]
        latest = _latest_period(metric_rows)
        if latest is None:
            continue
        period_type, period = latest
        everyone = next(
            row
            for row in metric_rows
            if row["period_type"] == period_type
            and row["period"] == period
            and row["group_scheme"] == "all"
        )
        definition = CATALOGUE.get(metric)
        row = MetricRow(
            metric=metric,
            title=definition.title if definition else metric,
            unit=definition.unit if definition else "",
            period=_period_label(period_type, period),
            value=figure(everyone["value"]),
            lower=figure(everyone["lower"]),
            upper=figure(everyone["upper"]),
            comparison=_comparison(metric_rows, period_type, period),
            variation=_variation(metric_rows),
        )
        prefix = re.match(r"[A-Za-z]*", metric).group()
        sections.get(prefix, other).rows.append(row)
    return [section for section in [*sections.values(), other] if section.rows]


@dataclass
class Dashboard:
    run: MetricRun | None
    sections: list[Section]

    @property
    def dataset(self) -> str:
        return f"v{self.run.dataset_number:04d}" if self.run else ""


def dashboard_for(organisation_id) -> Dashboard:
    """The dashboard of an organisation's latest finished metric run (no run: no sections)."""
    run = latest_run(organisation_id)
    if run is None:
        return Dashboard(None, [])
    path = Path(run.results_path)
    if not (path / "results.parquet").is_file():
        return Dashboard(None, [])
    return Dashboard(run, overview(read_overview_rows(path)))
