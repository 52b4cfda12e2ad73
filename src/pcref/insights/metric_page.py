"""The staff page of one metric: its definition, filters checked against the latest results, an
SPC chart per group, intervals by group, a funnel plot of teams and the ratios to White."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pcref.analytics.ethnicity import NHS_ETHNIC_CATEGORIES
from pcref.analytics.metrics.catalogue import CATALOGUE
from pcref.analytics.metrics.definitions import MetricDefinition
from pcref.core.models import Organisation
from pcref.insights import charts
from pcref.insights.dashboard import (
    BROAD_GROUPS,
    DIRECTION_WORDS,
    direction,
    figure,
    latest_run,
    ratio_figure,
)
from pcref.insights.models import MetricRun

ALL = "all"
PERIOD_TYPES = {
    "financial_year": gettext_lazy("Financial year"),
    "quarter": gettext_lazy("Quarter"),
    "month": gettext_lazy("Month"),
    "extract": gettext_lazy("Whole extract"),
}
# Group schemes a reader can choose, in the order offered; "excluded" (records without a
# usable ethnic code) is on the data quality pages, not a breakdown.
SCHEMES = {
    "broad": gettext_lazy("Broad ethnic groups"),
    "detailed": gettext_lazy("Detailed ethnic groups"),
    "sex": gettext_lazy("Sex"),
    "age_band": gettext_lazy("Age band"),
    "dataset": gettext_lazy("Table of the extract"),
    "all": gettext_lazy("All people"),
}
SEXES = {
    "1": gettext_lazy("Male"),
    "2": gettext_lazy("Female"),
    "9": gettext_lazy("Indeterminate"),
    "X": gettext_lazy("Not known"),
}
STATISTICS = {
    "rate": gettext_lazy("Crude rate"),
    "dsr": gettext_lazy("Directly age-standardised rate (ESP2013)"),
    "proportion": gettext_lazy("Proportion"),
    "mean": gettext_lazy("Mean"),
    "median": gettext_lazy("Median"),
}
IMPROVEMENTS = {
    "increase": gettext_lazy("Higher is better"),
    "decrease": gettext_lazy("Lower is better"),
    "neutral": gettext_lazy("Neither higher nor lower is better"),
}
# The comparison group's own row: White is a broad group; White British is detailed code A.
COMPARISON_ROWS = {"White": ("broad", "White"), "White British": ("detailed", "A")}
FUNNEL_STATISTICS = {"proportion": "proportion", "rate": "rate"}  # no funnel for DSR, mean…
COLUMNS = [
    "period_type",
    "period",
    "organisation",
    "service",
    "group_scheme",
    "group",
    "numerator",
    "denominator",
    "value",
    "lower",
    "upper",
    "method",
    "comparison_group",
    "ratio",
    "ratio_lower",
    "ratio_upper",
    "ratio_method",
]
_DETAILED = {category.code: category.label for category in NHS_ETHNIC_CATEGORIES}
_DETAILED_ORDER = {category.code: i for i, category in enumerate(NHS_ETHNIC_CATEGORIES)}
_BROAD_ORDER = {name: i for i, name in enumerate(BROAD_GROUPS)}


class UnknownMetric(LookupError):
    """Neither in the catalogue nor in the organisation's results."""


def read_metric_rows(results_path: str | Path, metric: str) -> list[dict]:
    """Every row of one metric in a run's results.parquet (a few thousand at most)."""
    table = pq.read_table(
        Path(results_path) / "results.parquet",
        columns=COLUMNS,
        filters=[("metric", "=", metric), ("group_scheme", "!=", "excluded")],
    )
    return table.to_pylist()


def period_label(period_type: str, period: str) -> str:
    """ "April 2024" for a month; quarters and financial years as the engine labels them."""
    if period_type == "month":
        year, month = period.split("-")
        return date_format(dt.date(int(year), int(month), 1), "F Y")
    if period_type == "extract":
        return _("the whole extract")
    return period


def group_label(scheme: str, group: str) -> str:
    if scheme == "broad":
        return str(BROAD_GROUPS.get(group, group))
    if scheme == "detailed" and group in _DETAILED:
        return f"{_DETAILED[group]} ({group})"
    if scheme == "sex":
        return str(SEXES.get(group, group))
    if scheme == "all":
        return _("All people")
    return group


