"""Ethnicity recording quality of a metric run (DQ1–DQ3) per table, team and month, worst first."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow.parquet as pq
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pcref.analytics import stats
from pcref.analytics.metrics.catalogue import DQ_TABLES
from pcref.core.models import ServiceTeam
from pcref.insights import charts
from pcref.insights.charts import Chart
from pcref.insights.dashboard import ICON_COLOURS, VARIATIONS, Variation, figure, latest_run
from pcref.insights.models import MetricRun

# Each status of the person's ethnicity (docs/ethnicity.md) and the catalogue metric that
# counts it. Completeness is DQ1, a valid national code (A to S): Z is a valid answer to the
# question, but not an ethnic group, so it is not complete (reference/ethnicity.md §2).
PARTS = {
    "completeness": "DQ1",
    "not_stated": "DQ2",
    "not_known": "DQ3.not_known",
    "missing": "DQ3.missing",
    "invalid": "DQ3.invalid",
}
METRICS = list(PARTS.values())
ALL_TABLES = "all"  # the group of the results' "all" scheme: every table pooled
TABLE_TITLES = {
    ALL_TABLES: gettext_lazy("All tables together"),
    "mhs001_patients": gettext_lazy("Patients (MHS001)"),
    "mhs101_referrals": gettext_lazy("Referrals (MHS101)"),
    "mhs201_care_contacts": gettext_lazy("Care contacts (MHS201)"),
    "mhs501_hospital_spells": gettext_lazy("Hospital spells (MHS501)"),
    "mhs401_mha_episodes": gettext_lazy("Mental Health Act episodes (MHS401)"),
    "mhs404_cto": gettext_lazy("Community treatment orders (MHS404)"),
    "mhs505_restrictive_interventions": gettext_lazy("Restrictive interventions (MHS505)"),
    "mhs606_outcome_measures": gettext_lazy("Outcome measures (MHS606)"),
}
# Where a team lies on the funnel plot of completeness (stats.funnel_limits), in words. "%%"
# and formatting with {} keep "% l" from reading as a format directive to gettext.
FUNNEL_POSITIONS = {
    "lower_99_8": gettext_lazy("lower than the trust: below the 99.8%% limit"),
    "lower_95": gettext_lazy("lower than the trust: below the 95%% limit"),
    "within": gettext_lazy("within the funnel limits"),
    "higher_95": gettext_lazy("higher than the trust: above the 95%% limit"),
    "higher_99_8": gettext_lazy("higher than the trust: above the 99.8%% limit"),
}
WORST_TEAMS = 3
_COLUMNS = [
    "metric",
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
    "spc_variation",
]
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})/\d{2} Q([1-4])$")


def table_title(table: str) -> str:
    """A table's name in words; a trust's own table keeps its file name."""
    return str(TABLE_TITLES.get(table, table))


def month_label(period: str) -> str:
    """ "2024-04" as "April 2024", in the active language."""
    year, month = period.split("-")
    return date_format(dt.date(int(year), int(month), 1), "F Y")


def period_label(period_type: str, period: str) -> str:
    """A period in words: a month by name, a quarter with its months, a financial year."""
    if period_type == "extract":
        return _("the whole extract")
    if period_type == "month":
        return month_label(period)
    if period_type == "quarter" and (match := _QUARTER.match(period)):
        start_year, quarter = int(match[1]), int(match[2])
        first = dt.date(start_year + (quarter == 4), 1 + (3 * quarter) % 12, 1)
        last = dt.date(first.year, first.month + 2, 1)
        return _("%(quarter)s (%(first)s to %(last)s)") % {
            "quarter": period,
            "first": date_format(first, "F"),
            "last": date_format(last, "F Y"),
        }
    if period_type == "financial_year":
        return _("financial year %(year)s") % {"year": period}
    return period


def period_type_of(period: str) -> str:
    """The period type a period label belongs to: labels are unique across types."""
    if _MONTH.match(period):
        return "month"
    if _QUARTER.match(period):
        return "quarter"
    if period == "all":
        return "extract"
    return "financial_year"


def variation_for(code: str | None, start: str, end: str) -> Variation | None:
    """A Making Data Count variation (dashboard.Variation) of a monthly series, start to end."""
    if not code:
        return None
    label, kind, letter = VARIATIONS.get(code, (code, "common", ""))
    return Variation(
        code=code,
        label=str(label),
        kind=kind,
        letter=letter,
        colour=ICON_COLOURS[kind],
        start=month_label(start),
        end=month_label(end),
    )


@dataclass(frozen=True)
class Share:
    """Records of one ethnicity status as a percentage of all records, with its 95% Wilson
    interval, exactly as the results table holds it (value, lower, upper; count = numerator)."""

    count: int
    percent: float | None
    lower: float | None
    upper: float | None

    @classmethod
    def of(cls, row: dict | None) -> Share:
        if row is None:
            return cls(0, None, None, None)
        return cls(int(row["numerator"]), row["value"], row["lower"], row["upper"])

    @property
    def shown(self) -> str:
        return figure(self.percent)

    @property
    def interval(self) -> str:
        return _("%(lower)s to %(upper)s") % {
            "lower": figure(self.lower),
            "upper": figure(self.upper),
        }

    @property
    def count_shown(self) -> str:
        return figure(self.count, 0)


@dataclass(frozen=True)
class TeamQuality:
    """One team's recording of ethnicity in one table and period.

    `funnel_position` is where its completeness lies on the funnel plot of every team's in the
    same table and period (95% and 99.8% limits around all teams together, which widen for
    fewer records, so a small team is not called worse on a handful of records): one of
    FUNNEL_POSITIONS, "within" when inside the 95% limits."""

    organisation: str
    code: str
    name: str
    records: int
    completeness: Share
    not_stated: Share
    not_known: Share
    missing: Share
    invalid: Share
    variation: Variation | None
    funnel_position: str = "within"

    @property
    def records_shown(self) -> str:
        return figure(self.records, 0)

    @property
    def missing_or_invalid_shown(self) -> str:
        return figure(self.missing.count + self.invalid.count, 0)

    @property
    def funnel_words(self) -> str:
        return str(FUNNEL_POSITIONS[self.funnel_position]) % {}

    @property
    def is_lower(self) -> bool:
        return self.funnel_position.startswith("lower")


@dataclass(frozen=True)
class TableQuality:
    """One table's recording of ethnicity in one period: the whole trust (organisation and
    service "all"), its SPC variation over months, and its worst teams.

    `table` is the table's file name (e.g. "mhs101_referrals"), or "all" for every table
    pooled; `period_type` and `period` are as in the results (mhs001_patients has no dates, so
    its period is always "extract"/"all"). Percentages are 0–100 with 95% Wilson intervals;
    `records` is the number of records (rows) in scope. `variation` is the SPC variation of
    monthly completeness, or None when the table has not a record in every month.
    `worst_teams` are its teams with the lowest completeness first (fewest for `summary`)."""

    table: str
    title: str
    period_type: str
    period: str
    period_label: str
    records: int
    completeness: Share
    not_stated: Share
    not_known: Share
    missing: Share
    invalid: Share
    variation: Variation | None
    worst_teams: tuple[TeamQuality, ...] = ()

    @property
    def records_shown(self) -> str:
        return figure(self.records, 0)

    @property
    def summary(self) -> str:
        """The table's figures in a sentence or three."""
        words = _(
            "%(table)s, %(period)s: %(percent)s%% of %(records)s records had a valid national "
            "ethnic category code (95%% interval %(lower)s to %(upper)s). Not stated (Z): "
            "%(not_stated)s%%; not known (99): %(not_known)s%%; missing: %(missing)s%%; "
            "invalid: %(invalid)s%%."
        ) % {
            "table": self.title,
            "period": self.period_label,
            "percent": self.completeness.shown,
            "records": self.records_shown,
            "lower": figure(self.completeness.lower),
            "upper": figure(self.completeness.upper),
            "not_stated": self.not_stated.shown,
            "not_known": self.not_known.shown,
            "missing": self.missing.shown,
            "invalid": self.invalid.shown,
        }
        if self.variation:
            words += " " + _("Completeness month by month, %(start)s to %(end)s: %(label)s.") % {
                "start": self.variation.start,
                "end": self.variation.end,
                "label": self.variation.label,
            }
        elif self.period_type == "extract":
            words += " " + _("No SPC chart: this table has no dates.")
        else:
            words += " " + _("No SPC chart: not a record in every month.")
        if self.worst_teams:
            worst = self.worst_teams[0]
            words += " " + _(
                "Lowest team: %(team)s, %(percent)s%% of %(records)s records (%(against)s)."
            ) % {
                "team": worst.name,
                "percent": worst.completeness.shown,
                "records": worst.records_shown,
                "against": worst.funnel_words,
            }
        return words


