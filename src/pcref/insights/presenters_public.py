"""View models for published data: the public /data/ page, its downloads, and the publish box
on a staff metric run page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pcref.core.presenters import date_time
from pcref.insights import publication
from pcref.insights.dashboard import BROAD_GROUPS, OTHER_SECTION, SECTIONS
from pcref.insights.models import MetricRun
from pcref.insights.publication import SUPPRESSED, PublishedRow
from pcref.insights.rules import Perm

NO_FIGURE = "–"
ALL_PEOPLE = gettext_lazy("All people")
CSV_COLUMNS = [
    "organisation",
    "dataset_version",
    "published_at",
    "rule_set",
    "metric",
    "metric_title",
    "unit",
    *publication.FIELDS[1:],
]
SCHEMA_VERSION = "1.0"


def count_text(count) -> str:
    """A published count: "*", "–" (no figure) or the number with thousands grouped."""
    if count is None:
        return NO_FIGURE
    if count == SUPPRESSED:
        return SUPPRESSED
    return number_format(count, force_grouping=True)


def figure_text(number, places: int) -> str:
    if number is None:
        return NO_FIGURE
    if number == SUPPRESSED:
        return SUPPRESSED
    return number_format(number, decimal_pos=places, force_grouping=True)


def group_label(group: str) -> str:
    return str(ALL_PEOPLE) if group == publication.ALL else str(BROAD_GROUPS.get(group, group))


def _with_interval(value, lower, upper, places: int) -> str:
    """ "12.3 (8.1 to 17.9)", "12.3" without limits, "*" or "–"."""
    if value is None or value == SUPPRESSED:
        return figure_text(value, places)
    if lower is None or upper is None or SUPPRESSED in (lower, upper):
        return figure_text(value, places)
    return _("%(value)s (%(lower)s to %(upper)s)") % {
        "value": figure_text(value, places),
        "lower": figure_text(lower, places),
        "upper": figure_text(upper, places),
    }


@dataclass
class FigureRow:
    group: str
    numerator: str
    denominator: str
    value: str
    ratio: str
    is_reference: bool
    is_everyone: bool


@dataclass
class PeriodTable:
    period: str
    rows: list[FigureRow]


@dataclass
class MetricTable:
    id: str
    title: str
    meaning: str
    unit: str
    numerator: str
    denominator: str
    compares: bool
    periods: list[PeriodTable]

    @property
    def latest(self) -> PeriodTable:
        return self.periods[0]

    @property
    def earlier(self) -> list[PeriodTable]:
        return self.periods[1:]


@dataclass
class Section:
    title: str
    metrics: list[MetricTable] = field(default_factory=list)


def _section_title(metric_id: str) -> str:
    prefix = re.match(r"[A-Za-z]*", metric_id).group()
    return str(dict(SECTIONS).get(prefix, OTHER_SECTION))


def metric_tables(rows: list[PublishedRow]) -> list[MetricTable]:
    """One table per metric and period, in the order of `published_rows`."""
    tables: dict[str, MetricTable] = {}
    for row in rows:
        metric = publication.PUBLIC_METRICS[row.metric]
        table = tables.get(row.metric)
        if table is None:
            table = tables[row.metric] = MetricTable(
                id=metric.id,
                title=str(metric.title),
                meaning=str(metric.meaning),
                unit=str(metric.unit),
                numerator=str(metric.numerator),
                denominator=str(metric.denominator),
                compares=False,
                periods=[],
            )
        words = publication.period_words(row.period_type, row.period)
        if not table.periods or table.periods[-1].period != words:
            table.periods.append(PeriodTable(words, []))
        table.compares = table.compares or row.comparison_group is not None
        table.periods[-1].rows.append(
            FigureRow(
                group=group_label(row.group),
                numerator=count_text(row.numerator),
                denominator=count_text(row.denominator),
                value=_with_interval(row.value, row.lower, row.upper, publication.VALUE_DECIMALS),
                ratio=_with_interval(
                    row.ratio, row.ratio_lower, row.ratio_upper, publication.RATIO_DECIMALS
                ),
                is_reference=row.group == publication.COMPARISON_GROUP,
                is_everyone=row.group == publication.ALL,
            )
        )
    return list(tables.values())


class PublicDataPage:
    """The public data page: the trust's latest published run, by section and metric."""

    def __init__(self, trust, run: MetricRun | None, rows: list[PublishedRow]):
        self.trust = trust
        self.run = run
        self.published = date_time(run.published_at) if run else ""
        self.dataset = f"v{run.dataset_number:04d}" if run else ""
        self.rule_set = publication.RULE_SET_VERSION
        self.rules = [str(rule) for rule in DISCLOSURE_RULES]
        sections: dict[str, Section] = {}
        for table in metric_tables(rows):
            title = _section_title(table.id)
            sections.setdefault(title, Section(title)).metrics.append(table)
        self.sections = list(sections.values())

    @property
    def has_figures(self) -> bool:
        return bool(self.sections)