def _group_order(scheme: str, group: str):
    if scheme == "broad":
        return (_BROAD_ORDER.get(group, len(_BROAD_ORDER)), group)
    if scheme == "detailed":
        return (_DETAILED_ORDER.get(group, len(_DETAILED_ORDER)), group)
    return (0, group)


@dataclass
class Options:
    """What the results hold for one metric: the values each filter may take."""

    period_types: list[str]
    periods: dict[str, list[str]]
    organisations: list[str]
    services: dict[str, list[str]]
    schemes: dict[tuple[str, str], list[str]]

    @classmethod
    def of(cls, rows: list[dict]) -> Options:
        periods: dict[str, set[str]] = {}
        services: dict[str, set[str]] = {}
        schemes: dict[tuple[str, str], set[str]] = {}
        for row in rows:
            periods.setdefault(row["period_type"], set()).add(row["period"])
            services.setdefault(row["organisation"], set()).add(row["service"])
            schemes.setdefault((row["organisation"], row["service"]), set()).add(
                row["group_scheme"]
            )
        return cls(
            period_types=[kind for kind in PERIOD_TYPES if kind in periods],
            periods={kind: sorted(values) for kind, values in periods.items()},
            organisations=sorted(services, key=lambda code: (code != ALL, code)),
            services={
                code: sorted(values, key=lambda name: (name != ALL, name))
                for code, values in services.items()
            },
            schemes={
                place: [scheme for scheme in SCHEMES if scheme in found]
                for place, found in schemes.items()
            },
        )

    def scheme_choices(self, organisation: str, service: str) -> list[str]:
        found = self.schemes.get((organisation, service), [])
        broken_down = [scheme for scheme in found if scheme != ALL]
        return broken_down or found


def _default(choices: list[str], preferred: str) -> str:
    return preferred if preferred in choices else (choices[0] if choices else "")