def results_file(run: MetricRun) -> Path | None:
    path = Path(run.results_path) / "results.parquet" if run.results_path else None
    return path if path and path.is_file() else None


class TrustResults:
    """The whole-trust DQ rows of a run (organisation and service "all"): a small table, read
    once per page with the filters pushed down to Parquet."""

    def __init__(self, run: MetricRun):
        self.run = run
        self.path = results_file(run)
        self.rows = (
            pq.read_table(
                self.path,
                columns=_COLUMNS,
                filters=[
                    ("metric", "in", METRICS),
                    ("organisation", "=", "all"),
                    ("service", "=", "all"),
                    ("group_scheme", "in", ["all", "dataset"]),
                ],
            ).to_pylist()
            if self.path
            else []
        )
        self._index = {(row["metric"], row["period"], _table_of(row)): row for row in self.rows}
        self.months = sorted({row["period"] for row in self.rows if row["period_type"] == "month"})

    def row(self, metric: str, period: str, table: str) -> dict | None:
        return self._index.get((metric, period, table))

    @property
    def tables(self) -> list[str]:
        """The tables with results, in catalogue order (a trust's own tables last)."""
        present = {_table_of(row) for row in self.rows} - {ALL_TABLES}
        order = {table: position for position, table in enumerate(DQ_TABLES)}
        return sorted(present, key=lambda table: (order.get(table, len(order)), table))

    def periods(self) -> list[tuple[str, str]]:
        """Dated periods, newest first within financial years, then quarters, then months."""
        found = {(row["period_type"], row["period"]) for row in self.rows}
        return [
            (period_type, period)
            for period_type in ("financial_year", "quarter", "month")
            for period in sorted((p for kind, p in found if kind == period_type), reverse=True)
        ]

    @property
    def latest_year(self) -> str | None:
        years = [period for kind, period in self.periods() if kind == "financial_year"]
        return years[0] if years else None

    def default_period(self) -> str | None:
        """The latest financial year, as the dashboard shows; else the latest dated period."""
        periods = self.periods()
        return self.latest_year or (periods[0][1] if periods else None)

    def monthly(self, table: str) -> list[tuple[str, float | None]]:
        """Monthly completeness of a table, every month of the reporting period (None where the
        table has no records that month)."""
        return [
            (month, (row or {}).get("value"))
            for month in self.months
            for row in [self.row(PARTS["completeness"], month, table)]
        ]

    def variation(self, table: str) -> Variation | None:
        """The SPC variation of a table's monthly completeness (the engine's spc_variation)."""
        if not self.months:
            return None
        last = self.row(PARTS["completeness"], self.months[-1], table)
        return variation_for(last and last["spc_variation"], self.months[0], self.months[-1])

    def table_quality(self, table: str, period: str, teams: Iterable[TeamQuality] = ()):
        """The table in the period, or in the whole extract if it has no dates (mhs001)."""
        if self.row(PARTS["completeness"], period, table) is None and (
            self.row(PARTS["completeness"], "all", table) is not None
        ):
            period = "all"
        rows = {part: self.row(metric, period, table) for part, metric in PARTS.items()}
        if rows["completeness"] is None:
            return None
        return TableQuality(
            table=table,
            title=table_title(table),
            period_type=rows["completeness"]["period_type"],
            period=period,
            period_label=period_label(rows["completeness"]["period_type"], period),
            records=int(rows["completeness"]["denominator"]),
            variation=self.variation(table),
            worst_teams=tuple(teams),
            **{part: Share.of(row) for part, row in rows.items()},
        )


