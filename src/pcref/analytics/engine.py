"""Runs metric definitions on a dataset version: Ibis aggregates on DuckDB or Spark, then stats
and SPC work on the small aggregated tables, giving one long results table."""

# How it works (docs/metrics.md has the full story):
# 1. Each definition becomes "measures": counts on one source table (rows, distinct people, rows
#    with each person's frequency, bed days, or counts by value). Measures that read the same
#    table with the same timing share one plan, so a table is scanned once for all its metrics.
# 2. A plan compiles to Ibis: the table joined to its person (ethnicity, sex, age band), a
#    0/1 flag per measure, and one aggregation to the finest grain needed (month, organisation,
#    service, NHS code, ethnicity status, sex, age band). Distinct people are counted from the
#    plan's rows cached as a temporary table: one aggregation by person per period type and
#    location level that some metric of those people asks for.
# 3. The backend returns small tables; an in-process DuckDB rolls them up to quarters,
#    financial years and group schemes "wide" (a column per measure, so a table's measures
#    share each group-by) as temporary "cube" tables. One SQL statement over the cubes gives
#    the rows of every crude rate and proportion (`_crude_rows`); the others are assembled in
#    pandas a metric at a time. `stats` adds values, limits and ratios on whole arrays (DSRs
#    with `stats.dsr_many`, their ratios with `stats.dsr_ratio_many`).
# 4. `spc.xmr_many` flags the monthly series of every metric of one improvement direction at
#    once; the rows are returned as one pyarrow Table.
# pcref.analytics only: this module never imports Django.

import datetime as dt
import itertools
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pcref.analytics import stats
from pcref.analytics.ethnicity import CENSUS_2021_GROUPS, NHS_ETHNIC_CATEGORIES
from pcref.analytics.extract.schema import AGE_BANDS, OUTCOME_MEASURES
from pcref.analytics.metrics.catalogue import CATALOGUE
from pcref.analytics.metrics.definitions import (
    COMPARISON_GROUPS,
    PATIENTS_TABLE,
    POPULATION_TABLE,
    SELF_IDENTIFIED_TABLES,
    SERVICE_COLUMNS,
    SPELLS_TABLE,
    Condition,
    MetricDefinition,
    standard_weights,
)
from pcref.analytics.spc import xmr_many

__all__ = [
    "CATALOGUE",
    "PERIOD_TYPES",
    "RESULT_COLUMNS",
    "RESULT_SCHEMA",
    "run_metrics",
    "write_results",
]

PERIOD_TYPES = ("financial_year", "quarter", "month")
EXTRACT = "extract"  # the period type of undated tables (mhs001): counted once, for the extract
ALL = "all"
BACKENDS = ("duckdb", "spark")
RESULT_SCHEMA = pa.schema(
    [
        ("metric", pa.string()),
        ("period_type", pa.string()),
        ("period", pa.string()),
        ("organisation", pa.string()),
        ("service", pa.string()),
        ("group_scheme", pa.string()),
        ("group", pa.string()),
        ("numerator", pa.float64()),
        ("denominator", pa.float64()),
        ("value", pa.float64()),
        ("lower", pa.float64()),
        ("upper", pa.float64()),
        ("method", pa.string()),
        ("comparison_group", pa.string()),
        ("ratio", pa.float64()),
        ("ratio_lower", pa.float64()),
        ("ratio_upper", pa.float64()),
        ("ratio_method", pa.string()),
        ("spc_special_cause", pa.string()),
        ("spc_variation", pa.string()),
    ]
)
RESULT_COLUMNS = tuple(RESULT_SCHEMA.names)
_KEYS = ["period_key", "organisation", "service"]
_ATTRIBUTES = ["code", "status", "sex", "age_band"]
_LOCATION_ATTRIBUTES = ["code", "status"]  # organisation and service levels: ethnicity only
_LEVELS = ("all", "organisation", "service")
# The finest grains the backend returns: people's groups for the whole extract, and ethnicity
# only by organisation and service (the location levels report all, broad and excluded).
_GRAINS = {
    "all": ["month_key", *_ATTRIBUTES],
    "location": ["month_key", "organisation", "service", *_LOCATION_ATTRIBUTES],
}
_MEDIAN_METHOD = "median (no interval)"
_BROAD_OF_CODE = {c.code: c.broad_group for c in NHS_ETHNIC_CATEGORIES if c.is_national}
_STANDARD_WEIGHTS = standard_weights(AGE_BANDS)
Progress = Callable[[str], None]


# --- Measures and plans -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Measure:
    """One count on one table: "rows", "people", "frequency" (rows, with how many each person
    has), "bed_days" (overlap days of spells) or "values" (rows by value of a column)."""

    table: str
    timing: tuple  # ("date", column) | ("overlap", start, end) | ("none",)
    conditions: tuple[Condition, ...]
    kind: str
    value_column: str | None = None

    @property
    def key(self) -> str:
        return f"m{abs(hash(self)) % 10**12}"


@dataclass
class _Plan:
    table: str
    timing: tuple
    measures: list[_Measure] = field(default_factory=list)
    levels: set[str] = field(default_factory=lambda: {"all"})
    # the levels each measure is needed at: distinct people are counted only at those, as each
    # level costs the backend a pass over the per-person table
    measure_levels: dict[_Measure, set[str]] = field(default_factory=dict)

    def add(self, measure: _Measure, levels: Iterable[str]) -> None:
        if measure not in self.measures:
            self.measures.append(measure)
        self.levels.update(levels)
        self.measure_levels.setdefault(measure, {"all"}).update(levels)

    def levels_of(self, measures: Iterable[_Measure]) -> set[str]:
        return set().union({"all"}, *(self.measure_levels[m] for m in measures))


def _timing(definition: MetricDefinition, table: str) -> tuple:
    if definition.overlap is not None:
        return ("overlap", *definition.overlap)
    column = definition.event_date[table]
    return ("none",) if column is None else ("date", column)


def _levels(definition: MetricDefinition, table: str) -> list[str]:
    levels = ["all"]
    if {"organisation", "service"} & definition.breakdowns:
        levels.append("organisation")
    if "service" in definition.breakdowns and SERVICE_COLUMNS.get(table):
        levels.append("service")
    return levels


def _spell_measure(kind: str) -> _Measure:
    return _Measure(SPELLS_TABLE, ("overlap", "admission_date", "discharge_date"), (), kind)


@dataclass(frozen=True)
class _MetricMeasures:
    numerator: dict[str, _Measure]  # by table
    denominator: dict[str, _Measure | None]  # None: the population
    frequency: dict[str, _Measure | None]  # rows with per-person frequency, for repeat events


def _measures_of(definition: MetricDefinition) -> _MetricMeasures:
    numerator, denominator, frequency = {}, {}, {}
    for table in definition.tables:
        timing = _timing(definition, table)
        conditions = definition.scope + definition.numerator
        if definition.statistic in ("mean", "median"):
            numerator[table] = _Measure(
                table, timing, conditions, "values", definition.value_column
            )
        else:
            kind = "people" if definition.count == "people" else "rows"
            numerator[table] = _Measure(table, timing, conditions, kind)
        frequency[table] = None
        if definition.repeat_events:
            frequency[table] = _Measure(table, timing, conditions, "frequency")
        if definition.denominator == "records":
            kind = "people" if definition.count == "people" else "rows"
            denominator[table] = _Measure(table, timing, definition.scope, kind)
        elif definition.denominator == "bed_days":
            denominator[table] = _spell_measure("bed_days")
        elif definition.denominator == "inpatients":
            denominator[table] = _spell_measure("people")
        else:
            denominator[table] = None
    return _MetricMeasures(numerator, denominator, frequency)