class MetricFiltersForm(forms.Form):
    """The page's filters, each offered and checked against what the results hold.

    A value that the results hold under another choice (a financial year after switching to
    months, a team while the whole extract is chosen, a scheme a team does not have) is moved
    to the nearest fit and said in `notes`, so the form works without JavaScript. A value the
    results do not hold at all is an error naming the filter."""

    period_type = forms.ChoiceField(label=gettext_lazy("Period type"))
    period = forms.ChoiceField(label=gettext_lazy("Period"))
    organisation = forms.ChoiceField(label=gettext_lazy("Organisation"))
    service = forms.ChoiceField(label=gettext_lazy("Service or team"))
    group_scheme = forms.ChoiceField(label=gettext_lazy("Groups"))

    def __init__(self, query: Mapping, options: Options, organisation_names: Mapping[str, str]):
        data = {name: query.get(name, "") for name in self.base_fields}
        self.notes: list[str] = []
        data = self._fitted(data, options)
        super().__init__(data)
        for name, message in {
            "period_type": _("Choose a period type from the list: %(value)s is not one"),
            "period": _("Choose a period from the list: %(value)s is not in these results"),
            "organisation": _(
                "Choose an organisation from the list: %(value)s is not in these results"
            ),
            "service": _(
                "Choose a service or team from the list: %(value)s is not in these results"
            ),
            "group_scheme": _("Choose groups from the list: %(value)s is not in these results"),
        }.items():
            self.fields[name].error_messages["invalid_choice"] = message
            self.fields[name].error_messages["required"] = _(
                "%(filter)s: choose one from the list"
            ) % {"filter": self.fields[name].label}
        kind = data["period_type"]
        if kind not in options.periods:
            kind = _default(options.period_types, "financial_year")
        organisation = data["organisation"] if data["organisation"] in options.services else ALL
        service = data["service"]
        if (organisation, service) not in options.schemes:
            service = ALL
        self.fields["period_type"].choices = [
            (value, PERIOD_TYPES[value]) for value in options.period_types
        ]
        self.fields["period"].choices = [
            (value, period_label(kind, value)) for value in reversed(options.periods.get(kind, []))
        ]
        self.fields["organisation"].choices = [
            (value, _("Whole extract") if value == ALL else organisation_names.get(value, value))
            for value in options.organisations
        ]
        # With the whole extract chosen, every team is offered: choosing one moves to its
        # organisation (see _fitted), so no script is needed to fill this list.
        services = (
            options.services.get(organisation, [ALL])
            if organisation != ALL
            else sorted(
                {name for names in options.services.values() for name in names},
                key=lambda name: (name != ALL, name),
            )
        )
        self.fields["service"].choices = [
            (value, _("All services and teams") if value == ALL else value) for value in services
        ]
        self._options = options
        self.fields["group_scheme"].choices = [
            (value, SCHEMES[value]) for value in options.scheme_choices(organisation, service)
        ]

    def clean(self):
        chosen = super().clean()
        place = (chosen.get("organisation"), chosen.get("service"))
        if None not in place and place not in self._options.schemes:
            self.add_error(
                "service",
                _(
                    "Choose the organisation of %(service)s too: more than one organisation "
                    "has a team of that name"
                )
                % {"service": place[1]},
            )
        return chosen

    def _fitted(self, data: dict, options: Options) -> dict:
        """`data` with blanks filled by defaults and near misses moved (see the class)."""
        default_kind = _default(options.period_types, "financial_year")
        data["period_type"] = data["period_type"] or default_kind
        kind = data["period_type"] if data["period_type"] in options.periods else default_kind
        periods = options.periods.get(kind, [])
        if periods and data["period"] not in periods:
            elsewhere = any(data["period"] in other for other in options.periods.values())
            if elsewhere:
                self.notes.append(
                    _("%(period)s is not a %(kind)s: showing the latest, %(latest)s.")
                    % {
                        "period": data["period"],
                        "kind": str(PERIOD_TYPES[kind]).lower(),
                        "latest": period_label(kind, periods[-1]),
                    }
                )
            if elsewhere or not data["period"]:
                data["period"] = periods[-1]
        data["organisation"] = data["organisation"] or ALL
        data["service"] = data["service"] or ALL
        organisation, service = data["organisation"], data["service"]
        if organisation == ALL and service not in options.services.get(ALL, []):
            owners = [code for code, names in options.services.items() if service in names]
            if len(owners) == 1:
                data["organisation"] = owners[0]
                self.notes.append(
                    _("%(service)s is a team of %(organisation)s: showing that organisation.")
                    % {"service": service, "organisation": owners[0]}
                )
        place = (data["organisation"], data["service"])
        if place not in options.schemes:
            place = (ALL, ALL)
        choices = options.scheme_choices(*place)
        scheme = data["group_scheme"]
        known = any(scheme in found for found in options.schemes.values())
        if choices and scheme not in choices and (known or not scheme):
            data["group_scheme"] = _default(choices, "broad")
            if scheme:
                self.notes.append(
                    _("There are no results by %(scheme)s here: showing %(shown)s.")
                    % {
                        "scheme": str(SCHEMES.get(scheme, scheme)).lower(),
                        "shown": str(SCHEMES[data["group_scheme"]]).lower(),
                    }
                )
        return data


@dataclass
class Definition:
    id: str
    title: str
    description: str
    unit: str
    statistic: str
    methods: str
    comparison_groups: str
    improvement: str


@dataclass
class RatioRow:
    group: str
    comparison_group: str
    value: str
    ratio: str
    lower: str
    upper: str
    direction: str
    method: str


@dataclass
class MetricPage:
    metric: str
    run: MetricRun | None
    definition: Definition | None = None
    form: MetricFiltersForm | None = None
    chosen: str = ""
    by_group: charts.Chart | None = None
    ratios: list[RatioRow] = field(default_factory=list)
    over_time: list[charts.Chart] = field(default_factory=list)
    funnel: charts.Chart | None = None
    funnel_absent: str = ""

    @property
    def dataset(self) -> str:
        return f"v{self.run.dataset_number:04d}" if self.run else ""

    @property
    def title(self) -> str:
        return self.definition.title if self.definition else self.metric

    @property
    def refused(self) -> bool:
        return self.form is not None and bool(self.form.errors)