def _table_of(row: dict) -> str:
    return ALL_TABLES if row["group_scheme"] == "all" else row["group"]


def _scheme_filter(tables: Iterable[str]) -> list[tuple]:
    tables = list(tables)
    if tables == [ALL_TABLES]:
        return [("group_scheme", "=", "all")]
    return [("group_scheme", "=", "dataset"), ("group", "in", tables)]


def teams(
    results: TrustResults, tables: Iterable[str], period: str
) -> dict[str, list[TeamQuality]]:
    """Every team's quality in each table (or "all") and period, lowest completeness first
    (ties: more records first, then by name). Teams named by their ServiceTeam where the
    organisation has one with that local code."""
    tables = list(tables)
    if results.path is None or not tables:
        return {}
    pooled = [ALL_TABLES] if ALL_TABLES in tables else []
    dated = [table for table in tables if table != ALL_TABLES]
    last_month = results.months[-1] if results.months else None
    rows = []
    for chosen in (pooled, dated):
        if chosen:
            rows += pq.read_table(
                results.path,
                columns=_COLUMNS,
                filters=[
                    ("metric", "in", METRICS),
                    ("organisation", "!=", "all"),
                    ("service", "!=", "all"),
                    ("period", "in", [p for p in (period, last_month) if p]),
                    *_scheme_filter(chosen),
                ],
            ).to_pylist()
    names = dict(
        ServiceTeam.objects.filter(
            organisation_id=results.run.organisation_id,
            local_code__in={row["service"] for row in rows},
        ).values_list("local_code", "name")
    )
    cells: dict[tuple, dict] = {}
    variations: dict[tuple, str] = {}
    for row in rows:
        unit = (_table_of(row), row["organisation"], row["service"])
        if row["period"] == period:
            cells.setdefault(unit, {})[row["metric"]] = row
        if row["period"] == last_month and row["metric"] == PARTS["completeness"]:
            variations[unit] = row["spc_variation"]
    ranked: dict[str, list[TeamQuality]] = {table: [] for table in tables}
    for (table, organisation, code), by_metric in cells.items():
        complete = by_metric.get(PARTS["completeness"])
        if complete is None:
            continue
        ranked[table].append(
            TeamQuality(
                organisation=organisation,
                code=code,
                name=names.get(code, code),
                records=int(complete["denominator"]),
                variation=variation_for(
                    variations.get((table, organisation, code)),
                    results.months[0] if results.months else "",
                    last_month or "",
                ),
                **{part: Share.of(by_metric.get(metric)) for part, metric in PARTS.items()},
            )
        )
    for table, table_teams in ranked.items():
        ranked[table] = _placed_on_funnel(table_teams)
        ranked[table].sort(
            key=lambda team: (
                team.completeness.percent if team.completeness.percent is not None else 101,
                -team.records,
                team.name,
                team.organisation,
            )
        )
    return ranked