# --- Periods ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    """The whole months the results cover: month keys yyyymm and epoch-day bounds."""

    months: tuple[int, ...]
    first_day: int  # epoch day of the first day
    end_day: int  # epoch day after the last day

    @classmethod
    def between(cls, start: dt.date, end: dt.date) -> "_Window":
        first = dt.date(start.year, start.month, 1)
        months = []
        month = first
        while month <= end:
            months.append(month.year * 100 + month.month)
            month = _next_month(month)
        epoch = dt.date(1970, 1, 1)
        return cls(tuple(months), (first - epoch).days, (month - epoch).days)

    def calendar(self) -> pa.Table:
        epoch = dt.date(1970, 1, 1)
        starts = [dt.date(key // 100, key % 100, 1) for key in self.months]
        return pa.table(
            {
                "cal_month": pa.array(self.months, pa.int64()),
                "cal_start": pa.array([(d - epoch).days for d in starts], pa.int64()),
                "cal_end": pa.array([(_next_month(d) - epoch).days for d in starts], pa.int64()),
            }
        )


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _period_key(month_key, period_type: str):
    """The integer key of a month's period (works on Ibis and numpy/pandas values alike):
    yyyymm for months, yyyyq (financial year start, quarter 1 = April-June) for quarters and
    yyyy (the financial year's first year) for financial years."""
    if period_type == "month":
        return month_key
    year = month_key // 100
    month = month_key % 100
    financial_year = (
        year - (month < 4) if not hasattr(month, "op") else year - (month < 4).cast("int64")
    )
    if period_type == "financial_year":
        return financial_year
    return financial_year * 10 + ((month + 8) % 12) // 3 + 1


def _period_labels(keys: pd.Series, period_type: str) -> pd.Series:
    keys = keys.astype("int64")
    if period_type == EXTRACT:
        return pd.Series(ALL, index=keys.index)
    if period_type == "month":
        return (keys // 100).astype(str) + "-" + (keys % 100).astype(str).str.zfill(2)
    year = keys // 10 if period_type == "quarter" else keys
    label = year.astype(str) + "/" + ((year + 1) % 100).astype(str).str.zfill(2)
    if period_type == "quarter":
        label = label + " Q" + (keys % 10).astype(str)
    return label


# --- Compiling a plan to Ibis -----------------------------------------------------------------


def _condition(columns: Mapping, condition: Condition):
    column = columns[condition.column]
    operator, value = condition.operator, condition.value
    if operator == "in":
        return column.isin(sorted(value, key=str)).fill_null(False)
    if operator == "not_in":
        return column.isnull() | ~column.isin(sorted(value, key=str)).fill_null(False)
    if operator == "is_null":
        return column.isnull()
    if operator == "not_null":
        return column.notnull()
    compare = {
        "eq": column == value,
        "ne": column != value,
        "lt": column < value,
        "le": column <= value,
        "gt": column > value,
        "ge": column >= value,
    }[operator]
    return compare.fill_null(False)


def _flag(columns: Mapping, conditions: Sequence[Condition]):
    test = ibis.literal(True)
    for condition in conditions:
        test = test & _condition(columns, condition)
    return test.cast("int64")


def _broad_group(code):
    branches = [
        (code.isin(sorted(c for c, g in _BROAD_OF_CODE.items() if g == group)), group)
        for group in dict.fromkeys(_BROAD_OF_CODE.values())
    ]
    return ibis.cases(*branches, else_=ibis.null("string"))


def _age_band(age):
    branches = []
    for label in AGE_BANDS:
        first, _, last = label.partition("-")
        first = int(first.rstrip("+"))
        if label.endswith("+"):
            branches.append((age >= first, label))
        else:
            branches.append(((age >= first) & (age <= int(last)), label))
    return ibis.cases(*branches, else_=ibis.null("string"))


def _reliable_improvement(table):
    change = table.last_score - table.first_score
    tests = []
    for code, measure in OUTCOME_MEASURES.items():
        improved = -change if measure["better"] == "lower" else change
        tests.append((table.measure_code == code) & (improved >= measure["reliable_change"]))
    test = tests[0]
    for other in tests[1:]:
        test = test | other
    return test.fill_null(False)


class _Compiler:
    """Turns plans into Ibis expressions on one connection and runs them."""

    def __init__(self, connection, tables: Mapping[str, object], window: _Window, run=0):
        self.connection = connection
        self.tables = tables
        self.window = window
        self.run_number = run
        self._calendar = None

    def calendar(self):
        """The window's months as a temporary table: a memtable would not survive Spark's
        cache of the expressions that use it."""
        if self._calendar is None:
            name = f"pcref_run{self.run_number}_calendar"
            if self.connection.name == "pyspark":  # no temporary tables through Ibis
                session = self.connection._session
                frame = session.createDataFrame(self.window.calendar().to_pandas())
                frame.createOrReplaceTempView(name)
                self._calendar = self.connection.table(name)
            else:
                self._calendar = self.connection.create_table(
                    name, self.window.calendar(), temp=True, overwrite=True
                )
        return self._calendar

    def enriched(self, table_name: str, timing: tuple) -> tuple[object, dict]:
        """The table's rows in the window, and the expressions of its columns on them: the
        table's own, month_key, organisation, service, the person's code, status, broad group,
        sex and age band, and the derived columns. Expressions, not a mutate per step: Ibis's
        compile time grows with every nested select, and the plan is compiled for each query
        sent to the backend."""
        table = self.tables[table_name]
        if table_name in SELF_IDENTIFIED_TABLES:
            rows = table
        elif table_name == PATIENTS_TABLE:
            # each row is its own person (person_id is the table's key): no self-join, which at
            # national scale would cost a second pass over millions of rows
            rows = table.filter(table.person_id.notnull())
        else:
            patients = self.tables[PATIENTS_TABLE]
            person = patients.select(
                _pid=patients.person_id,
                _code=patients.ethnic_category_code,
                _status=patients.ethnicity_status,
                _sex=patients.sex,
                _birth=patients.year_of_birth,
                _person_org=patients.organisation_code,
            )
            rows = table.left_join(person, table.person_id == person._pid)
        if timing[0] == "date":
            day = rows[timing[1]].epoch_days()
            rows = rows.filter(day >= self.window.first_day, day < self.window.end_day)
        elif timing[0] == "overlap":
            calendar = self.calendar()
            start, end = rows[timing[1]].epoch_days(), rows[timing[2]].epoch_days()
            rows = rows.join(
                calendar,
                [start < calendar.cal_end, end.isnull() | (end >= calendar.cal_start)],
            )
        columns = {name: rows[name] for name in rows.columns}
        if table_name in SELF_IDENTIFIED_TABLES:
            code, status = rows.ethnic_category_code, rows.ethnicity_status
            sex, birth = ibis.null("string"), ibis.null("int64")
            person_id, person_org = rows.response_id, rows.organisation_code
        elif table_name == PATIENTS_TABLE:
            code, status, sex = rows.ethnic_category_code, rows.ethnicity_status, rows.sex
            birth, person_id, person_org = (
                rows.year_of_birth,
                rows.person_id,
                rows.organisation_code,
            )
        else:
            code, status, sex = rows._code, rows._status, rows._sex
            birth, person_id, person_org = rows._birth, rows.person_id, rows._person_org
        status = status.fill_null("missing")
        if table_name == SPELLS_TABLE:
            columns["length_of_stay"] = (
                rows.discharge_date.epoch_days() - rows.admission_date.epoch_days()
            ).cast("int64")
        if table_name == "mhs606_outcome_measures":
            columns["reliable_improvement"] = _reliable_improvement(rows)
        if timing[0] == "date":
            month_key = (rows[timing[1]].year() * 100 + rows[timing[1]].month()).cast("int64")
        elif timing[0] == "overlap":
            start, end = rows[timing[1]].epoch_days(), rows[timing[2]].epoch_days()
            stay_end = ibis.least(end.fill_null(self.window.end_day), rows.cal_end)
            days = stay_end - ibis.greatest(start, rows.cal_start)
            month_key = rows.cal_month
            columns["_overlap_days"] = ibis.greatest(days, 0).cast("int64")
        else:
            month_key = ibis.literal(0, "int64")
        financial_year = _period_key(month_key, "financial_year")
        organisation = rows.organisation_code if "organisation_code" in rows.columns else person_org
        service_column = SERVICE_COLUMNS.get(table_name)
        service = rows[service_column] if service_column else ibis.literal(ALL)
        columns.update(
            month_key=month_key,
            _person=person_id,
            organisation=organisation.fill_null("unknown"),
            service=service.fill_null("unknown"),
            code=code,
            status=status,
            sex=sex,
            age_band=_age_band(financial_year - birth.cast("int64")),
            ethnic_category_code=code,
            ethnicity_status=status,
            broad_group=_broad_group(code),
        )
        return rows, columns

    def run(self, plan: _Plan, period_types: Sequence[str]) -> "_PlanResult":
        rows, columns = self.enriched(plan.table, plan.timing)
        flags = {}
        for measure in plan.measures:
            flag = _flag(columns, measure.conditions)
            if measure.kind == "bed_days":
                flag = flag * columns["_overlap_days"]
            flags[measure.key] = flag
        fine = ["month_key", "organisation", "service", *_ATTRIBUTES]
        values = {m.value_column for m in plan.measures if m.kind == "values"}
        # one select of only what the counts read
        table = rows.select(
            **{name: columns[name] for name in ["_person", *fine, *sorted(values)]}, **flags
        )
        grains = {"all": _GRAINS["all"]}
        if plan.levels - {"all"}:
            grains["location"] = _GRAINS["location"]
        result = _PlanResult(plan)
        additive = [m for m in plan.measures if m.kind in ("rows", "bed_days")]
        personal = [m for m in plan.measures if m.kind in ("people", "frequency")]
        valued = [m for m in plan.measures if m.kind == "values"]
        wanted = plan.levels_of(personal) if personal else set()
        levels = [level for level in _LEVELS if level in wanted]
        # the rows with only the columns the counts read, cached when more than one query
        # reads them, so the join to the person and the flags are worked out once
        cached = len(valued) + bool(additive) + len(levels) > 1
        source = table.cache() if cached else table
        try:
            for measure in valued:
                chosen = source.filter(source[measure.key] == 1).mutate(
                    value=source[measure.value_column].cast("float64")
                )
                counts = chosen.group_by([*_union(grains), "value"]).aggregate(count=ibis._.count())
                result.values[measure.key] = counts.to_pyarrow()
            if additive:
                counts = source.group_by(_union(grains)).aggregate(
                    **{m.key: source[m.key].sum() for m in additive}
                )
                result.fine = counts.to_pyarrow()
            if personal:
                result.people = pa.concat_tables(
                    self._people(source, personal, period_types, level) for level in levels
                )
        finally:
            if cached:
                source.release()
        return result

    def _people(self, people, measures, period_types: Sequence[str], level: str) -> pa.Table:
        """Distinct people in each period type at one location level, by group and by each
        combination of the measures' per-person counts, from the plan's rows (`people`).

        One query for every period type (a union), grouped by person and period: grouping by
        person and month first saves nothing (referrals are about one per person and month).
        One query a period type and level cost a compile and a round trip each (a second each
        on Spark); one a level doubles the peak memory at national scale; one for every level
        as well was slower there (docs/metrics.md)."""
        keys = ["period_type", "level", "period_key", "organisation", "service", *_ATTRIBUTES]
        locations = _location_columns(level)
        attributes = _level_attributes(level)
        rows = ibis.union(
            *(
                people.select(
                    "_person",
                    *(m.key for m in measures),
                    period_type=ibis.literal(period_type),
                    level=ibis.literal(level),
                    period_key=_period_key(people.month_key, period_type).cast("int64"),
                    organisation=(
                        people.organisation if "organisation" in locations else ibis.literal(ALL)
                    ),
                    service=people.service if "service" in locations else ibis.literal(ALL),
                    **{
                        column: people[column] if column in attributes else ibis.null("string")
                        for column in _ATTRIBUTES
                    },
                )
                for period_type in period_types
            ),
            distinct=False,
        )
        per_person = rows.group_by(["_person", *keys]).aggregate(
            **{m.key: rows[m.key].sum() for m in measures}
        )
        counts = {}
        for measure in measures:
            column = per_person[measure.key]
            counts[measure.key] = (
                column if measure.kind == "frequency" else (column > 0).cast("int64")
            )
        grouped = (
            per_person.mutate(**counts).group_by([*keys, *counts]).aggregate(persons=ibis._.count())
        )
        return grouped.to_pyarrow()

    def population(self) -> pd.DataFrame:
        table = self.tables[POPULATION_TABLE]
        grouped = table.group_by(["census2021_ethnic_group", "sex", "age_band"]).aggregate(
            population=table.population.cast("float64").sum()
        )
        return _frame(grouped)

    def date_range(self, table_name: str, column: str) -> tuple[int | None, int | None]:
        table = self.tables[table_name]
        day = table[column].epoch_days()
        row = _frame(table.aggregate(first=day.min(), last=day.max()))
        first, last = row["first"].iloc[0], row["last"].iloc[0]
        return (None if pd.isna(first) else int(first)), (None if pd.isna(last) else int(last))


def _frame(expression) -> pd.DataFrame:
    return _pandas(expression.to_pyarrow())


def _pandas(table: pa.Table) -> pd.DataFrame:
    frame = table.to_pandas()
    if not len(frame):  # an empty Arrow column converts to text of no chunks, which pandas
        # cannot merge: the same columns made by pandas
        frame = pd.DataFrame(
            {name: pd.Series([], dtype=kind) for name, kind in frame.dtypes.items()}
        )
    return frame


def _union(grains: Mapping[str, list[str]]) -> list[str]:
    """The columns of every grain: the finest grain all of them roll up from."""
    return list(dict.fromkeys(itertools.chain.from_iterable(grains.values())))


def _location_columns(level: str) -> list[str]:
    return {"all": [], "organisation": ["organisation"], "service": ["organisation", "service"]}[
        level
    ]


def _level_attributes(level: str) -> list[str]:
    return _ATTRIBUTES if level == "all" else _LOCATION_ATTRIBUTES


@dataclass
class _PlanResult:
    plan: _Plan
    # Arrow tables, each small: sums of the additive measures by month, location and group at
    # the finest grain any level needs; people by period, level and group for each combination
    # of the per-person counts; rows by value for each "values" measure (measure key -> table)
    fine: pa.Table | None = None
    people: pa.Table | None = None
    values: dict = field(default_factory=dict)


# --- Long tables of counts, shared by the metrics ---------------------------------------------

_ROW_KEYS = ["period_type", "period_key", "organisation", "service"]
_GROUP_KEYS = [*_ROW_KEYS, "group_scheme", "group"]
_SCHEMES = (ALL, "broad", "detailed", "age_band", "sex", "excluded")
_LOCATION_SCHEMES = frozenset({ALL, "dataset", "broad", "excluded"})
_REFERENCE = "reference"  # the cube's scheme of comparison groups: each group's codes summed


def _names(columns: Iterable[str]) -> list[str]:
    """Column names quoted for SQL ("group" is a keyword)."""
    return [f'"{column}"' for column in columns]


def _quoted(text: str) -> str:
    """A SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def _texts(values: Iterable[str]) -> str:
    return ", ".join(_quoted(value) for value in sorted(values))


def _period_sql(period_type: str) -> str:
    """`_period_key` in SQL, on an integer column month_key."""
    if period_type == EXTRACT:
        return "0"
    if period_type == "month":
        return "month_key"
    financial_year = "(month_key // 100 - CAST(month_key % 100 < 4 AS BIGINT))"
    if period_type == "financial_year":
        return financial_year
    return f"({financial_year} * 10 + ((month_key % 100 + 8) % 12) // 3 + 1)"


def _scheme_branches(table: str) -> list[tuple[str, str, str]]:
    """(scheme, group expression, condition) of every scheme, the dataset and each comparison
    group, on a long table with level, code and status. The schemes outside
    `_LOCATION_SCHEMES` are reported for the whole extract only (level "all")."""
    broad = " ".join(f"WHEN {_quoted(c)} THEN {_quoted(g)}" for c, g in _BROAD_OF_CODE.items())
    valid = "status = 'valid'"
    schemes = [
        (ALL, _quoted(ALL), "TRUE"),
        ("broad", f"CASE code {broad} END", valid),
        ("detailed", "code", f"{valid} AND code IN ({_texts(_BROAD_OF_CODE)})"),
        ("age_band", "age_band", "TRUE"),
        ("sex", "sex", "TRUE"),
        ("excluded", "status", "status <> 'valid'"),
        ("dataset", _quoted(table), "TRUE"),
    ]
    branches = [
        (
            scheme,
            group,
            condition if scheme in _LOCATION_SCHEMES else f"{condition} AND level = 'all'",
        )
        for scheme, group, condition in schemes
    ]
    for name, group in COMPARISON_GROUPS.items():
        branches.append((_REFERENCE, _quoted(name), f"{valid} AND code IN ({_texts(group.codes)})"))
    return branches


# The codes the schemes' conditions name; any other code meets only the conditions of "".
_SCHEME_CODES = sorted(set(_BROAD_OF_CODE).union(*(g.codes for g in COMPARISON_GROUPS.values())))


def _scheme_map_sql() -> str:
    """The branches of `_scheme_branches` whose condition each kind of row meets, as a table
    (map_level, map_status, map_code, branch): a cube's rows join it once (`_scheme_key_sql`)
    where a UNION ALL of a filter per branch scanned them once a branch. The conditions read
    only level, status and code, so a row's kind is "all" or not, "valid" or not, and its code
    if valid and named by some condition, else ""."""
    codes = ", ".join(f"({_quoted(code)})" for code in ["", *_SCHEME_CODES])
    domain = (
        "SELECT * FROM (VALUES ('all'), ('organisation')) AS l(level), "
        "(VALUES ('valid'), ('other')) AS s(status), "
        f"(VALUES {codes}) AS c(code)"
    )
    meets = [
        f"SELECT level AS map_level, status AS map_status, code AS map_code, {number} AS branch "
        f"FROM domain WHERE {condition}"
        for number, (_, _, condition) in enumerate(_scheme_branches(""))
    ]
    return f"WITH domain AS ({domain}) {' UNION ALL '.join(meets)}"


def _scheme_key_sql(row: str) -> str:
    """The join of a row (`row` its alias) to the scheme map."""
    return (
        f"map_level = CASE WHEN {row}.level = 'all' THEN 'all' ELSE 'organisation' END "
        f"AND map_status = CASE WHEN {row}.status = 'valid' THEN 'valid' ELSE 'other' END "
        f"AND map_code = CASE WHEN {row}.status = 'valid' AND {row}.code IN "
        f"({_texts(_SCHEME_CODES)}) THEN {row}.code ELSE '' END"
    )


class _Counts:
    """The plans' aggregated tables rolled up to every period type, location level and group
    scheme: one "cube" per plan and family of counts, built by an in-process DuckDB from the
    backend's small Arrow tables whatever the backend (one SQL statement with a branch per
    period type, level and scheme, where pandas needed dozens of group-bys). Cached: metrics
    share measures.

    Families: "additive" (rows and bed days) and "people" hold a column per measure of the
    plan, so a table's dozens of measures share one statement; "frequency" (people by how many
    events they had, column persons, extra key times) and "values" (rows by value, column
    count, extra key value) are one measure each."""

    def __init__(self, results: Mapping[tuple, "_PlanResult"], periods: Sequence[str]):
        import duckdb  # the local engine of the roll-ups, whichever backend counted

        self.results = results
        self.periods = list(periods)
        self.sql = duckdb.connect()
        self.sql.execute(f"CREATE TEMPORARY TABLE scheme_map AS {_scheme_map_sql()}")
        self._cubes: dict = {}  # cube key -> table name
        self._frames: dict = {}  # table name -> frames by scheme, made on first use
        self._grouped: dict = {}
        self._reference: dict = {}

    def close(self) -> None:
        self.sql.close()

    @staticmethod
    def _family(measure: _Measure) -> str:
        if measure.kind in ("rows", "bed_days"):
            return "additive"
        return {"people": "people", "frequency": "frequency"}.get(measure.kind, "values")

    def _column(self, measure: _Measure, value: str) -> str:
        return measure.key if self._family(measure) in ("additive", "people") else value

    def cube(self, measure: _Measure, extra: tuple = ()) -> dict:
        """Sums by period, location and group for every scheme of `measure`'s cube: a frame
        per scheme, and per comparison group under (_REFERENCE, name)."""
        name = self.cube_table(measure, extra)
        if name not in self._frames:
            self._frames[name] = self._split(name)
        return self._frames[name]

    def cube_table(self, measure: _Measure, extra: tuple = ()) -> str:
        """The name of the temporary table holding `measure`'s cube (built on first use), for
        SQL over the cubes (`_crude_rows`): keys `_GROUP_KEYS` and `extra`, a column per
        measure of the family (`column`); comparison groups under group_scheme 'reference'."""
        family = self._family(measure)
        plan_key = (measure.table, measure.timing)
        key = (plan_key, family, None if family in ("additive", "people") else measure, extra)
        if key not in self._cubes:
            self._cubes[key] = self._build(measure, family, extra, f"cube{len(self._cubes)}")
        return self._cubes[key]

    def column(self, measure: _Measure) -> str:
        """The column of `measure` in its cube table (additive and people families)."""
        return self._column(measure, "count")

    def _split(self, name: str) -> dict:
        frame = _pandas(self.sql.table(name).to_arrow_table())
        cube = {scheme: part for scheme, part in frame.groupby("group_scheme", sort=False)}
        reference = cube.pop(_REFERENCE, frame.iloc[:0])
        for group in COMPARISON_GROUPS:
            cube[(_REFERENCE, group)] = reference[reference["group"] == group]
        cube[None] = frame.iloc[:0]  # what a scheme without rows gives
        return cube

    def _build(self, measure: _Measure, family: str, extra: tuple, name: str) -> str:
        result = self.results[(measure.table, measure.timing)]
        plan = result.plan
        if family in ("additive", "people"):
            columns = [m.key for m in plan.measures if self._family(m) == family]
        else:
            columns = ["persons" if family == "frequency" else "count"]
        if family in ("people", "frequency"):
            source, long = result.people, self._people_long(measure, family, columns)
        else:
            source = result.fine if family == "additive" else result.values[measure.key]
            long = self._fine_long(measure, plan, columns, source.column_names, extra)
        branches = _scheme_branches(measure.table)
        schemes = " ".join(
            f"WHEN {number} THEN {_quoted(scheme)}"
            for number, (scheme, _, _) in enumerate(branches)
        )
        groups = " ".join(
            f"WHEN {number} THEN {group}" for number, (_, group, _) in enumerate(branches)
        )
        keys = _names([*_GROUP_KEYS, *extra])
        present = " AND ".join(f"{name} IS NOT NULL" for name in _names(["group", *extra]))
        sums = ", ".join(f"CAST(sum({c}) AS DOUBLE) AS {c}" for c in _names(columns))
        # MATERIALIZED: inlined, the period and level sums were planned around the scheme
        # join and the statement took twice as long (0.17 s -> 0.07 s for referrals at trust)
        query = (
            f"WITH long AS MATERIALIZED ({long}) SELECT {', '.join(keys)}, {sums} FROM ("
            f"SELECT long.*, CASE branch {schemes} END AS group_scheme, "
            f'CASE branch {groups} END AS "group" '
            f"FROM long JOIN scheme_map ON {_scheme_key_sql('long')}"
            f") WHERE {present} GROUP BY ALL"
        )
        self.sql.register("source", source)
        try:
            self.sql.execute(f"CREATE TEMPORARY TABLE {name} AS {query}")
        finally:
            self.sql.unregister("source")
        return name

    def _fine_long(self, measure, plan, columns, present, extra) -> str:
        """The backend's monthly counts summed at each level of the plan, then at each period
        type: summing before the schemes multiply the rows keeps the statement small."""
        period_types = [EXTRACT] if measure.timing == ("none",) else self.periods
        summed = _names(columns)
        sums = ", ".join(f"sum({c}) AS {c}" for c in summed)
        value = ', "value"' if "value" in present else ""  # a key of the "values" family
        levels = []
        for level in _LEVELS:
            if level not in plan.levels:
                continue
            locations = _location_columns(level)
            everyone = level == "all"
            levels.append(
                f"SELECT {_quoted(level)} AS level, "
                f"{'organisation' if 'organisation' in locations else _quoted(ALL)} "
                f"AS organisation, "
                f"{'service' if 'service' in locations else _quoted(ALL)} AS service, "
                f"month_key, code, status, "
                f"{'sex' if everyone else 'NULL'} AS sex, "
                f"{'age_band' if everyone else 'NULL'} AS age_band{value}, {sums} "
                f"FROM source GROUP BY ALL"
            )
        periods = [
            f"SELECT {_quoted(period_type)} AS period_type, "
            f"CAST({_period_sql(period_type)} AS BIGINT) AS period_key, * EXCLUDE (month_key) "
            f"FROM levels"
            for period_type in period_types
        ]
        return (
            f"WITH levels AS ({' UNION ALL '.join(levels)}) "
            f"SELECT * EXCLUDE ({', '.join(summed)}), {sums} "
            f"FROM ({' UNION ALL '.join(periods)}) GROUP BY ALL"
        )

    def _people_long(self, measure, family, columns) -> str:
        """People at each period type and level: a measure's column counts those with at
        least one counted row; frequency keeps how many rows (times) each person had."""
        keys = "period_type, period_key, level, organisation, service, code, status, sex, age_band"
        if family == "people":
            sums = ", ".join(
                f"sum(CASE WHEN {c} > 0 THEN persons ELSE 0 END) AS {c}" for c in columns
            )
            return f"SELECT {keys}, {sums} FROM source GROUP BY {keys}"
        return (
            f"SELECT {keys}, {measure.key} AS times, sum(persons) AS persons FROM source "
            f"WHERE {measure.key} > 0 GROUP BY {keys}, {measure.key}"
        )

    def most_times(self, measures) -> int:
        """The most events any one person had, over the frequency measures (at least 1)."""
        most = 0
        for measure in measures:
            people = self.results[(measure.table, measure.timing)].people
            if people is not None and people.num_rows:
                most = max(most, int(pc.max(people[measure.key]).as_py() or 0))
        return max(1, most)

    def grouped(self, measures, schemes, value="count", extra=()) -> pd.DataFrame:
        """Sums of `value` by period, location and group, for each scheme; the schemes other
        than all, dataset, broad and excluded at the "all" level only."""
        key = (tuple(measures), tuple(schemes), value, tuple(extra))
        if key not in self._grouped:
            parts = []
            for measure in measures:
                cube = self.cube(measure, tuple(extra))
                column = self._column(measure, value)
                chosen = [cube.get(scheme, cube[None]) for scheme in schemes]
                part = pd.concat(chosen, ignore_index=True) if len(chosen) > 1 else chosen[0]
                parts.append(part[[*_GROUP_KEYS, *extra, column]].rename(columns={column: value}))
            self._grouped[key] = _summed(parts, [*_GROUP_KEYS, *extra], value)
        return self._grouped[key]

    def reference(self, measures, group: str, value="count", extra=()) -> pd.DataFrame:
        """Sums of `value` by period and location for a comparison group's codes."""
        key = (tuple(measures), group, value, tuple(extra))
        if key not in self._reference:
            parts = []
            for measure in measures:
                column = self._column(measure, value)
                part = self.cube(measure, tuple(extra))[(_REFERENCE, group)]
                parts.append(part[[*_ROW_KEYS, *extra, column]].rename(columns={column: value}))
            self._reference[key] = _summed(parts, [*_ROW_KEYS, *extra], value)
        return self._reference[key]


def _summed(parts: list[pd.DataFrame], keys: list[str], value: str) -> pd.DataFrame:
    """One part as it is; several (a metric over several tables or schemes) summed by keys."""
    if len(parts) == 1:
        return parts[0].reset_index(drop=True)
    frame = pd.concat(parts, ignore_index=True)
    return frame.groupby(keys, sort=False)[value].sum().reset_index()


# --- Population denominators ------------------------------------------------------------------

_CENSUS = pd.DataFrame(
    {
        "census2021_ethnic_group": [str(g.census2021_code) for g in CENSUS_2021_GROUPS],
        "detailed": [g.nhs_code for g in CENSUS_2021_GROUPS],
        "broad": [g.nhs_broad_group_for_statistics for g in CENSUS_2021_GROUPS],
    }
)


class _Population:
    """Residents by group, and person-years per period: residents × months of the window in
    the period / 12, so rates are per year whatever the period."""

    def __init__(self, frame: pd.DataFrame, window: _Window, periods: Sequence[str]):
        self.frame = frame.merge(_CENSUS, on="census2021_ethnic_group", how="left").assign(all=ALL)
        months = pd.Series(window.months, dtype="int64")
        self.years = pd.concat(
            [
                pd.DataFrame(
                    {
                        "period_type": period_type,
                        "period_key": counts.index.astype("int64"),
                        "years": counts.to_numpy() / 12,
                    }
                )
                for period_type in periods
                for counts in [months.groupby(_period_key(months, period_type)).size()]
            ],
            ignore_index=True,
        )
        self._residents = {}

    def residents(self, extra=()) -> pd.DataFrame:
        """Residents by scheme and group (sex: 1 and 2 only)."""
        key = tuple(extra)
        if key not in self._residents:
            parts = []
            for scheme in (ALL, "broad", "detailed", "age_band", "sex"):
                if scheme in extra:
                    continue
                frame = self.frame[self.frame[scheme].notna()]
                if scheme == "sex":
                    frame = frame[frame["sex"].isin(["1", "2"])]
                grouped = frame.groupby([scheme, *extra], sort=False)["population"].sum()
                parts.append(
                    grouped.reset_index()
                    .rename(columns={scheme: "group"})
                    .assign(group_scheme=scheme)
                )
            self._residents[key] = pd.concat(parts, ignore_index=True)
        return self._residents[key]

    def grid(self) -> pd.DataFrame:
        """Person-years of every group in every period: the population denominators."""
        grid = self.years.merge(self.residents(), how="cross")
        return grid.assign(
            denominator=grid["population"] * grid["years"], organisation=ALL, service=ALL
        )[[*_GROUP_KEYS, "denominator"]]

    def reference(self, group: str, extra=()) -> pd.DataFrame:
        census = sorted(COMPARISON_GROUPS[group].census_codes)
        chosen = self.frame[self.frame["census2021_ethnic_group"].isin(census)]
        if not extra:
            return pd.DataFrame({"population": [float(chosen["population"].sum())]})
        return chosen.groupby(list(extra), sort=False)["population"].sum().reset_index()


# --- Statistics on whole arrays ---------------------------------------------------------------


def _estimate(statistic: str, multiplier: float, numerator, denominator, confidence) -> tuple:
    """value, lower, upper and method of every row at once (no loop over rows): a crude rate
    (Byar/exact) or a Wilson proportion, from arrays of numerators and denominators."""
    numerator = np.asarray(numerator, float)
    denominator = np.asarray(denominator, float)
    value = np.full(len(numerator), np.nan)
    lower, upper = value.copy(), value.copy()
    method = np.full(len(numerator), "", dtype=object)
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(numerator) & np.isfinite(denominator) & (denominator > 0)
        if statistic == "proportion":
            usable &= numerator <= denominator
    if usable.any():
        compute = stats.proportion if statistic == "proportion" else stats.rate
        estimate = compute(numerator[usable], denominator[usable], confidence, multiplier)
        value[usable], lower[usable], upper[usable] = (
            estimate.value,
            estimate.lower,
            estimate.upper,
        )
        method[usable] = estimate.method
    return value, lower, upper, method


def _numbered(first: pd.DataFrame, second: pd.DataFrame, keys: list[str]) -> tuple:
    """A number for each combination of `keys` found in either frame, the same in both: the
    numbers of the first frame's rows and of the second's. Picking rows by number is cheaper
    than reindexing by a MultiIndex of text columns."""
    both = pd.concat([first[keys], second[keys]], ignore_index=True)
    numbers = both.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    return numbers[: len(first)], numbers[len(first) :]


@dataclass
class _CountTable:
    """Counts for each combination of keys: the combinations (`keys`, one row each) and their
    counts (rows × the table's shape: age bands, frequencies 1..width, or both)."""

    keys: pd.DataFrame
    counts: np.ndarray


def _count_table(frame: pd.DataFrame, index: list[str], value: str, axes: list, shape: tuple):
    """The `_CountTable` of a frame of grouped sums (one row per combination of `index` and
    position), `axes` giving each row's position along each dimension of `shape` (-1: none, the
    row left out). Half the time of unstacking and reindexing by a MultiIndex of text."""
    if frame.empty:
        return None
    numbers = frame.groupby(index, sort=False, dropna=False).ngroup().to_numpy()
    _, first = np.unique(numbers, return_index=True)
    kept = np.logical_and.reduce([axis >= 0 for axis in axes])
    counts = np.zeros((len(first), *shape))
    values = frame[value].fillna(0).to_numpy(float)
    counts[(numbers[kept], *(axis[kept] for axis in axes))] = values[kept]
    return _CountTable(frame[index].iloc[first].reset_index(drop=True), counts)


def _table_rows(table: _CountTable | None, keys: pd.DataFrame, shape: tuple, fill=0.0):
    """The counts of a `_CountTable` for each row of `keys` (`fill` where it has none), as an
    array of shape (rows, *shape)."""
    if table is None or keys.empty:
        return np.full((len(keys), *shape), fill)
    wanted, have = _numbered(keys, table.keys, list(keys.columns))
    position = np.full(max(wanted.max(), have.max()) + 1, -1)
    position[have] = np.arange(len(have))
    found = position[wanted]
    rows = np.full((len(keys), *shape), fill)
    rows[found >= 0] = table.counts[found[found >= 0]]
    return rows


def _times(frame: pd.DataFrame, width: int) -> np.ndarray:
    """Each row's position among frequencies 1..width (-1 outside them)."""
    times = frame["times"].to_numpy(np.int64)
    return np.where((times >= 1) & (times <= width), times - 1, -1)


def _frequency_matrix(frequencies: pd.DataFrame, keys: list[str], rows: pd.DataFrame, width):
    """People with exactly 1..width events, one row per row of `rows` (joined on keys).

    The counts are set straight into a matrix by the joint number of their keys (one
    numbering), not made a `_CountTable` first: that numbers the keys twice, and the matrices
    are made for every compared row of every repeat-event metric."""
    if frequencies.empty or rows.empty:
        return np.zeros((len(rows), width))
    mine, theirs = _numbered(rows, frequencies, keys)
    times = _times(frequencies, width)
    kept = times >= 0
    matrix = np.zeros((max(mine.max(), theirs.max()) + 1, width))
    matrix[theirs[kept], times[kept]] = frequencies["persons"].to_numpy(float)[kept]
    return matrix[mine]


def _ratios(definition, x1, n1, x2, n2, frequencies, confidence) -> tuple:
    """ratio, lower, upper and method of each row against its reference (x2 of n2): rate,
    proportion or (with `frequencies`, people by events in each row's group and its
    reference) repeat-event rate ratios, on whole arrays."""
    x1, n1, x2, n2 = (np.asarray(column, float) for column in (x1, n1, x2, n2))
    ratio = np.full(len(x1), np.nan)
    lower, upper = ratio.copy(), ratio.copy()
    method = np.full(len(x1), "", dtype=object)
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(x1 + x2 + n1 + n2) & (n1 > 0) & (n2 > 0)
        if definition.statistic == "proportion":
            usable &= (x1 <= n1) & (x2 <= n2)
    if usable.any():
        if definition.statistic == "proportion":
            estimate = stats.proportion_ratio(
                x1[usable], n1[usable], x2[usable], n2[usable], confidence
            )
        elif definition.repeat_events:
            own, reference = frequencies
            estimate = stats.repeat_event_rate_ratio(
                own[usable],
                n1[usable],
                reference[usable],
                n2[usable],
                np.arange(1, own.shape[1] + 1),
                confidence,
            )
        else:
            estimate = stats.rate_ratio(x1[usable], n1[usable], x2[usable], n2[usable], confidence)
        ratio[usable], lower[usable], upper[usable] = (
            estimate.value,
            estimate.lower,
            estimate.upper,
        )
        method[usable] = estimate.method
    return ratio, lower, upper, method


# --- Means and medians from counts by value ---------------------------------------------------


def _summarise_values(rows: pd.DataFrame, statistic: str, confidence) -> pd.DataFrame:
    """Mean (Student's t) or median of each group from its counts by value, on whole arrays:
    numerator is the sum of the values, denominator their number."""
    keys = _GROUP_KEYS
    rows = rows.sort_values([*keys, "value"], kind="stable").reset_index(drop=True)
    counts = rows["count"].to_numpy(float)
    values = rows["value"].to_numpy(float)
    grouped = rows.assign(_weighted=values * counts).groupby(keys, sort=False)
    number = grouped["count"].transform("sum").to_numpy(float)
    total = grouped["_weighted"].transform("sum").to_numpy(float)
    mean = total / number
    cumulative = grouped["count"].cumsum().to_numpy(float)
    before = cumulative - counts
    # the two middle positions: the same for an odd number of values, neighbours for even
    low, high = np.floor((number + 1) / 2), np.floor(number / 2) + 1
    rows = rows.assign(
        numerator=total,
        denominator=number,
        _mean=mean,
        _squares=counts * (values - mean) ** 2,
        _low=np.where((before < low) & (low <= cumulative), values, np.nan),
        _high=np.where((before < high) & (high <= cumulative), values, np.nan),
    )
    summary = (
        rows.groupby(keys, sort=False)
        .agg(
            numerator=("numerator", "first"),
            denominator=("denominator", "first"),
            mean=("_mean", "first"),
            squares=("_squares", "sum"),
            low=("_low", "max"),
            high=("_high", "max"),
        )
        .reset_index()
    )
    columns = [*keys, "numerator", "denominator", "value", "lower", "upper", "method"]
    if statistic == "median":
        return summary.assign(
            value=(summary["low"] + summary["high"]) / 2,
            lower=np.nan,
            upper=np.nan,
            method=_MEDIAN_METHOD,
        )[columns]
    number = summary["denominator"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        deviation = np.where(number > 1, np.sqrt(summary["squares"] / (number - 1)), 0.0)
    estimate = stats.mean_from_summary(
        summary["mean"].to_numpy(float), deviation, number, confidence
    )
    return summary.assign(
        value=estimate.value, lower=estimate.lower, upper=estimate.upper, method=estimate.method
    )[columns]


# --- Age-standardised rates -------------------------------------------------------------------


def _band_table(frame: pd.DataFrame, index: list[str], value: str, width: int | None):
    """Counts by `index`, age band (and frequency 1..width): a `_CountTable` of shape (bands,)
    or (bands, width)."""
    frame = frame[frame["age_band"].isin(list(AGE_BANDS))]
    bands = frame["age_band"].map({band: n for n, band in enumerate(AGE_BANDS)}).to_numpy(int)
    if width is None:
        return _count_table(frame, index, value, [bands], (len(AGE_BANDS),))
    return _count_table(frame, index, value, [bands, _times(frame, width)], (len(AGE_BANDS), width))


def _dsr_method(independent: bool) -> str:
    if independent:
        return "Dobson"
    return "Dobson, with confidence adjusted for non-independent events"


class _Standardiser:
    """DSRs and DSR ratios of one metric, with ESP2013 weights collapsed into the extract's age
    bands (`standard_weights`): every row of a metric in one call of `stats.dsr_many` and
    `stats.dsr_ratio_many`, as a loop of one-group calls cost seconds at trust scale."""

    def __init__(self, definition, counts: _Counts, measures, population: _Population, schemes):
        self.definition = definition
        self.independent = not definition.repeat_events
        if self.independent:
            source = tuple(measures.numerator[t] for t in definition.tables)
            value, extra, self.width = "count", ["age_band"], None
        else:
            source = tuple(measures.frequency[t] for t in definition.tables)
            value, extra = "persons", ["age_band", "times"]
            self.width = counts.most_times(source)
        self.shape = (len(AGE_BANDS),) if self.width is None else (len(AGE_BANDS), self.width)
        grouped = counts.grouped(source, schemes, value, extra)
        self.counts = _band_table(grouped, _GROUP_KEYS, value, self.width)
        self.reference_counts = {
            group: _band_table(
                counts.reference(source, group, value, extra), _ROW_KEYS, value, self.width
            )
            for group in definition.comparison_groups
        }
        residents = population.residents(["age_band"])
        self.populations = _band_table(residents, ["group_scheme", "group"], "population", None)
        self.reference_populations = {}
        for group in definition.comparison_groups:
            people = population.reference(group, ["age_band"]).set_index("age_band")
            self.reference_populations[group] = (
                people["population"].reindex(list(AGE_BANDS), fill_value=0).to_numpy(float)
            )
        self.years = population.years.set_index(["period_type", "period_key"])["years"]

    def _frequencies(self) -> dict:
        if self.width is None:
            return {}
        return {"independent_events": False, "frequencies": np.arange(1, self.width + 1)}

    def _candidates(self, rows: pd.DataFrame) -> "_Candidates":
        """Rows with 10 events or more (§5: fewer give no DSR) whose groups have a population
        in every age band, with their counts, person-years and years as arrays."""
        enough = rows["numerator"].to_numpy(float) >= stats.SMALL_COUNT
        chosen = rows[enough]
        bands = (len(AGE_BANDS),)
        residents = _table_rows(
            self.populations, chosen[["group_scheme", "group"]], bands, fill=np.nan
        )
        usable = (residents > 0).all(axis=1)  # a missing population (NaN) is not > 0
        chosen, residents = chosen[usable], residents[usable]
        periods = pd.MultiIndex.from_frame(chosen[["period_type", "period_key"]])
        years = self.years.reindex(periods).to_numpy(float)
        return _Candidates(
            index=np.flatnonzero(enough)[usable],
            keys=chosen,
            counts=_table_rows(self.counts, chosen[_GROUP_KEYS], self.shape),
            populations=residents * years[:, None],
            years=years,
        )

    def estimates(self, rows: pd.DataFrame, confidence) -> pd.DataFrame:
        value = np.full(len(rows), np.nan)
        lower, upper = value.copy(), value.copy()
        found = self._candidates(rows)
        if len(found.index):
            estimate = stats.dsr_many(
                found.counts,
                found.populations,
                _STANDARD_WEIGHTS,
                confidence,
                self.definition.multiplier,
                age_bands=AGE_BANDS,
                **self._frequencies(),
            )
            value[found.index], lower[found.index], upper[found.index] = (
                estimate.value,
                estimate.lower,
                estimate.upper,
            )
        method = _dsr_method(self.independent)
        return rows.assign(value=value, lower=lower, upper=upper, method=method)

    def ratios(self, rows: pd.DataFrame, group: str, confidence) -> pd.DataFrame:
        ratio = np.full(len(rows), np.nan)
        lower, upper = ratio.copy(), ratio.copy()
        reference_people = self.reference_populations[group]
        found = self._candidates(rows)
        reference = _table_rows(self.reference_counts[group], found.keys[_ROW_KEYS], self.shape)
        totals = reference.reshape(len(reference), math.prod(self.shape)).sum(axis=1)
        usable = totals >= stats.SMALL_COUNT
        if usable.any() and (reference_people > 0).all():
            estimate = stats.dsr_ratio_many(
                found.counts[usable],
                found.populations[usable],
                reference[usable],
                reference_people[None, :] * found.years[usable, None],
                _STANDARD_WEIGHTS,
                confidence,
                age_bands=AGE_BANDS,
                **self._frequencies(),
            )
            index = found.index[usable]
            ratio[index], lower[index], upper[index] = (
                estimate.value,
                estimate.lower,
                estimate.upper,
            )
        method = (
            "log"
            if self.independent
            else ("log, with variance adjusted for non-independent events")
        )
        return rows.assign(ratio=ratio, ratio_lower=lower, ratio_upper=upper, ratio_method=method)


@dataclass
class _Candidates:
    """The rows a metric standardises: their positions, keys, counts (rows × bands [×
    frequencies]), person-years by band and years."""

    index: np.ndarray
    keys: pd.DataFrame
    counts: np.ndarray
    populations: np.ndarray
    years: np.ndarray


# --- One metric -------------------------------------------------------------------------------


def _schemes(definition: MetricDefinition) -> list[str]:
    if len(definition.tables) > 1:
        return [ALL, "dataset"]
    schemes = [ALL, *(scheme for scheme in _SCHEMES[1:-1] if scheme in definition.breakdowns)]
    if definition.statistic == "dsr":
        schemes = [scheme for scheme in schemes if scheme != "age_band"]
    if definition.ethnic:
        schemes.append("excluded")
    return schemes


def _own_levels(rows: pd.DataFrame, definition: MetricDefinition) -> pd.Series:
    """The rows at the location levels the definition asks for (a table's counts may hold
    more, for other metrics reading it)."""
    everywhere = (rows["organisation"] == ALL) & (rows["service"] == ALL)
    if {"organisation", "service"} & definition.breakdowns:
        everywhere |= rows["service"] == ALL
    if "service" in definition.breakdowns:
        everywhere |= rows["service"] != ALL
    return everywhere


def _metric_rows(definition, measures, counts: _Counts, population, confidence) -> pd.DataFrame:
    """Every result row of a definition that standardises (dsr) or summarises values (mean,
    median): values, limits and comparisons. Crude rates and proportions are worked out for
    all their definitions at once (`_crude_rows`)."""
    schemes = _schemes(definition)
    numerators = tuple(measures.numerator[t] for t in definition.tables)
    if definition.statistic in ("mean", "median"):
        grouped = counts.grouped(numerators, schemes, extra=["value"])
        grouped = grouped[_own_levels(grouped, definition)]
        return _summarise_values(grouped, definition.statistic, confidence).assign(
            comparison_group=None
        )
    rows = counts.grouped(numerators, schemes).rename(columns={"count": "numerator"})
    rows = rows[_own_levels(rows, definition)]
    excluded = rows[(rows["group_scheme"] == "excluded") & (rows["numerator"] > 0)]
    grid = population.grid()
    grid = grid[grid["group_scheme"].isin(schemes)]
    rows = grid.merge(rows, on=_GROUP_KEYS, how="left")
    rows = pd.concat([rows, excluded.assign(denominator=np.nan)], ignore_index=True)
    rows["numerator"] = rows["numerator"].fillna(0.0)
    standardiser = _Standardiser(definition, counts, measures, population, schemes)
    rows = standardiser.estimates(rows, confidence)
    if not definition.comparison_groups:
        return rows.assign(comparison_group=None)
    ethnic = rows["group_scheme"].isin(["broad", "detailed"])
    frames = [rows[~ethnic].assign(comparison_group=None)]
    compared = rows[ethnic].reset_index(drop=True)
    for group in definition.comparison_groups:
        frames.append(
            standardiser.ratios(compared, group, confidence).assign(comparison_group=group)
        )
    return pd.concat(frames, ignore_index=True)


# --- Crude rates and proportions, every definition at once ------------------------------------

_CRUDE = ("rate", "proportion")
_ETHNIC_SCHEMES = ("broad", "detailed")


def _level_kinds(definition: MetricDefinition) -> list[str]:
    """The location levels of a definition's rows (`_own_levels`), as kinds of row: "all"
    (organisation and service all), "organisation" (service all) and "service"."""
    kinds = [ALL]
    if {"organisation", "service"} & definition.breakdowns:
        kinds.append("organisation")
    if "service" in definition.breakdowns:
        kinds.append("service")
    return kinds


def _crude_tables(definitions, measures) -> dict[str, pd.DataFrame]:
    """What the crude rates' statement reads of each definition, as small tables: its
    measures by role, schemes, kinds of location level, comparison groups, and whether it is
    per population and whether a numerator without a denominator keeps a row."""
    parts, schemes, levels, comparisons, flags = [], [], [], [], []
    for definition in definitions:
        found = measures[definition.id]
        for table in definition.tables:
            parts.append((definition.id, "numerator", found.numerator[table].key))
            if found.denominator[table] is not None:
                parts.append((definition.id, "denominator", found.denominator[table].key))
        # the comparison groups' rows of the cubes ("reference", at level all) are summed with
        # the definition's own
        schemes += [(definition.id, scheme) for scheme in _schemes(definition)]
        if definition.comparison_groups:
            schemes.append((definition.id, _REFERENCE))
        levels += [(definition.id, kind) for kind in _level_kinds(definition)]
        comparisons += [(definition.id, group) for group in definition.comparison_groups]
        # a count of events where no one is counted keeps its row (not a count of records)
        flags.append(
            (
                definition.id,
                definition.denominator == "population",
                definition.denominator not in ("records", "population"),
            )
        )
    return {
        "crude_parts": pd.DataFrame(parts, columns=["metric", "role", "measure"]),
        "crude_schemes": pd.DataFrame(schemes, columns=["metric", "group_scheme"]),
        "crude_levels": pd.DataFrame(levels, columns=["metric", "kind"]),
        "crude_comparisons": pd.DataFrame(comparisons, columns=["metric", "comparison_group"]),
        "crude_metrics": pd.DataFrame(
            flags, columns=["metric", "population", "keeps_numerator_alone"]
        ),
    }


def _crude_counts_sql(definitions, measures, counts: _Counts) -> str:
    """The counts the crude definitions read, one row per measure and cube row: each cube's
    measure columns unpivoted (measure, value), so every definition's sums are one join."""
    columns: dict[str, list[str]] = {}
    for definition in definitions:
        found = measures[definition.id]
        for table in definition.tables:
            for measure in (found.numerator[table], found.denominator[table]):
                if measure is not None:
                    cube = columns.setdefault(counts.cube_table(measure), [])
                    if counts.column(measure) not in cube:
                        cube.append(counts.column(measure))
    keys = ", ".join(_names(_GROUP_KEYS))
    return " UNION ALL ".join(
        f"SELECT {keys}, measure, value FROM "
        f"(UNPIVOT {cube} ON {', '.join(_names(names))} INTO NAME measure VALUE value)"
        for cube, names in columns.items()
    )


def _crude_sql(definitions, measures, counts: _Counts, population: bool) -> str:
    """One statement for the rows of every crude definition: numerator and denominator by
    period, location and group (the schemes and levels each asks for), each ethnic group's row
    once per comparison group with its reference's numerator and denominator. A fixed number
    of joins whatever the number of definitions: joins for each definition made hundreds for
    DuckDB to plan, 0.79 s of its time on 1,000 people where this takes 0.24 s."""
    keys = ", ".join(_names(_GROUP_KEYS))
    mine = ", ".join(f"t.{key}" for key in _names(_GROUP_KEYS))
    row_keys = ", ".join(_names(_ROW_KEYS))
    on = " AND ".join(f"r.{key} = f.{key}" for key in _names(_ROW_KEYS))
    kind = (
        f"CASE WHEN t.organisation = {_quoted(ALL)} AND t.service = {_quoted(ALL)} "
        f"THEN {_quoted(ALL)} WHEN t.service = {_quoted(ALL)} THEN 'organisation' "
        f"ELSE 'service' END"
    )
    numerator = "sum(CASE WHEN role = 'numerator' THEN value END)"
    denominator = "sum(CASE WHEN role = 'denominator' THEN value END)"
    ethnic = f"r.group_scheme IN ({_texts(_ETHNIC_SCHEMES)})"
    rows = [
        f"SELECT o.metric, {keys}, coalesce(o.numerator, 0) AS numerator, "
        f"coalesce(o.denominator, 0) AS denominator FROM own AS o JOIN crude_metrics USING (metric) "
        f"WHERE NOT population AND (coalesce(o.denominator, 0) > 0 "
        f"OR (keeps_numerator_alone AND coalesce(o.numerator, 0) > 0))"
    ]
    reference_denominator = "f.denominator_ref"
    joins = ""
    if population:
        rows += [
            f"SELECT s.metric, {', '.join(f'g.{key}' for key in _names(_GROUP_KEYS))}, "
            f"coalesce(o.numerator, 0) AS numerator, g.denominator "
            f"FROM crude_metrics AS m JOIN crude_schemes AS s ON s.metric = m.metric "
            f"JOIN population_grid AS g ON g.group_scheme = s.group_scheme "
            f"LEFT JOIN own AS o ON o.metric = s.metric AND "
            + " AND ".join(f"o.{key} = g.{key}" for key in _names(_GROUP_KEYS))
            + " WHERE m.population",
            f"SELECT o.metric, {keys}, o.numerator, CAST(NULL AS DOUBLE) AS denominator "
            f"FROM own AS o JOIN crude_metrics USING (metric) "
            f"WHERE population AND group_scheme = 'excluded' AND o.numerator > 0",
        ]
        reference_denominator = (
            "CASE WHEN m.population THEN y.years * c.residents ELSE f.denominator_ref END"
        )
        joins = (
            "LEFT JOIN population_years AS y ON m.population "
            "AND y.period_type = r.period_type AND y.period_key = r.period_key "
            "LEFT JOIN comparison_residents AS c ON m.population "
            "AND c.comparison_group = k.comparison_group "
        )
    return (
        f"WITH sums AS (SELECT p.metric, {mine}, {numerator} AS numerator, "
        f"{denominator} AS denominator "
        f"FROM ({_crude_counts_sql(definitions, measures, counts)}) AS t "
        f"JOIN crude_parts AS p USING (measure) "
        f"JOIN crude_schemes AS s ON s.metric = p.metric AND s.group_scheme = t.group_scheme "
        f"JOIN crude_levels AS l ON l.metric = p.metric AND l.kind = {kind} "
        f"GROUP BY ALL), "
        f"own AS (SELECT * FROM sums WHERE group_scheme <> {_quoted(_REFERENCE)}), "
        f'ref AS (SELECT metric, "group" AS comparison_group, {row_keys}, '
        f"numerator AS numerator_ref, denominator AS denominator_ref FROM sums "
        f"WHERE group_scheme = {_quoted(_REFERENCE)}), "
        f"crude AS ({' UNION ALL '.join(rows)}) "
        f"SELECT r.*, CAST(NULL AS VARCHAR) AS comparison_group, "
        f"CAST(NULL AS DOUBLE) AS numerator_ref, CAST(NULL AS DOUBLE) AS denominator_ref "
        f"FROM crude AS r WHERE NOT ({ethnic} AND r.metric IN "
        f"(SELECT metric FROM crude_comparisons)) "
        f"UNION ALL SELECT r.*, k.comparison_group, coalesce(f.numerator_ref, 0) AS numerator_ref, "
        f"{reference_denominator} AS denominator_ref "
        f"FROM crude AS r JOIN crude_comparisons AS k USING (metric) "
        f"JOIN crude_metrics AS m USING (metric) "
        f"LEFT JOIN ref AS f ON f.metric = r.metric "
        f"AND f.comparison_group = k.comparison_group AND {on} "
        f"{joins}WHERE {ethnic}"
    )


def _crude_rows(definitions, measures, counts: _Counts, population, confidence) -> pd.DataFrame:
    """Every result row of the crude rate and proportion definitions, in one SQL statement over
    the cubes (as pandas merges per definition cost tens of milliseconds each), then each
    estimate and ratio method once over all the rows it applies to."""
    tables = _crude_tables(definitions, measures)
    if population is not None:
        tables["population_grid"] = population.grid()
        tables["population_years"] = population.years
        tables["comparison_residents"] = pd.DataFrame(
            {
                "comparison_group": list(COMPARISON_GROUPS),
                "residents": [
                    float(population.reference(group)["population"].iloc[0])
                    for group in COMPARISON_GROUPS
                ],
            }
        )
    for name, frame in tables.items():
        counts.sql.register(name, frame)
    query = _crude_sql(definitions, measures, counts, population is not None)
    rows = _pandas(counts.sql.sql(query).to_arrow_table())
    numerator = rows["numerator"].to_numpy(float)
    denominator = rows["denominator"].to_numpy(float)
    size = len(rows)
    value, lower, upper = (np.full(size, np.nan) for _ in range(3))
    ratio, ratio_lower, ratio_upper = (np.full(size, np.nan) for _ in range(3))
    method, ratio_method = (np.full(size, "", dtype=object) for _ in range(2))
    of_metric = rows.groupby("metric", sort=False).indices
    families: dict[tuple, list[np.ndarray]] = {}
    for definition in definitions:
        if definition.id in of_metric:
            families.setdefault((definition.statistic, definition.multiplier), []).append(
                of_metric[definition.id]
            )
    for (statistic, multiplier), positions in families.items():
        chosen = np.concatenate(positions)
        value[chosen], lower[chosen], upper[chosen], method[chosen] = _estimate(
            statistic, multiplier, numerator[chosen], denominator[chosen], confidence
        )
    by_definition = {definition.id: definition for definition in definitions}
    numerator_ref = rows["numerator_ref"].to_numpy(float)
    denominator_ref = rows["denominator_ref"].to_numpy(float)
    # rows without a comparison group (NaN) are left out of the groups
    compared = rows.groupby(["metric", "comparison_group"], sort=False).indices
    own = _repeat_frequencies(by_definition, compared, rows, measures, counts)
    for (metric_id, group), chosen in compared.items():
        definition = by_definition[metric_id]
        frequencies = None
        if definition.repeat_events:
            mine = own[(metric_id, group)]
            frequencies = (
                mine,
                _reference_frequencies(
                    definition, measures[metric_id], counts, rows.iloc[chosen], group, mine
                ),
            )
        ratio[chosen], ratio_lower[chosen], ratio_upper[chosen], ratio_method[chosen] = _ratios(
            definition,
            numerator[chosen],
            denominator[chosen],
            numerator_ref[chosen],
            denominator_ref[chosen],
            frequencies,
            confidence,
        )
    return rows.assign(
        value=value,
        lower=lower,
        upper=upper,
        method=method,
        ratio=ratio,
        ratio_lower=ratio_lower,
        ratio_upper=ratio_upper,
        ratio_method=ratio_method,
    )


def _repeat_frequencies(by_definition, compared, rows, measures, counts) -> dict:
    """People by events in each compared row of the repeat-event definitions, by (metric,
    comparison group): worked out once for all of a metric's comparison groups."""
    own = {}
    for metric_id, definition in by_definition.items():
        groups = [g for g in definition.comparison_groups if (metric_id, g) in compared]
        if not definition.repeat_events or not groups:
            continue
        every = np.concatenate([compared[(metric_id, group)] for group in groups])
        matrix = _own_frequencies(definition, measures[metric_id], counts, rows.iloc[every])
        start = 0
        for group in groups:
            size = len(compared[(metric_id, group)])
            own[(metric_id, group)] = matrix[start : start + size]
            start += size
    return own


def _own_frequencies(definition, measures, counts, rows) -> np.ndarray:
    """People with exactly 1..F events in each row's group (rows × F)."""
    sources = tuple(measures.frequency[t] for t in definition.tables)
    width = counts.most_times(sources)
    own = counts.grouped(sources, _schemes(definition), "persons", ["times"])
    return _frequency_matrix(own, _GROUP_KEYS, rows, width)


def _reference_frequencies(definition, measures, counts, rows, group, own) -> np.ndarray:
    """People with exactly 1..F events in each row's reference group, F as in `own`."""
    sources = tuple(measures.frequency[t] for t in definition.tables)
    reference = counts.reference(sources, group, "persons", ["times"])
    return _frequency_matrix(reference, _ROW_KEYS, rows, own.shape[1])


# --- SPC over the monthly series --------------------------------------------------------------


def _add_spc(rows: pd.DataFrame, improvement: str, window: _Window) -> tuple:
    """spc_special_cause and spc_variation of each row, as two arrays: the special cause on
    each month of a complete monthly series (every month of the window with a finite value),
    and the latest point's variation on each of them. All the series of the rows' metrics (of
    one improvement direction) are laid out as one series × month grid and charted in one call
    of `spc.xmr_many`."""
    causes = np.full(len(rows), None, dtype=object)
    variations = causes.copy()
    months = len(window.months)
    # every group by organisation and for the whole extract; by service, all and dataset only
    # (a chart per team and ethnic group would be too thin to read, and slow to draw)
    by_service = rows["service"] != ALL
    charted = np.flatnonzero(
        (rows["period_type"] == "month")
        & (rows["group_scheme"] != "excluded")
        & (~by_service | rows["group_scheme"].isin([ALL, "dataset"]))
    )
    if months < 2 or not len(charted):
        return causes, variations
    series_keys = ["metric", "organisation", "service", "group_scheme", "group"]
    chosen = rows.iloc[charted]
    series = chosen.groupby(series_keys, sort=False).ngroup().to_numpy()
    keys = chosen["period_key"].to_numpy()
    calendar = np.asarray(window.months)
    month = np.minimum(np.searchsorted(calendar, keys), months - 1)
    # a cell per series and month; the rows of each comparison group share it, and the first
    # row's value is the cell's
    cell = np.where((series >= 0) & (calendar[month] == keys), series * months + month, -1)
    grid = np.full(max(series.max() + 1, 0) * months, np.nan)
    cells, first = np.unique(cell, return_index=True)
    kept = cells >= 0
    grid[cells[kept]] = chosen["value"].to_numpy(float)[first[kept]]
    grid = grid.reshape(-1, months)
    complete = np.flatnonzero(np.isfinite(grid).all(axis=1))  # a month without a value: no chart
    if not len(complete):
        return causes, variations
    charts = xmr_many(grid[complete], improvement)
    cause_grid = np.full(grid.shape, None, dtype=object)
    variation_grid = cause_grid.copy()
    cause_grid[complete] = charts.special_cause
    variation_grid[complete] = charts.variation[:, None]
    flagged = cell >= 0
    causes[charted[flagged]] = cause_grid.ravel()[cell[flagged]]
    variations[charted[flagged]] = variation_grid.ravel()[cell[flagged]]
    return causes, variations


# --- The public API ---------------------------------------------------------------------------


def _definitions(metrics, present: set[str]) -> list[MetricDefinition]:
    """The definitions to run: all applicable catalogue metrics, or those asked for."""
    if metrics is None:
        chosen = []
        for definition in CATALOGUE.values():
            tables = tuple(table for table in definition.tables if table in present)
            if not tables or (
                definition.denominator == "population" and POPULATION_TABLE not in present
            ):
                continue
            if definition.denominator in ("bed_days", "inpatients") and SPELLS_TABLE not in present:
                continue
            if tables != definition.tables:
                definition = _with_tables(definition, tables)
            chosen.append(definition)
        return chosen
    if isinstance(metrics, (str, MetricDefinition)):
        metrics = [metrics]
    chosen = []
    for item in metrics:
        if isinstance(item, MetricDefinition):
            definition = item
        elif item in CATALOGUE:
            definition = CATALOGUE[item]
        else:
            raise ValueError(f"metrics: no metric {item!r} in the catalogue")
        needed = set(definition.tables)
        if definition.denominator == "population":
            needed.add(POPULATION_TABLE)
        if definition.denominator in ("bed_days", "inpatients"):
            needed.add(SPELLS_TABLE)
        missing = sorted(needed - present)
        if missing:
            raise ValueError(
                f"metric {definition.id!r} needs table {missing[0]!r}, which the dataset lacks"
            )
        chosen.append(definition)
    ids = [definition.id for definition in chosen]
    repeated = sorted({metric_id for metric_id in ids if ids.count(metric_id) > 1})
    if repeated:
        raise ValueError(f"metrics: each metric once; {repeated[0]!r} is repeated")
    return chosen


def _with_tables(definition: MetricDefinition, tables: tuple[str, ...]) -> MetricDefinition:
    from dataclasses import replace

    return replace(definition, tables=tables)


def _manifest_window(dataset_dir: Path) -> tuple[dt.date | None, dt.date | None]:
    path = dataset_dir / "manifest.json"
    if not path.exists():
        return None, None
    manifest = json.loads(path.read_text())
    # a reporting period the trust states, else the extract's (the ingest's first and last
    # event dates), else none: the engine then finds the event dates itself
    period = manifest.get("reporting_period") or manifest.get("period") or {}
    start = period.get("start") or manifest.get("period_start")
    end = period.get("end") or manifest.get("period_end")
    parse = dt.date.fromisoformat
    return (parse(start) if start else None), (parse(end) if end else None)


def _connect(backend: str, spark_session):
    if backend == "duckdb":
        return ibis.duckdb.connect()
    if backend == "spark":
        if spark_session is None:
            from pyspark.sql import SparkSession

            spark_session = (
                SparkSession.builder.master("local[2]")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate()
            )
        return ibis.pyspark.connect(spark_session)
    raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")


_RUN_NUMBER = itertools.count(1)


def run_metrics(
    dataset_dir: str | Path,
    *,
    metrics: Iterable[str | MetricDefinition] | None = None,
    backend: str = "duckdb",
    periods: Sequence[str] = PERIOD_TYPES,
    spark_session=None,
    progress: Progress | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    confidence: float = 0.95,
) -> pa.Table:
    """Compute metrics on a dataset version: one long results table (`RESULT_SCHEMA`).

    Args:
        dataset_dir: a folder of `<table>.parquet` files (a dataset version, e.g. `v0001/`),
            with `mhs001_patients.parquet` carrying `ethnic_category_code` and
            `ethnicity_status`, and `population.parquet` for population rates.
        metrics: catalogue ids or `MetricDefinition`s (a trust's own); None runs every
            catalogue metric whose tables the dataset has.
        backend: "duckdb" (default, in-process) or "spark".
        periods: period types among "financial_year", "quarter" and "month".
        spark_session: the SparkSession for backend "spark"; default a local one.
        progress: called with a short message as each table is aggregated.
        period_start, period_end: the dates the results cover, widened to whole months;
            default the manifest's `reporting_period` (start, end), else the first and last
            event dates in the dataset.
        confidence: level of every interval; default 0.95.

    Returns:
        A pyarrow Table with `RESULT_COLUMNS` (docs/metrics.md describes each), sorted by
        metric, period type, period, organisation, service, group scheme, group and
        comparison group.

    Raises:
        ValueError: an unknown metric id, backend or period type; a metric whose table is
            missing from the dataset; no dated rows to define the periods.
    """
    dataset_dir = Path(dataset_dir)
    if not dataset_dir.is_dir():
        raise ValueError(f"dataset_dir must be a folder of Parquet files; got {str(dataset_dir)!r}")
    periods = tuple(periods)
    for period_type in periods:
        if period_type not in PERIOD_TYPES:
            raise ValueError(
                f"periods must be among {', '.join(PERIOD_TYPES)}; got {period_type!r}"
            )
    stats.confidence_level(confidence)
    tell = progress or (lambda message: None)
    present = {path.stem for path in dataset_dir.glob("*.parquet")}
    if PATIENTS_TABLE not in present:
        raise ValueError(f"the dataset has no {PATIENTS_TABLE}.parquet: ethnicity comes from it")
    definitions = _definitions(metrics, present)
    connection = _connect(backend, spark_session)
    run = next(_RUN_NUMBER)
    tables = {
        name: connection.read_parquet(
            str(dataset_dir / f"{name}.parquet"), table_name=f"pcref_run{run}_{name}"
        )
        for name in sorted(present)
    }
    measures = {definition.id: _measures_of(definition) for definition in definitions}
    plans: dict[tuple, _Plan] = {}
    for definition in definitions:
        found = measures[definition.id]
        for table in definition.tables:
            levels = _levels(definition, table)
            for measure in (
                found.numerator[table],
                found.denominator[table],
                found.frequency[table],
            ):
                if measure is not None:
                    plan = plans.setdefault(
                        (measure.table, measure.timing), _Plan(measure.table, measure.timing)
                    )
                    plan.add(measure, levels)
    window = _window(connection, tables, plans, dataset_dir, period_start, period_end)
    compiler = _Compiler(connection, tables, window, run)
    results = {}
    for key, plan in plans.items():
        tell(f"aggregating {plan.table} ({len(plan.measures)} counts)")
        results[key] = compiler.run(plan, periods)
    population = None
    if any(d.denominator == "population" for d in definitions):
        tell("aggregating population")
        population = _Population(compiler.population(), window, periods)
    counts = _Counts(results, periods)
    frames = []
    crude = [definition for definition in definitions if definition.statistic in _CRUDE]
    try:
        if crude:
            tell(f"computing {len(crude)} rates and proportions")
            frames.append(_crude_rows(crude, measures, counts, population, confidence))
        for definition in definitions:
            if definition.statistic not in _CRUDE:
                tell(f"computing {definition.id}")
                rows = _metric_rows(
                    definition, measures[definition.id], counts, population, confidence
                )
                frames.append(rows.assign(metric=definition.id))
    finally:
        counts.close()
    return _results_table(_with_spc(frames, definitions, window))


def _with_spc(frames: list[pd.DataFrame], definitions, window: _Window) -> list[pd.DataFrame]:
    """The rows as one frame with their SPC flags: the metrics of each improvement direction
    charted at once."""
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return []
    rows = pd.concat(frames, ignore_index=True)
    direction = {definition.id: definition.improvement for definition in definitions}
    improvement = rows["metric"].map(direction).to_numpy(object)
    causes = np.full(len(rows), None, dtype=object)
    variations = causes.copy()
    for chosen in pd.unique(improvement):
        where = np.flatnonzero(improvement == chosen)
        causes[where], variations[where] = _add_spc(rows.iloc[where], chosen, window)
    return [rows.assign(spc_special_cause=causes, spc_variation=variations)]


def _window(connection, tables, plans, dataset_dir, period_start, period_end) -> _Window:
    manifest_start, manifest_end = _manifest_window(dataset_dir)
    start, end = period_start or manifest_start, period_end or manifest_end
    if start is None or end is None:
        days = []
        compiler = _Compiler(connection, tables, None)
        dated = {
            (plan.table, plan.timing[1]) for plan in plans.values() if plan.timing[0] != "none"
        }
        for table, column in sorted(dated):
            days += [day for day in compiler.date_range(table, column) if day is not None]
        if not days:
            if (
                start is None
                and end is None
                and all(plan.timing[0] == "none" for plan in plans.values())
            ):
                return _Window((), 0, 0)
            raise ValueError("no dated rows in the dataset: give period_start and period_end")
        epoch = dt.date(1970, 1, 1)
        start = start or epoch + dt.timedelta(days=min(days))
        end = end or epoch + dt.timedelta(days=max(days))
    if end < start:
        raise ValueError(f"period_end ({end}) must not be before period_start ({start})")
    return _Window.between(start, end)


def _results_table(frames: list[pd.DataFrame]) -> pa.Table:
    if not frames:
        return RESULT_SCHEMA.empty_table()
    rows = pd.concat(frames, ignore_index=True)
    labels = pd.Series("", index=rows.index, dtype=object)
    for period_type in (*PERIOD_TYPES, EXTRACT):
        chosen = rows["period_type"] == period_type
        if chosen.any():  # label each distinct period once: string work on every row is slow
            keys = rows.loc[chosen, "period_key"]
            distinct = pd.Series(keys.unique())
            names = dict(zip(distinct, _period_labels(distinct, period_type), strict=True))
            labels[chosen] = keys.map(names)
    rows["period"] = labels
    columns = {}
    for name in RESULT_COLUMNS:
        column = rows[name] if name in rows else pd.Series(None, index=rows.index, dtype=object)
        if RESULT_SCHEMA.field(name).type == pa.float64():
            columns[name] = pa.array(
                pd.to_numeric(column).to_numpy(float), pa.float64(), from_pandas=True
            )
            continue
        columns[name] = _text(column, blank_is_missing=name in ("method", "ratio_method"))
    table = pa.table(columns, schema=RESULT_SCHEMA)
    # sorted by Arrow, faster than pandas on text; rows without a comparison group first
    order = [
        "metric",
        "period_type",
        "period",
        "organisation",
        "service",
        "group_scheme",
        "group",
        "comparison_group",
    ]
    indices = pc.sort_indices(table, sort_keys=[(name, "ascending", "at_start") for name in order])
    return table.take(indices)


def _text(column: pd.Series, blank_is_missing: bool) -> pa.Array:
    """A column as Arrow strings, missing values as nulls. The columns hold text already, so
    Arrow converts them directly; anything else (a number) is converted with str()."""
    try:
        array = pa.array(column, pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        column = column.astype(object)
        missing = column.isna()
        text = column.where(missing, column.astype(str)).where(~missing, None)
        array = pa.array(text.to_numpy(object), pa.string(), from_pandas=True)
    if blank_is_missing:
        array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)
    return array


def write_results(table: pa.Table, out_dir: str | Path) -> tuple[Path, Path]:
    """Write a results table as `results.parquet` and `results.csv` in `out_dir`.

    Args:
        table: a table from `run_metrics` (its columns must be `RESULT_COLUMNS`).
        out_dir: the folder to write into; made if missing. Existing files are replaced, each
            whole: both are written beside their places first, then moved in, so a failure or
            a stop while writing leaves the earlier files as they were, never part of a file.

    Returns:
        The paths written, (parquet, csv).

    Raises:
        ValueError: naming the columns, when the table's columns are not `RESULT_COLUMNS`.
    """
    if tuple(table.column_names) != RESULT_COLUMNS:
        raise ValueError(
            f"table must have the results columns {list(RESULT_COLUMNS)}; "
            f"it has {table.column_names}"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    parquet, csv = out_dir / "results.parquet", out_dir / "results.csv"
    parts = {path: path.with_name(f".{path.name}.part") for path in (parquet, csv)}
    try:
        pq.write_table(table, parts[parquet])
        pacsv.write_csv(_spreadsheet_safe(table), parts[csv])
        for path, part in parts.items():
            part.replace(path)
    finally:
        for part in parts.values():
            part.unlink(missing_ok=True)
    return parquet, csv


def _spreadsheet_safe(table: pa.Table) -> pa.Table:
    """The table for results.csv: text cells a spreadsheet would run as a formula (an
    organisation or team code "=1+1" from the extract) get a ' in front, as every other export
    does (`text.safe_export.spreadsheet_safe`); results.parquet keeps the values as they are."""
    # the rule of `spreadsheet_safe` (leading spaces, then one of FORMULA_STARTS) as a regular
    # expression for Arrow; imported here, as safe_export brings openpyxl
    from pcref.analytics.text.safe_export import FORMULA_STARTS

    formula = "^[^\\S\t\r]*[" + "".join(FORMULA_STARTS).replace("-", "\\-") + "]"
    for index, column_field in enumerate(table.schema):
        if column_field.type != pa.string():
            continue
        column = table.column(index)
        risky = pc.fill_null(pc.match_substring_regex(column, formula), False)
        if pc.any(risky).as_py():
            safe = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
            table = table.set_column(index, column_field, safe)
    return table
