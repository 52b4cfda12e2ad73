"""Declarative metric definitions: what a metric counts, over what, and how, checked when built."""

# A definition names extract tables and columns, never SQL: the engine (pcref.analytics.engine)
# compiles it to Ibis. Everything a definition may name is listed here, from the extract schema
# (pcref.analytics.extract.schema) and the ethnicity code lists, so a typo fails when the
# definition is built, with a message naming the metric, the field and the value. Standard
# library and pcref.analytics only: this module never imports Django.

import math
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pcref.analytics.ethnicity import BROAD_GROUPS, CENSUS_2021_GROUPS, STATUSES
from pcref.analytics.extract.schema import (
    AGE_BANDS,
    DATE,
    EVENT_DATE_COLUMNS,
    INTEGER,
    NUMBER,
    STRING,
    TABLES_BY_NAME,
    Table,
)
from pcref.analytics.spc import IMPROVEMENT_DIRECTIONS
from pcref.analytics.stats import ESP2013

BOOLEAN = "boolean"  # derived columns only; the extract itself has no boolean columns

# --- What a definition may choose -------------------------------------------------------------

#: crude rate (Byar/exact), age-standardised rate (ESP2013, Dobson), proportion (Wilson),
#: mean (Student's t) and median (no interval).
STATISTICS = ("rate", "dsr", "proportion", "mean", "median")
#: population: Census 2021 residents of the group (person-years: see docs/metrics.md);
#: bed_days: occupied bed days of the group's inpatients in the period (mhs501);
#: records: the rows (or people) of the source table in scope, the numerator being a subset;
#: inpatients: distinct people with a hospital spell overlapping the period (mhs501).
DENOMINATORS = ("population", "bed_days", "records", "inpatients")
COUNTS = ("rows", "people")
#: group schemes a definition may ask for, and the two location levels.
ETHNIC_BREAKDOWNS = ("broad", "detailed")
GROUP_BREAKDOWNS = (*ETHNIC_BREAKDOWNS, "age_band", "sex")
LOCATION_BREAKDOWNS = ("organisation", "service")
BREAKDOWNS = (*GROUP_BREAKDOWNS, *LOCATION_BREAKDOWNS)
OPERATORS = ("in", "not_in", "eq", "ne", "lt", "le", "gt", "ge", "is_null", "not_null")
_COMPATIBLE = {  # statistic -> denominators it can use
    "rate": ("population", "bed_days"),
    "dsr": ("population",),
    "proportion": ("records", "inpatients"),
    "mean": ("records",),
    "median": ("records",),
}
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")

# --- What a definition may name ---------------------------------------------------------------

#: The date that places a row of each table in a period, unless a definition says otherwise.
#: None: the table has no date, so its rows are counted once, for the whole extract.
EVENT_DATES = MappingProxyType({"mhs001_patients": None, **EVENT_DATE_COLUMNS})
#: The column holding the service, team or ward of each table's rows (None: no such column).
SERVICE_COLUMNS = MappingProxyType(
    {
        "mhs001_patients": None,
        "mhs101_referrals": "service_team_code",
        "mhs201_care_contacts": "service_team_code",
        "mhs501_hospital_spells": "ward_code",
        "mhs401_mha_episodes": None,
        "mhs404_cto": None,
        "mhs505_restrictive_interventions": "ward_code",
        "mhs606_outcome_measures": "service_team_code",
        "feedback_responses": "service_team_code",
    }
)

#: Columns every table has through its person (joined from mhs001_patients on person_id).
PERSON_COLUMNS = MappingProxyType(
    {
        "ethnic_category_code": STRING,
        "ethnicity_status": STRING,
        "broad_group": STRING,
        "sex": STRING,
        "age_band": STRING,
    }
)
#: Columns the engine derives for particular tables (see docs/metrics.md for each formula).
DERIVED_COLUMNS = MappingProxyType(
    {
        "mhs501_hospital_spells": MappingProxyType({"length_of_stay": INTEGER}),
        "mhs606_outcome_measures": MappingProxyType({"reliable_improvement": BOOLEAN}),
    }
)