def _placed_on_funnel(team_list: list[TeamQuality]) -> list[TeamQuality]:
    """The teams with their funnel positions: the same limits as charts.funnel_chart draws
    (stats.funnel_limits, Wilson-based, around all the teams together)."""
    if not team_list:
        return team_list
    limits = stats.funnel_limits(
        [team.completeness.count for team in team_list],
        [team.records for team in team_list],
        "proportion",
        100,
    )
    placed = []
    for i, team in enumerate(team_list):
        value = team.completeness.count / team.records * 100
        position = "within"
        if value < limits.lower_99_8[i]:
            position = "lower_99_8"
        elif value < limits.lower_95[i]:
            position = "lower_95"
        elif value > limits.upper_99_8[i]:
            position = "higher_99_8"
        elif value > limits.upper_95[i]:
            position = "higher_95"
        placed.append(replace(team, funnel_position=position))
    return placed


def summary(run: MetricRun, *, period: str | None = None) -> list[TableQuality]:
    """Ethnicity recording quality of a finished run, one TableQuality per table, for reports.

    A stable shape for the board report: for each table with DQ results (catalogue order,
    `mhs001_patients` first, then each dated table; not the pooled "all"), `completeness`,
    `not_stated`, `not_known`, `missing` and `invalid` are `Share`s (`percent`, `lower`,
    `upper` in 0–100, and `count` of records), with `records`, `variation` (SPC of monthly
    completeness, a dashboard.Variation, or None) and `worst_teams` (the three teams with the
    lowest completeness, each a TeamQuality). `period` is a period label of the results
    ("2025/26", "2025/26 Q4", "2026-03"); None means the latest financial year.
    mhs001_patients has no dates, so it is always the whole extract. A run without a results
    file, or without DQ results, gives [].

    Figures are not suppressed: apply pcref.analytics.disclosure before they leave for a
    public audience.
    """
    results = TrustResults(run)
    if not results.rows:
        return []
    known = [label for _kind, label in results.periods()]
    if period is not None and period not in known:
        raise ValueError(
            f"period must be one of this run's periods ({', '.join(known)}); got {period!r}"
        )
    period = period or results.default_period() or "all"
    ranked = teams(results, results.tables, period)
    found = []
    for table in results.tables:
        quality = results.table_quality(table, period, ranked.get(table, [])[:WORST_TEAMS])
        if quality is not None:
            found.append(quality)
    return found