def _definition(metric: str, definition: MetricDefinition | None, rows: list[dict]) -> Definition:
    methods = sorted({row["method"] for row in rows if row["method"]})
    if definition is None:  # a metric in the results that the catalogue no longer has
        return Definition(metric, metric, "", "", "", ", ".join(methods), "", "")
    return Definition(
        id=metric,
        title=definition.title,
        description=definition.description,
        unit=definition.unit,
        statistic=str(STATISTICS.get(definition.statistic, definition.statistic)),
        methods=", ".join(methods),
        comparison_groups=", ".join(definition.comparison_groups) or _("None"),
        improvement=str(IMPROVEMENTS.get(definition.improvement, definition.improvement)),
    )


def metric_page(organisation_id, metric: str, query: Mapping) -> MetricPage:
    """The page of `metric` for the organisation's latest finished run, filtered by `query`.

    Raises:
        UnknownMetric: the metric is neither in the catalogue nor in the results.
    """
    definition = CATALOGUE.get(metric)
    run = latest_run(organisation_id)
    if run is None or not (Path(run.results_path) / "results.parquet").is_file():
        if definition is None:
            raise UnknownMetric(metric)
        return MetricPage(metric, None, _definition(metric, definition, []))
    rows = read_metric_rows(run.results_path, metric)
    if definition is None and not rows:
        raise UnknownMetric(metric)
    page = MetricPage(metric, run, _definition(metric, definition, rows))
    if not rows:
        return page
    options = Options.of(rows)
    names = dict(
        Organisation.objects.filter(ods_code__in=options.organisations).values_list(
            "ods_code", "name"
        )
    )
    page.form = MetricFiltersForm(query, options, names)
    if not page.form.is_valid():
        return page
    chosen = page.form.cleaned_data
    _fill(page, definition, rows, chosen)
    return page


def _fill(page: MetricPage, definition, rows: list[dict], chosen: dict) -> None:
    title, unit = page.title, page.definition.unit
    kind, period = chosen["period_type"], chosen["period"]
    organisation, service, scheme = (
        chosen["organisation"],
        chosen["service"],
        chosen["group_scheme"],
    )
    place = [r for r in rows if r["organisation"] == organisation and r["service"] == service]
    in_period = [r for r in place if r["period_type"] == kind and r["period"] == period]
    when = period_label(kind, period)
    page.chosen = _("%(scheme)s, %(period)s, %(place)s") % {
        "scheme": SCHEMES[scheme],
        "period": when,
        "place": _place(organisation, service),
    }
    # By group, with the comparison group's value (or all people's) as the reference line.
    groups = _first_per_group([r for r in in_period if r["group_scheme"] == scheme], scheme)
    reference, reference_label = _reference(definition, in_period, scheme)
    page.by_group = charts.interval_chart(
        id="by-group",
        title=_("%(metric)s by %(scheme)s, %(period)s")
        % {"metric": title, "scheme": str(SCHEMES[scheme]).lower(), "period": when},
        unit=unit,
        rows=[
            (group_label(scheme, r["group"]), r["value"], r["lower"], r["upper"]) for r in groups
        ],
        reference=reference,
        reference_label=reference_label,
    )
    page.ratios = [
        RatioRow(
            group=group_label(scheme, r["group"]),
            comparison_group=r["comparison_group"],
            value=figure(r["value"]),
            ratio=ratio_figure(r["ratio"]),
            lower=ratio_figure(r["ratio_lower"]),
            upper=ratio_figure(r["ratio_upper"]),
            direction=str(DIRECTION_WORDS[direction(r["ratio_lower"], r["ratio_upper"])]),
            method=r["ratio_method"] or "",
        )
        for r in sorted(
            (r for r in in_period if r["group_scheme"] == scheme and r["comparison_group"]),
            key=lambda r: (r["comparison_group"], _group_order(scheme, r["group"])),
        )
    ]
    page.over_time = _over_time(definition, place, scheme, title, unit)
    page.funnel, page.funnel_absent = _funnel(definition, rows, organisation, kind, period, title)


