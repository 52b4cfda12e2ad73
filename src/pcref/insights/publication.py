"""Published data: which metric run is public, and its public figures after disclosure control.

Publishing is a deliberate, audited act of an analyst or administrator on a finished run
(`publish`, `unpublish`). The public data page, its CSV and JSON, and the public annual report
show the organisation's latest published run (`published_run`) through `published_rows`: a
public subset of the results (whole trust, financial years or the whole extract, all people
and the broad ethnic groups, the metrics in `PUBLIC_METRICS`), every figure passed through
`pcref.analytics.disclosure` (disclosure-control.md §2-§3, rule set `RULE_SET_VERSION`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import pyarrow.parquet as pq
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pcref.analytics import disclosure
from pcref.analytics.disclosure import RULE_SET_VERSION, SUPPRESSED
from pcref.analytics.metrics.catalogue import is_proportion
from pcref.core import audit
from pcref.insights.dashboard import BROAD_GROUPS
from pcref.insights.models import MetricRun
from pcref.insights.rules import Perm

__all__ = [
    "PUBLIC_METRICS",
    "RULE_SET_VERSION",
    "PublicMetric",
    "PublicationRefused",
    "PublishedRow",
    "publish",
    "published_rows",
    "published_run",
    "unpublish",
]

# What is public: whole-trust rows, by financial year (or the whole extract for undated
# tables), for all people and the broad groups. Quarters and months are left out because a
# hidden quarter could be worked out from its year and the other quarters; teams and detailed
# groups because at one trust nearly all of their cells are small (docs/open-data.md).
PUBLIC_PERIOD_TYPES = ("financial_year", "extract")
PUBLIC_SCHEMES = ("all", "broad")
ALL = "all"
COMPARISON_GROUP = "White"
PUBLISHING_SYSTEM_ACTORS = frozenset({"demo", "command-line"})
PUBLIC_GROUPS = tuple(BROAD_GROUPS)  # White, Mixed, Asian, Black, Other: the order shown
VALUE_DECIMALS = 1  # rates, percentages, means and their limits
RATIO_DECIMALS = 2

Count = int | str | None  # a multiple of 5 of at least 5, "*", or None (no figure)
Figure = float | str | None  # a rounded figure, "*", or None (could not be worked out)


@dataclass(frozen=True)
class PublicMetric:
    """A metric as the public sees it: plain-English title, meaning, unit and count labels.

    `rule` is "rate" (D3: hidden when its numerator or denominator is below 5) or "bed_days"
    (D4: also hidden below 100 bed days or 5 people, the people counted by `people_metric`).
    `numerator_is_total`: the numerator adds up something about each person or stay of the
    denominator (days in hospital), so over fewer than 5 of them it is hidden like a small count.
    """

    id: str
    title: str
    meaning: str
    unit: str
    numerator: str
    denominator: str
    rule: str = "rate"
    people_metric: str | None = None
    numerator_is_total: bool = False


def _metric(id, title, meaning, unit, numerator, denominator, **rule) -> PublicMetric:
    return PublicMetric(id, title, meaning, unit, numerator, denominator, **rule)


PER_100K = _("per 100,000 residents a year")
PERCENT = "%"  # the same in every language we offer
# Catalogue ids in the order the public page shows them. Titles in the catalogue are for
# analysts and untranslated; these are the public's words.
PUBLIC_METRICS: dict[str, PublicMetric] = {
    metric.id: metric
    for metric in [
        _metric(
            "DQ1",
            _("Ethnic group recorded"),
            _(
                "Of our records about people's care, the share in which the person's ethnic "
                "group is recorded with one of the national ethnic categories. The higher it "
                "is, the more our other figures by ethnic group can be relied on."
            ),
            PERCENT,
            _("Records with an ethnic group"),
            _("Records"),
        ),
        _metric(
            "ACC1.people",
            _("People referred to our services"),
            _(
                "How many different people were referred to our mental health services, for "
                "every 100,000 people living in the area we serve."
            ),
            PER_100K,
            _("People referred"),
            _("Residents"),
        ),
        _metric(
            "ACC2",
            _("Referrals from the police or the courts"),
            _(
                "Of all referrals to our services, the share that came from the police, the "
                "courts, prisons or probation."
            ),
            PERCENT,
            _("Referrals from the police or the courts"),
            _("All referrals"),
        ),
        _metric(
            "MHA1.people",
            _("People detained under the Mental Health Act"),
            _(
                "How many different people were detained (kept in hospital) under the Mental "
                "Health Act, for every 100,000 people living in our area. In England, Black "
                "people are detained far more often than White people."
            ),
            PER_100K,
            _("People detained"),
            _("Residents"),
        ),
        _metric(
            "MHA1.people.standardised",
            _("People detained under the Mental Health Act, adjusted for age"),
            _(
                "The same figure adjusted for the age of each group, so that groups with "
                "younger or older populations can be compared fairly. It is worked out only "
                "when at least 10 people in the group were detained."
            ),
            PER_100K,
            _("People detained"),
            _("Residents"),
        ),
        _metric(
            "MHA2.people",
            _("People on a community treatment order"),
            _(
                "How many different people were on a community treatment order (conditions "
                "for their treatment after leaving hospital), for every 100,000 people living "
                "in our area."
            ),
            PER_100K,
            _("People on an order"),
            _("Residents"),
        ),
        _metric(
            "MHA3",
            _("Uses of section 136"),
            _(
                "How often the police used section 136 of the Mental Health Act to take "
                "someone to a place of safety, for every 100,000 people living in our area."
            ),
            PER_100K,
            _("Uses of section 136"),
            _("Residents"),
        ),
        _metric(
            "RI1.any",
            _("Restrictive interventions on our wards"),
            _(
                "How often staff on our wards used physical restraint, seclusion or rapid "
                "tranquillisation, for every 1,000 days that a bed was occupied. The rate is "
                "hidden when fewer than 5 people were involved or a group had fewer than 100 "
                "bed days."
            ),
            _("per 1,000 occupied bed days"),
            _("Restrictive interventions"),
            _("Occupied bed days"),
            rule="bed_days",
            people_metric="RI2.any",
        ),
        _metric(
            "RI2.any",
            _("Inpatients subject to a restrictive intervention"),
            _(
                "Of the people who stayed on our wards, how many were restrained, secluded or "
                "rapidly tranquillised at least once, for every 1,000 inpatients."
            ),
            _("per 1,000 inpatients"),
            _("People"),
            _("Inpatients"),
        ),
        _metric(
            "LOS1.mean",
            _("Average length of stay in hospital"),
            _("The average (mean) number of days people stayed in hospital, for stays that ended."),
            _("days"),
            _("Days in hospital"),
            _("Stays that ended"),
            numerator_is_total=True,
        ),
        _metric(
            "OUT1",
            _("Improvement after treatment"),
            _(
                "Of the people who answered questions about their health at the start and the "
                "end of their care, the share whose answers improved by more than chance "
                "would explain."
            ),
            PERCENT,
            _("People who improved"),
            _("People who answered twice"),
        ),
        _metric(
            "EXP1",
            _("Good experience of care"),
            _(
                "Of the answers people gave when we asked about their experience of our "
                "care, the share that were positive."
            ),
            PERCENT,
            _("Positive answers"),
            _("Answers"),
        ),
    ]
}


class PublicationRefused(ValueError):
    """A run cannot be published or unpublished; the message says why, naming the value."""


@dataclass(frozen=True)
class PublishedRow:
    """One public row: the results table's columns for it, after disclosure control.

    Counts are a multiple of 5 of at least 5, "*" (fewer than 5, or hidden so that a hidden
    cell cannot be worked out), or None (no figure). Figures derived from a hidden count are
    "*" too; a figure that could not be worked out is None. `method` and `ratio_method` are
    blank when their figure is not shown (the method would say whether a count is below 10).
    """

    metric: str
    period_type: str
    period: str
    group_scheme: str
    group: str
    numerator: Count
    denominator: Count
    value: Figure
    lower: Figure
    upper: Figure
    method: str
    comparison_group: str | None
    ratio: Figure
    ratio_lower: Figure
    ratio_upper: Figure
    ratio_method: str

    def as_dict(self) -> dict:
        return asdict(self)


FIELDS = tuple(PublishedRow.__dataclass_fields__)
_READ_COLUMNS = [
    "metric",
    "period_type",
    "period",
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


# --- Which run is public -----------------------------------------------------------------------


def published_run(organisation, *, excluding: MetricRun | None = None) -> MetricRun | None:
    """The organisation's latest published finished run (what the public sees), or None.

    `excluding` leaves one run out: what the public would see if it were unpublished.
    """
    if organisation is None:
        return None
    runs = MetricRun.objects.filter(
        organisation=organisation, status=MetricRun.Status.DONE, published_at__isnull=False
    ).exclude(results_path="")
    if excluding is not None:
        runs = runs.exclude(pk=excluding.pk)
    return (
        runs.select_related("organisation", "published_by")
        .order_by("-published_at", "-created_at")
        .first()
    )


def publish(run: MetricRun, *, by) -> MetricRun:
    """Make a finished run's figures public, after checking every one can be published.

    `by` is the person publishing, or a system actor of the audit log (the demo: "demo").

    Raises:
        PermissionDenied: the person may not publish this organisation's data.
        PublicationRefused: the run is not finished, is already published, or its results
            cannot be read or hold a value disclosure control refuses (named).
    """
    _check_may_publish(by, run)
    with transaction.atomic():
        run = MetricRun.objects.select_for_update().select_related("organisation").get(pk=run.pk)
        if run.status != MetricRun.Status.DONE or not run.results_path:
            raise PublicationRefused(
                _("Only a finished metric run can be published; this one is “%(status)s”.")
                % {"status": run.get_status_display()}
            )
        if run.published_at is not None:
            raise PublicationRefused(_("This metric run is already published."))
        rows = published_rows(run)  # refuses results that cannot be published, before any change
        run.published_at = timezone.now()
        run.published_by = None if isinstance(by, str) else by
        run.save(update_fields=["published_at", "published_by", "updated_at"])
        audit.record(
            action="insights.metric_run_published",
            by=by,
            target=run,
            before={"published_at": None},
            after={"published_at": run.published_at, "published_by": _username(by)},
            context={
                "rule_set": RULE_SET_VERSION,
                "rows": len(rows),
                "dataset_number": run.dataset_number,
            },
        )
    return run


def unpublish(run: MetricRun, *, by) -> MetricRun:
    """Take a run's figures off the public data page; an earlier published run, if any, shows.

    Raises:
        PermissionDenied: the person may not publish this organisation's data.
        PublicationRefused: the run is not published.
    """
    _check_may_publish(by, run)
    with transaction.atomic():
        run = MetricRun.objects.select_for_update().get(pk=run.pk)
        if run.published_at is None:
            raise PublicationRefused(_("This metric run is not published."))
        before = {"published_at": run.published_at, "published_by": _username(run.published_by)}
        run.published_at, run.published_by = None, None
        run.save(update_fields=["published_at", "published_by", "updated_at"])
        audit.record(
            action="insights.metric_run_unpublished",
            by=by,
            target=run,
            before=before,
            after={"published_at": None, "published_by": None},
            context={"dataset_number": run.dataset_number},
        )
    return run


def _check_may_publish(by, run) -> None:
    """A person needs insights.publish_data on the run; of the system actors, only the demo
    and the command line publish (never the import or a metric run on its own)."""
    if isinstance(by, str):
        if by not in PUBLISHING_SYSTEM_ACTORS:
            raise PermissionDenied
    elif not by.has_perm(Perm.PUBLISH_DATA, run):
        raise PermissionDenied


def _username(user) -> str | None:
    if isinstance(user, str):
        return f"system:{user}"
    return user.get_username() if user is not None else None


# --- What is public: the figures after disclosure control -------------------------------------


def published_rows(
    run: MetricRun,
    *,
    metrics: Iterable[str] | None = None,
    period_types: Iterable[str] | None = None,
) -> list[PublishedRow]:
    """The run's public figures, disclosure-controlled and ready to show.

    Rows come in `PUBLIC_METRICS` order, then period (latest first; the whole extract last),
    then all people before the broad groups in `PUBLIC_GROUPS` order. Works on any finished
    run (published or not, e.g. for a preview); whether it is public is `published_run`'s job.

    Args:
        run: a finished MetricRun with results.parquet in its results_path.
        metrics: catalogue ids to keep (default: every one of `PUBLIC_METRICS`).
        period_types: "financial_year" and/or "extract" (default: both).

    Raises:
        PublicationRefused: the results file is missing or unreadable, or a row holds a value
            disclosure control refuses (a negative or infinite count), naming the row.
    """
    if not run.results_path:
        raise PublicationRefused(_("This metric run has no results."))
    path = Path(run.results_path) / "results.parquet"
    try:
        stamp = path.stat()
    except OSError:
        raise PublicationRefused(
            _("The results file of this metric run is missing: %(path)s") % {"path": path}
        ) from None
    rows = _controlled_rows(str(path), stamp.st_mtime_ns, stamp.st_size)
    wanted_metrics = set(PUBLIC_METRICS if metrics is None else metrics)
    wanted_periods = set(PUBLIC_PERIOD_TYPES if period_types is None else period_types)
    return [
        row for row in rows if row.metric in wanted_metrics and row.period_type in wanted_periods
    ]


@lru_cache(maxsize=8)
def _controlled_rows(path: str, _mtime_ns: int, _size: int) -> tuple[PublishedRow, ...]:
    """Read and control a results file once per version of it (the key includes its mtime)."""
    try:
        table = pq.read_table(
            path,
            columns=_READ_COLUMNS,
            filters=[
                ("organisation", "=", ALL),
                ("service", "=", ALL),
                ("period_type", "in", list(PUBLIC_PERIOD_TYPES)),
                ("group_scheme", "in", list(PUBLIC_SCHEMES)),
                ("metric", "in", list(PUBLIC_METRICS)),
            ],
        )
    except Exception as error:  # pyarrow raises many kinds for a broken or foreign file
        raise PublicationRefused(
            _("The results file %(path)s cannot be read: %(error)s")
            % {"path": path, "error": error}
        ) from None
    return tuple(controlled_rows(table.to_pylist()))


def controlled_rows(results: list[dict]) -> list[PublishedRow]:
    """The public subset of results-table rows (dicts), every figure through disclosure control.

    The engine never writes the same row twice; a results file that does is refused, as it is
    not the engine's and its figures could not be trusted to add up.
    """
    cells = _cells(results)
    order = {metric_id: position for position, metric_id in enumerate(PUBLIC_METRICS)}
    published = []
    for key in sorted(cells, key=lambda key: _sort_key(key, order)):
        metric = PUBLIC_METRICS[key[0]]
        people_rows = cells.get((metric.people_metric, *key[1:]), {})
        try:
            published += _control(key, cells[key], metric, people_rows)
        except (TypeError, ValueError) as error:
            raise PublicationRefused(
                _("%(metric)s, %(period)s: %(error)s")
                % {"metric": key[0], "period": key[2], "error": error}
            ) from None
    return published


def _sort_key(key, order):
    metric, period_type, period = key
    # Latest financial year first, the whole extract last.
    return (order[metric], period_type == "extract", tuple(-ord(c) for c in period))


def _cells(results: list[dict]) -> dict[tuple, dict[str, dict]]:
    """Public rows by (metric, period type, period), then by group ("all" or a broad group).

    A broad group's row compared with White is taken; a metric without comparisons has one
    row per group with no comparison group. Other comparisons and unknown groups are left out.
    """
    cells: dict[tuple, dict[str, dict]] = {}
    for row in results:
        if (
            row.get("metric") not in PUBLIC_METRICS
            or row.get("period_type") not in PUBLIC_PERIOD_TYPES
            or row.get("organisation", ALL) != ALL
            or row.get("service", ALL) != ALL
        ):
            continue
        scheme, group = row.get("group_scheme"), row.get("group")
        comparison = row.get("comparison_group") or None
        if scheme == ALL and group == ALL:
            slot = ALL
        elif (
            scheme == "broad" and group in PUBLIC_GROUPS and comparison in (None, COMPARISON_GROUP)
        ):
            slot = group
        else:
            continue
        key = (row["metric"], row["period_type"], str(row["period"]))
        groups = cells.setdefault(key, {})
        if slot in groups:
            previous = groups[slot].get("comparison_group") or None
            if previous == comparison:
                raise PublicationRefused(
                    _("The results hold two rows for %(metric)s, %(period)s, group %(group)s.")
                    % {"metric": key[0], "period": key[2], "group": slot}
                )
            if comparison is None:
                continue  # keep the row compared with White
        groups[slot] = row
    return cells


def _number(value) -> float | None:
    """A finite float, or None for missing, NaN or infinite (an infinite ratio is not shown)."""
    if value is None or isinstance(value, bool):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _count(value) -> float | None:
    """A count as given, None if missing. Infinite and negative counts are left for
    pcref.analytics.disclosure to refuse, naming them."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _control(key, groups: dict[str, dict], metric: PublicMetric, people_rows) -> list[PublishedRow]:
    """The rows of one metric and period: all people, then each broad group, controlled."""
    has_broad = any(slot != ALL for slot in groups)
    compares = any(
        (row.get("comparison_group") or None) == COMPARISON_GROUP for row in groups.values()
    )
    # A broad group with no row had no records: a zero, shown as "*" like any zero (D1).
    empty = {"numerator": 0.0, "denominator": 0.0}
    order = ([ALL] if ALL in groups else []) + (list(PUBLIC_GROUPS) if has_broad else [])
    raw = {slot: groups.get(slot, empty) for slot in order}
    counts = {
        slot: (_count(row.get("numerator")), _count(row.get("denominator")))
        for slot, row in raw.items()
    }
    shown = _shown_counts(_as_suppressed(counts, metric), has_broad)
    values = {
        slot: _shown_values(raw[slot], counts[slot], shown[slot], metric, people_rows.get(slot))
        for slot in order
    }

    published = []
    for slot, row in raw.items():
        compared = compares and slot not in (ALL, COMPARISON_GROUP)
        ratio = (None, None, None)
        if compared:
            if SUPPRESSED in values[slot] or SUPPRESSED in values[COMPARISON_GROUP]:
                ratio = (SUPPRESSED,) * 3  # §3: a ratio is hidden with either of its rates
            else:
                ratio = disclosure.suppress_rate_ratio(
                    *counts[slot],
                    *counts[COMPARISON_GROUP],
                    tuple(_number(row.get(name)) for name in _RATIO_FIELDS),
                    decimals=RATIO_DECIMALS,
                )
        value, lower, upper = values[slot]
        published.append(
            PublishedRow(
                metric=key[0],
                period_type=key[1],
                period=key[2],
                group_scheme=ALL if slot == ALL else "broad",
                group=slot,
                numerator=shown[slot][0],
                denominator=shown[slot][1],
                value=value,
                lower=lower,
                upper=upper,
                method=_shown_method(row.get("method"), value),
                comparison_group=COMPARISON_GROUP if compared else None,
                ratio=ratio[0],
                ratio_lower=ratio[1],
                ratio_upper=ratio[2],
                ratio_method=_shown_method(row.get("ratio_method"), ratio[0]),
            )
        )
    return published