@dataclass
class QualityPage:
    """What the data quality page shows: every table in the chosen period, and the teams of
    the chosen table ranked worst first."""

    run: MetricRun
    table: str
    period: str
    period_label: str
    tables: list[TableQuality]
    teams: list[TeamQuality]
    monthly: dict[str, list[tuple[str, float | None]]]
    without_records: list[str]

    @property
    def dataset(self) -> str:
        return f"v{self.run.dataset_number:04d}"

    @property
    def table_title(self) -> str:
        return table_title(self.table)

    @property
    def teams_completeness(self) -> str:
        """Completeness of all the ranked teams together: the centre of the funnel."""
        records = sum(team.records for team in self.teams)
        complete = sum(team.completeness.count for team in self.teams)
        return figure(complete / records * 100 if records else None)

    @property
    def funnel(self) -> Chart | None:
        """A funnel plot of the ranked teams' completeness against their numbers of records."""
        if not self.teams:
            return None
        return charts.funnel_chart(
            id="teams-funnel",
            title=_("%(table)s, %(period)s: completeness of each team against its records")
            % {"table": self.table_title, "period": self.period_label},
            unit="%",
            units=[(team.name, team.completeness.count, team.records) for team in self.teams],
            multiplier=100,
            x_title=_("Records"),  # the word of the teams table (staff/quality.jinja)
        )

    @property
    def charts(self) -> list[tuple[str, Chart | None]]:
        """An SPC chart of monthly completeness per table; None for a table without a record
        in every month, which the engine does not chart either (docs/metrics.md, SPC)."""
        found = []
        for table, months in self.monthly.items():
            title = table_title(table)
            if not months or any(value is None for _month, value in months):
                found.append((title, None))
                continue
            chart = charts.spc_chart(
                id=f"completeness-{table}",
                title=_("%(table)s: records with a valid ethnic category code, monthly")
                % {"table": title},
                unit="%",
                points=[(month, month_label(month), value) for month, value in months],
                improvement="increase",
            )
            found.append((title, chart))
        return found


def run_for(organisation_id) -> MetricRun | None:
    """The organisation's latest finished run whose results file is there, or None."""
    run = latest_run(organisation_id)
    return run if run is not None and results_file(run) is not None else None


def page(results: TrustResults, *, table: str | None = None, period: str | None = None):
    """The page for a table ("all" by default) and a dated period (by default the latest
    financial year). The caller checks both against `results` (table_choices, period_choices)."""
    table = table or ALL_TABLES
    period = period or results.default_period() or "all"
    shown = [ALL_TABLES, *results.tables]
    ranked = teams(results, {table, *shown}, period)
    tables = [
        quality
        for name in shown
        if (quality := results.table_quality(name, period, ranked.get(name, [])[:WORST_TEAMS]))
    ]
    return QualityPage(
        without_records=[
            table_title(name) for name in shown if name not in {row.table for row in tables}
        ],
        run=results.run,
        table=table,
        period=period,
        period_label=period_label(period_type_of(period), period),
        tables=tables,
        teams=ranked.get(table, []),
        monthly={
            name: results.monthly(name)
            for name, _title in table_choices(results)
            if name != ALL_TABLES
        },
    )


def table_choices(results: TrustResults) -> list[tuple[str, str]]:
    """Tables whose teams can be ranked: "all" and every dated table (mhs001 has no teams)."""
    dated = {_table_of(row) for row in results.rows if row["period_type"] != "extract"}
    return [(ALL_TABLES, table_title(ALL_TABLES))] + [
        (table, table_title(table)) for table in results.tables if table in dated
    ]


def period_choices(results: TrustResults) -> list[tuple[str, str]]:
    return [(period, period_label(kind, period)) for kind, period in results.periods()]