def public_document(run: MetricRun, rows: list[PublishedRow], *, schema_url: str, language: str):
    """The JSON download: what was published, when, under which rules, and every row
    (docs/open-data.md; src/pcref/insights/schemas/published-data.schema.json)."""
    metrics = []
    for metric_id in dict.fromkeys(row.metric for row in rows):
        metric = publication.PUBLIC_METRICS[metric_id]
        metrics.append(
            {
                "id": metric.id,
                "section": _section_title(metric.id),
                "title": str(metric.title),
                "meaning": str(metric.meaning),
                "unit": str(metric.unit),
                "numerator": str(metric.numerator),
                "denominator": str(metric.denominator),
            }
        )
    return {
        "schema": schema_url,
        "schema_version": SCHEMA_VERSION,
        "title": _("Published figures on race equality"),
        "language": language,
        "organisation": {"name": run.organisation.name, "ods_code": run.organisation.ods_code},
        "dataset_version": run.dataset_number,
        "published_at": run.published_at.isoformat(),
        "disclosure_control": {
            "rule_set": publication.RULE_SET_VERSION,
            "suppressed": SUPPRESSED,
            "rules": [str(rule) for rule in DISCLOSURE_RULES],
        },
        "metrics": metrics,
        "rows": [row.as_dict() for row in rows],
    }


def csv_rows(run: MetricRun, rows: list[PublishedRow]) -> list[dict]:
    """The CSV download: every public row with its metric's title and unit, and on each row
    what was published, when and under which rules (a CSV has no other place for them)."""
    return [
        {
            "organisation": run.organisation.ods_code,
            "dataset_version": run.dataset_number,
            "published_at": run.published_at.isoformat(),
            "rule_set": publication.RULE_SET_VERSION,
            "metric": row.metric,
            "metric_title": str(publication.PUBLIC_METRICS[row.metric].title),
            "unit": str(publication.PUBLIC_METRICS[row.metric].unit),
            **{name: getattr(row, name) for name in publication.FIELDS[1:]},
        }
        for row in rows
    ]


DISCLOSURE_RULES = [
    gettext_lazy(
        "Counts below 5, including 0, are shown as *; other counts are rounded to the nearest 5."
    ),
    gettext_lazy(
        "A rate or percentage is shown as * when the number it counts or the number it is out "
        "of is below 5; a rate per occupied bed days also when there were fewer than 100 bed "
        "days or fewer than 5 people."
    ),
    gettext_lazy(
        "When one ethnic group's count is hidden, another is hidden too, so that the hidden "
        "one cannot be worked out from the total."
    ),
    gettext_lazy(
        "Figures worked out from a hidden count are hidden too: its rate, the rate's "
        "interval and its comparison with White people."
    ),
    gettext_lazy(
        "Rates and intervals are worked out from the exact counts, then rounded to one "
        "decimal place; ratios to two."
    ),
]


class RunPublication:
    """The publish box on a staff metric run page: whether the run is public, and what
    publishing or unpublishing it would change."""

    def __init__(self, run: MetricRun, user):
        self.pk = run.pk
        self.is_done = run.status == MetricRun.Status.DONE and bool(run.results_path)
        self.can_publish = self.is_done and user.has_perm(Perm.PUBLISH_DATA, run)
        self.is_published = run.published_at is not None
        self.published = date_time(run.published_at)
        self.published_by = (
            (run.published_by.get_full_name() or run.published_by.get_username())
            if run.published_by
            else _("the system")
        )
        shown = publication.published_run(run.organisation)
        self.is_shown = shown is not None and shown.pk == run.pk
        self.shown_dataset = f"v{shown.dataset_number:04d}" if shown else ""
        self.after_unpublish = ""
        if self.is_shown:
            earlier = publication.published_run(run.organisation, excluding=run)
            self.after_unpublish = (
                _("The public data page will then show dataset version %(version)s instead.")
                % {"version": f"v{earlier.dataset_number:04d}"}
                if earlier
                else _("The public data page will then say that no figures are published.")
            )