_RATIO_FIELDS = ("ratio", "ratio_lower", "ratio_upper")


def _shown_values(row: dict, counts: tuple, shown: tuple, metric: PublicMetric, people_row):
    """(value, lower, upper) of one row: hidden with its counts (§3), D3, D4 for bed days, or
    when the rest of a proportion's whole is below 5."""
    if SUPPRESSED in shown:
        return (SUPPRESSED,) * 3  # also when a count is hidden only by secondary suppression
    triple = (_number(row.get("value")), _number(row.get("lower")), _number(row.get("upper")))
    if metric.rule == "bed_days":
        people = _count((people_row or {}).get("numerator"))
        if people is None and None not in counts:
            return (SUPPRESSED,) * 3  # without the people count, D4 cannot be checked
        return disclosure.suppress_restraint_rate(people, *counts, triple, decimals=VALUE_DECIMALS)
    if is_proportion(metric.id):  # the rest of the whole is a count too
        return disclosure.suppress_proportion(*counts, triple, decimals=VALUE_DECIMALS)
    return disclosure.suppress_rate(*counts, triple, decimals=VALUE_DECIMALS)


def _as_suppressed(counts: dict[str, tuple], metric: PublicMetric) -> dict[str, tuple]:
    """The counts suppression sees: a total over fewer than 5 stays counts as a small number
    (0), so that it is hidden, and secondary suppression then hides another group's too."""
    if not metric.numerator_is_total:
        return counts
    small = {
        slot
        for slot, (_top, bottom) in counts.items()
        if bottom is not None and 0 <= bottom < disclosure.COUNT_THRESHOLD
    }
    return {
        slot: (0.0 if slot in small and top is not None else top, bottom)
        for slot, (top, bottom) in counts.items()
    }