#: Tables whose rows carry their own ethnicity rather than a person to join.
SELF_IDENTIFIED_TABLES = frozenset({"feedback_responses"})
POPULATION_TABLE = "population"
PATIENTS_TABLE = "mhs001_patients"
SPELLS_TABLE = "mhs501_hospital_spells"


def source_table(name: str) -> Table:
    """The extract (or feedback) table a definition may read; KeyError naming the value."""
    found = TABLES_BY_NAME.get(name)
    if found is None or name == POPULATION_TABLE:
        known = [t for t in TABLES_BY_NAME if t != POPULATION_TABLE]
        raise KeyError(f"unknown table {name!r}; tables: {', '.join(known)}")
    return found


def table_columns(name: str) -> dict[str, str]:
    """Every column a definition may name on a table, with its type: the table's own, its
    person's (`PERSON_COLUMNS`) and the engine's derived ones (`DERIVED_COLUMNS`)."""
    table = source_table(name)
    columns = {column.name: column.type for column in table.columns}
    if name == PATIENTS_TABLE:
        columns.update(PERSON_COLUMNS)
    elif name in SELF_IDENTIFIED_TABLES:
        columns.update({"broad_group": STRING})
    else:
        columns.update(PERSON_COLUMNS)
    columns.update(DERIVED_COLUMNS.get(name, {}))
    return columns


# --- Comparison groups (pcref.md §9: White and White British) --------------------------------


@dataclass(frozen=True)
class ComparisonGroup:
    """A reference group for ratios: the NHS codes of its numerators and the Census 2021 groups
    of its population denominators (ethnicity.md §5, as NHS England counts them)."""

    name: str
    codes: frozenset[str]
    census_codes: frozenset[str]


def _white_codes() -> frozenset[str]:
    return frozenset(next(group.codes for group in BROAD_GROUPS if group.name == "White"))


COMPARISON_GROUPS = MappingProxyType(
    {
        "White": ComparisonGroup(
            "White",
            _white_codes(),
            frozenset(
                str(g.census2021_code)
                for g in CENSUS_2021_GROUPS
                if g.nhs_broad_group_for_statistics == "White"
            ),
        ),
        "White British": ComparisonGroup(
            "White British",
            frozenset({"A"}),
            frozenset(str(g.census2021_code) for g in CENSUS_2021_GROUPS if g.nhs_code == "A"),
        ),
    }
)


# --- ESP2013 collapsed into the extract's age bands (statistics.md §5) -----------------------


def _band_years(label: str) -> tuple[int, int]:
    """(first, last) whole year of age of a band label such as "18-34" or "65+" (last 120)."""
    if label.endswith("+"):
        return int(label[:-1]), 120
    first, last = label.split("-")
    return int(first), int(last)


def standard_weights(age_bands: Iterable[str] = AGE_BANDS) -> dict[str, float]:
    """ESP2013 weights collapsed into wider age bands, e.g. the extract's `AGE_BANDS`.

    Each five-year ESP2013 band gives its weight to the bands it overlaps, in proportion to the
    years of age they share (the standard population is taken as even within a five-year band):
    15-19 gives 3/5 of its 5,500 to 0-17 and 2/5 to 18-34. The weights still sum to 100,000.

    Raises:
        ValueError: bands that overlap, leave a gap or do not start at 0 and end open ("65+").

    >>> standard_weights()
    {'0-17': 19300.0, '18-34': 20700.0, '35-49': 21000.0, '50-64': 19500.0, '65+': 19500.0}
    """
    bands = [(label, *_band_years(label)) for label in age_bands]
    expected = 0
    for label, first, last in bands:
        if first != expected:
            raise ValueError(f"age bands must run from 0 without gaps; {label!r} starts at {first}")
        expected = last + 1
    if expected != 121:
        raise ValueError(f"the last age band must be open, such as '65+'; got {bands[-1][0]!r}")
    weights = dict.fromkeys((label for label, _, _ in bands), 0.0)
    for esp_label, weight in ESP2013.items():
        esp_first, esp_last = _band_years(esp_label)
        years = esp_last - esp_first + 1
        for label, first, last in bands:
            shared = min(last, esp_last) - max(first, esp_first) + 1
            if shared > 0:
                weights[label] += weight * shared / years
    return weights