def _place(organisation: str, service: str) -> str:
    if organisation == ALL:
        return _("whole extract")
    if service == ALL:
        return organisation
    return f"{service} ({organisation})"


def _first_per_group(rows: list[dict], scheme: str) -> list[dict]:
    """One row per group: ratio rows repeat a group once per comparison group."""
    seen: dict[str, dict] = {}
    for row in rows:
        seen.setdefault(row["group"], row)
    return sorted(seen.values(), key=lambda row: _group_order(scheme, row["group"]))


def _reference(definition, in_period: list[dict], scheme: str) -> tuple[float | None, str]:
    if definition is not None and scheme in ("broad", "detailed"):
        for name in definition.comparison_groups:
            wanted = COMPARISON_ROWS.get(name)
            for row in in_period:
                if wanted and (row["group_scheme"], row["group"]) == wanted:
                    return row["value"], name
    everyone = next((r for r in in_period if r["group_scheme"] == ALL), None)
    return (everyone["value"], _("All people")) if everyone else (None, "")


def _over_time(definition, place: list[dict], scheme: str, title: str, unit: str):
    """An SPC chart of every month for all people, then one for each group of the scheme."""
    monthly = [r for r in place if r["period_type"] == "month"]
    months = sorted({r["period"] for r in monthly if r["group_scheme"] == ALL})
    if not months:
        return []
    improvement = definition.improvement if definition is not None else "neutral"
    bounds = _spc_bounds(definition)
    series: dict[tuple[str, str], dict[str, float | None]] = {}
    for row in monthly:
        if row["group_scheme"] in (ALL, scheme):
            series.setdefault((row["group_scheme"], row["group"]), {})[row["period"]] = row["value"]
    keys = [(ALL, ALL)] if (ALL, ALL) in series else []
    keys += sorted(
        (key for key in series if key[0] == scheme and key[0] != ALL),
        key=lambda key: _group_order(scheme, key[1]),
    )
    made = []
    for number, (group_scheme, group) in enumerate(keys):
        values = series[(group_scheme, group)]
        made.append(
            charts.spc_chart(
                id=f"over-time-{number}",
                title=_("%(metric)s by month: %(group)s")
                % {"metric": title, "group": group_label(group_scheme, group)},
                unit=unit,
                points=[
                    (month, period_label("month", month), values.get(month)) for month in months
                ],
                improvement=improvement,
                bounds=bounds,
            )
        )
    return made


def _spc_bounds(definition) -> tuple[float | None, float | None] | None:
    """The range a metric's values can take, for its SPC charts' limits and axis: 0 to the
    multiplier for a proportion (0–100 for a percentage), at least 0 for a rate; None (the
    chart's default, by unit) for other statistics or an unknown metric."""
    if definition is None:
        return None
    if definition.statistic == "proportion":
        return (0.0, float(definition.multiplier))
    if definition.statistic in ("rate", "dsr"):
        return (0.0, None)
    return None


def _funnel(definition, rows, organisation, kind, period, title) -> tuple[charts.Chart | None, str]:
    statistic = FUNNEL_STATISTICS.get(definition.statistic) if definition is not None else None
    if statistic is None:
        return None, _("No funnel plot: funnel limits are for proportions and crude rates.")
    teams = [
        r
        for r in rows
        if r["service"] != ALL
        and (organisation == ALL or r["organisation"] == organisation)
        and r["group_scheme"] == ALL
        and r["period_type"] == kind
        and r["period"] == period
    ]
    if not teams:
        return None, _("No funnel plot: these results are not broken down by team.")
    several = len({r["organisation"] for r in teams}) > 1
    units = [
        (
            f"{r['service']} ({r['organisation']})" if several else r["service"],
            r["numerator"] if r["numerator"] is not None else float("nan"),
            r["denominator"] if r["denominator"] is not None else float("nan"),
        )
        for r in sorted(teams, key=lambda r: (r["organisation"], r["service"]))
    ]
    chart = charts.funnel_chart(
        id="funnel",
        title=_("%(metric)s by team, %(period)s")
        % {"metric": title, "period": period_label(kind, period)},
        unit=definition.unit,
        units=units,
        multiplier=definition.multiplier,
        statistic=statistic,
    )
    return chart, ""