def _shown_counts(counts: dict[str, tuple], has_broad: bool) -> dict[str, tuple[Count, Count]]:
    """Numerators and denominators after D1, D2 and secondary suppression across the groups
    (disclosure.suppress_table_row, with the all-people count as the row's total)."""
    shown = {slot: [None, None] for slot in counts}
    for position in (0, 1):
        if has_broad:
            groups = [slot for slot in counts if slot != ALL]
            total = counts[ALL][position] if ALL in counts else None
            cells, shown_total = disclosure.suppress_table_row(
                [counts[slot][position] for slot in groups], total=total
            )
            for slot, cell in zip(groups, cells, strict=True):
                shown[slot][position] = cell
            if ALL in counts and total is not None:
                shown[ALL][position] = shown_total
        else:
            for slot in counts:
                shown[slot][position] = disclosure.suppress_count(counts[slot][position])
    return {slot: tuple(pair) for slot, pair in shown.items()}


def _shown_method(method, value) -> str:
    if value is None or value == SUPPRESSED or not method:
        return ""
    return str(method)


# --- Periods in words --------------------------------------------------------------------------

_FINANCIAL_YEAR = re.compile(r"^(\d{4})/(\d{2})$")


def period_words(period_type: str, period: str) -> str:
    """A period as the public page names it: "April 2024 to March 2025 (2024/25)"."""
    if period_type == "extract":
        return str(_("All the data, whatever its date"))
    match = _FINANCIAL_YEAR.match(period)
    if match:
        start = int(match.group(1))
        return str(
            _("April %(start)s to March %(end)s (%(label)s)")
            % {"start": start, "end": start + 1, "label": period}
        )
    return period