# --- Conditions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A test on one column of a row: `Condition("legal_status_code", "in", {"02", "03"})`.

    Operators: "in" and "not_in" (a set of values), "eq", "ne", "lt", "le", "gt", "ge" (one
    value), "is_null" and "not_null" (no value). A row whose column is blank fails every test
    except "is_null" and "not_in" (a blank is not one of the values). Built conditions are
    checked again, against the table, by `MetricDefinition`.
    """

    column: str
    operator: str
    value: object = None

    def __post_init__(self):
        if not isinstance(self.column, str) or not self.column:
            raise ValueError(f"condition column must be a column name; got {self.column!r}")
        if self.operator not in OPERATORS:
            raise ValueError(
                f"condition on {self.column!r}: operator must be one of {', '.join(OPERATORS)}; "
                f"got {self.operator!r}"
            )
        if self.operator in ("in", "not_in"):
            if isinstance(self.value, (str, bytes)) or not isinstance(self.value, Iterable):
                raise ValueError(
                    f"condition on {self.column!r}: {self.operator!r} needs a set of values; "
                    f"got {self.value!r}"
                )
            values = frozenset(self.value)
            if not values:
                raise ValueError(f"condition on {self.column!r}: {self.operator!r} has no values")
            object.__setattr__(self, "value", values)
        elif self.operator in ("is_null", "not_null"):
            if self.value is not None:
                raise ValueError(
                    f"condition on {self.column!r}: {self.operator!r} takes no value; "
                    f"got {self.value!r}"
                )
        elif self.value is None or isinstance(self.value, (set, frozenset, list, tuple)):
            raise ValueError(
                f"condition on {self.column!r}: {self.operator!r} needs one value; "
                f"got {self.value!r}"
            )

    def values(self) -> tuple:
        """The value(s) tested, as a tuple (empty for the null tests)."""
        if self.operator in ("in", "not_in"):
            return tuple(sorted(self.value, key=str))
        return () if self.value is None else (self.value,)


def _value_fits(value: object, column_type: str) -> bool:
    if column_type == STRING:
        return isinstance(value, str)
    if column_type == BOOLEAN:
        return isinstance(value, bool)
    if column_type in (INTEGER, NUMBER):
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if column_type == DATE:
        return hasattr(value, "isoformat") and not isinstance(value, str)
    return False


# --- The definition ---------------------------------------------------------------------------


def _tuple(value) -> tuple:
    if value is None:
        return ()
    if isinstance(value, (str, Condition)):
        return (value,)
    return tuple(value)


@dataclass(frozen=True)
class MetricDefinition:
    """One metric, declared: what it counts, over what, broken down how, compared with whom.

    Attributes:
        id: short stable key, e.g. "MHA1.people"; letters, digits, ".", "_" and "-".
        title: the name shown with results.
        description: what is counted, in plain English, with its source (pcref.md §9).
        tables: the source table(s) of the rows counted. With several tables (the data-quality
            metrics) each is reported as a group of the scheme "dataset".
        statistic: one of `STATISTICS`.
        denominator: one of `DENOMINATORS`, fitting the statistic.
        count: "rows" (records, episodes) or "people" (distinct person_id).
        numerator: conditions a row in scope must meet to count in the numerator.
        scope: conditions a row must meet to count at all (numerator and "records"
            denominator alike), e.g. one outcome measure.
        date_column: the date placing a row in a period; default the table's `EVENT_DATES`.
        overlap: (start column, end column) instead: a row counts in every period its dates
            overlap, a blank end running to the end of the extract. People only.
        value_column: the column averaged, for "mean" and "median".
        unit: the unit shown with values, e.g. "per 100,000 population per year".
        multiplier: values (and limits) are per this many of the denominator; above 0.
        breakdowns: group schemes and locations from `BREAKDOWNS`; "all" is always reported.
        comparison_groups: names in `COMPARISON_GROUPS` to give ratios against.
        improvement: "increase", "decrease" or "neutral" (SPC colours, spc.xmr).
        repeat_events: True when one person can have several counted rows (episodes): rate
            ratios then use the repeat-events variance (statistics.md §8.6 b) and DSRs the
            non-independent-events limits (§5).
        version: bumped whenever the definition changes meaning.

    Raises:
        ValueError: naming the metric, the field and the value, for anything unknown or
            inconsistent: an unknown table or column, a bad multiplier, an unknown comparison
            group, a statistic without a fitting denominator, and so on.
    """

    id: str
    title: str
    description: str
    tables: tuple[str, ...]
    statistic: str
    denominator: str
    count: str = "rows"
    numerator: tuple[Condition, ...] = ()
    scope: tuple[Condition, ...] = ()
    date_column: str | None = None
    overlap: tuple[str, str] | None = None
    value_column: str | None = None
    unit: str = ""
    multiplier: float = 1
    breakdowns: frozenset[str] = field(default_factory=frozenset)
    comparison_groups: tuple[str, ...] = ()
    improvement: str = "neutral"
    repeat_events: bool = False
    version: str = "1"

    def __post_init__(self):
        if not isinstance(self.id, str) or not _ID.fullmatch(self.id):
            raise ValueError(
                f"metric id must start with a letter and hold only letters, digits, '.', '_' "
                f"and '-'; got {self.id!r}"
            )
        for name in ("title", "description", "unit", "version"):
            if not isinstance(getattr(self, name), str):
                self._refuse(name, "must be text", getattr(self, name))
        object.__setattr__(self, "tables", _tuple(self.tables))
        object.__setattr__(self, "numerator", _tuple(self.numerator))
        object.__setattr__(self, "scope", _tuple(self.scope))
        object.__setattr__(self, "comparison_groups", _tuple(self.comparison_groups))
        breakdowns = _tuple(self.breakdowns)
        object.__setattr__(self, "breakdowns", frozenset(breakdowns))
        self._check_choices()
        self._check_tables()
        self._check_numbers()
        self._check_breakdowns()

    def _refuse(self, name: str, rule: str, value: object) -> None:
        raise ValueError(f"metric {self.id!r}: {name} {rule}; got {value!r}")

    def _check_choices(self) -> None:
        choices = (
            ("statistic", STATISTICS),
            ("denominator", DENOMINATORS),
            ("count", COUNTS),
            ("improvement", IMPROVEMENT_DIRECTIONS),
        )
        for name, allowed in choices:
            value = getattr(self, name)
            if value not in allowed:
                self._refuse(name, f"must be one of {', '.join(allowed)}", value)
        if self.denominator not in _COMPATIBLE[self.statistic]:
            self._refuse(
                "denominator",
                f"must be one of {', '.join(_COMPATIBLE[self.statistic])} for a "
                f"{self.statistic!r} statistic",
                self.denominator,
            )
        if not isinstance(self.repeat_events, bool):
            self._refuse("repeat_events", "must be True or False", self.repeat_events)
        if self.repeat_events and self.count != "rows":
            self._refuse("repeat_events", "needs count 'rows' (people do not repeat)", True)
        if self.statistic in ("mean", "median") and self.count != "rows":
            self._refuse("count", f"must be 'rows' for a {self.statistic!r}", self.count)
        if self.denominator == "inpatients" and self.count != "people":
            self._refuse("count", "must be 'people' over an 'inpatients' denominator", self.count)
        for group in self.comparison_groups:
            if group not in COMPARISON_GROUPS:
                self._refuse(
                    "comparison_groups",
                    f"must name groups of {', '.join(COMPARISON_GROUPS)}",
                    group,
                )
        if self.comparison_groups and self.statistic in ("mean", "median"):
            self._refuse("comparison_groups", f"are not given for a {self.statistic!r}", "")

    def _check_tables(self) -> None:
        if not self.tables:
            self._refuse("tables", "must name at least one table", self.tables)
        for name in self.tables:
            try:
                source_table(name)
            except KeyError as error:
                raise ValueError(f"metric {self.id!r}: tables: {error.args[0]}") from None
        if len(self.tables) > 1 and self.statistic != "proportion":
            self._refuse("tables", "may list several tables only for a proportion", self.tables)
        for name in self.tables:
            self._check_table_columns(name)

    def _check_table_columns(self, name: str) -> None:
        columns = table_columns(name)

        def check_column(field_name: str, column: str, types=None) -> str:
            if column not in columns:
                self._refuse(field_name, f"names no column of table {name!r}", column)
            if types is not None and columns[column] not in types:
                self._refuse(
                    field_name,
                    f"must be a {' or '.join(types)} column of table {name!r}",
                    column,
                )
            return columns[column]

        for field_name in ("numerator", "scope"):
            for condition in getattr(self, field_name):
                if not isinstance(condition, Condition):
                    self._refuse(field_name, "must hold Condition objects", condition)
                column_type = check_column(field_name, condition.column)
                for value in condition.values():
                    if not _value_fits(value, column_type):
                        self._refuse(
                            field_name,
                            f"compares {column_type} column {condition.column!r} with a value "
                            "of another type",
                            value,
                        )
        if self.date_column is not None and self.overlap is not None:
            self._refuse("overlap", "cannot be given with date_column", self.overlap)
        if self.date_column is not None:
            check_column("date_column", self.date_column, (DATE,))
        if self.overlap is not None:
            if not isinstance(self.overlap, tuple) or len(self.overlap) != 2:
                self._refuse("overlap", "must be (start column, end column)", self.overlap)
            for column in self.overlap:
                check_column("overlap", column, (DATE,))
            if self.count != "people":
                self._refuse("overlap", "counts people only (a row spans several periods)", "")
        if self.statistic in ("mean", "median"):
            if self.value_column is None:
                self._refuse("value_column", f"is needed for a {self.statistic!r}", None)
            check_column("value_column", self.value_column, (INTEGER, NUMBER))
        elif self.value_column is not None:
            self._refuse("value_column", f"is not used by a {self.statistic!r}", self.value_column)
        if self.denominator in ("population", "bed_days", "inpatients") and (
            EVENT_DATES.get(name) is None and self.date_column is None and self.overlap is None
        ):
            self._refuse("tables", f"needs dated rows for a {self.denominator!r} rate", name)

    def _check_numbers(self) -> None:
        value = self.multiplier
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not math.isfinite(value)
            or value <= 0
        ):
            self._refuse("multiplier", "must be a finite number above 0", value)

    def _check_breakdowns(self) -> None:
        for breakdown in self.breakdowns:
            if breakdown not in BREAKDOWNS:
                self._refuse("breakdowns", f"must be among {', '.join(BREAKDOWNS)}", breakdown)
        location = self.breakdowns & set(LOCATION_BREAKDOWNS)
        if self.denominator == "population" and location:
            self._refuse(
                "breakdowns",
                "cannot split a population rate by organisation or service (the population is "
                "the catchment's)",
                sorted(location)[0],
            )
        # a table without a service column is reported by organisation only
        if "service" in self.breakdowns and not any(SERVICE_COLUMNS.get(t) for t in self.tables):
            self._refuse("breakdowns", "has 'service' but no table has a service column", "service")
        if self.comparison_groups and not self.breakdowns & set(ETHNIC_BREAKDOWNS):
            self._refuse(
                "comparison_groups",
                "need a 'broad' or 'detailed' breakdown to compare",
                self.comparison_groups,
            )
        if self.tables and any(name in SELF_IDENTIFIED_TABLES for name in self.tables):
            for breakdown in ("age_band", "sex"):
                if breakdown in self.breakdowns:
                    self._refuse("breakdowns", "needs a person; feedback has none", breakdown)

    @property
    def event_date(self) -> Mapping[str, str | None]:
        """The date column placing rows in periods, per table (None: an undated table)."""
        return {name: self.date_column or EVENT_DATES.get(name) for name in self.tables}

    @property
    def ethnic(self) -> bool:
        """True when the metric is broken down by ethnic group."""
        return bool(self.breakdowns & set(ETHNIC_BREAKDOWNS))


#: Group labels of the broad scheme, in publication order.
BROAD_GROUP_NAMES = tuple(group.name for group in BROAD_GROUPS)
#: The four states excluded from ethnic groups, reported under the scheme "excluded".
EXCLUDED_STATUSES = tuple(status for status in STATUSES if status != "valid")
