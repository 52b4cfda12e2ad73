"""Experience figures by ethnic group, for the staff page and the board report (issue #6)."""

# Who gives feedback against who lives in the catchment, how positive it is, and what it is
# about. `summary(organisation, start, end)` is the one entry point; the staff page
# (presenters_experience.py) and the board report both call it. Its figures are not suppressed:
# they are for staff, never for publication.
#
# Definitions (docs/insights.md, "The experience page"):
#
# * **Ethnic group** is what the person said of themselves (`ethnic_category_code`). Broad groups
#   are NHS England's (Chinese counts in Other); detailed groups are the 16 national NHS codes.
#   "Prefer not to say" (Z) is *not stated*; a blank or 99 is *not known*. Both get their own row
#   and are left out of every share, as they belong to no group.
# * **Positive experience** is an answer of "very good" or "good" to "how did it feel overall",
#   out of the answers "very good", "good", "neither", "poor" and "very poor". "Don't know" and no
#   answer are not answers: the same rule as the engine's EXP1 (pcref.feedback.experience).
# * **Themes** are the themes a person confirmed at triage (`TriageDecision`), never suggestions.

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pcref.analytics import ethnicity, stats
from pcref.analytics.extract.load import open_dataset
from pcref.core.models import Organisation
from pcref.core.reference import ETHNIC_OPTION_LABELS
from pcref.feedback.models import FeedbackSubmission, Theme, TriageDecision
from pcref.insights import files
from pcref.insights.dashboard import BROAD_GROUPS

BROAD, DETAILED = "broad", "detailed"
SCHEMES = (BROAD, DETAILED)
NOT_STATED, NOT_KNOWN = "not_stated", "not_known"
UNSTATED = (NOT_STATED, NOT_KNOWN)
UNDER, OVER, NO_CLEAR_DIFFERENCE = "under", "over", "no_clear_difference"
CONFIDENCE = 0.95
TOP_THEMES = 5

_Experience = FeedbackSubmission.Experience
POSITIVE_ANSWERS = frozenset({_Experience.VERY_GOOD, _Experience.GOOD})
ANSWERS = POSITIVE_ANSWERS | {_Experience.NEITHER, _Experience.POOR, _Experience.VERY_POOR}

UNSTATED_LABELS = {
    NOT_STATED: gettext_lazy("Not stated (preferred not to say)"),
    NOT_KNOWN: gettext_lazy("Not known (not answered)"),
}
# The form option each national code stands for (the one that is not a local residual), for a
# translated detailed label: "Asian: Indian", "Other: Chinese".
_OPTION_OF_CODE = {
    option.nhs_code: option.id
    for option in ethnicity.FORM_OPTIONS
    if option.census2021_code and not option.local_residual
}


def group_keys(scheme: str) -> tuple[str, ...]:
    """The stated groups of a scheme, in the order NHS England publishes them."""
    check_scheme(scheme)
    if scheme == BROAD:
        return tuple(group.name for group in ethnicity.BROAD_GROUPS)
    return ethnicity.NATIONAL_CODES


def check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}; got {scheme!r}")


def group_of(code: str, scheme: str) -> str:
    """The row a person's NHS code counts in: a group key, "not_stated" (Z) or "not_known"
    (99, blank, or anything that is not an NHS code, as public counts treat it)."""
    if code in ethnicity.NATIONAL_CODES:
        return ethnicity.broad_group(code) if scheme == BROAD else code
    return NOT_STATED if code == ethnicity.NOT_STATED else NOT_KNOWN


def group_label(key: str) -> str:
    """A group's name in the active language."""
    if key in UNSTATED_LABELS:
        return str(UNSTATED_LABELS[key])
    if key in BROAD_GROUPS:
        return str(BROAD_GROUPS[key])
    broad = str(BROAD_GROUPS[ethnicity.broad_group(key)])
    return f"{broad}: {ETHNIC_OPTION_LABELS[_OPTION_OF_CODE[key]]}"


# --- Periods --------------------------------------------------------------------------------


def latest_twelve_months(today: dt.date) -> tuple[dt.date, dt.date]:
    """The twelve months ending today, both days included (29 February counts back to 1 March)."""
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_ago = today.replace(year=today.year - 1, day=28)
    return year_ago + dt.timedelta(days=1), today


def financial_year_of(day: dt.date) -> str:
    """The financial year a day falls in, as "2025-26" (April to March)."""
    first = day.year if day.month >= 4 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def financial_year_dates(label: str) -> tuple[dt.date, dt.date]:
    """1 April and 31 March of a financial year written "2025-26".

    Raises:
        ValueError: naming the value, when it is not a financial year written that way.
    """
    try:
        first, second = label.split("-")
        year = int(first)
        well_formed = len(first) == 4 and len(second) == 2 and int(second) == (year + 1) % 100
    except (AttributeError, ValueError):
        well_formed = False
    if not well_formed:
        raise ValueError(f"a financial year is written like 2025-26; got {label!r}")
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)


def financial_years(organisation: Organisation, today: dt.date) -> list[str]:
    """Financial years to choose from, newest first: from the organisation's first feedback
    (or five years back, if earlier) to this year."""
    first = (
        FeedbackSubmission.objects.filter(organisation=organisation)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    oldest = today.year - 5
    if first is not None:
        oldest = min(oldest, timezone.localtime(first).year - 1)
    newest = int(financial_year_of(today)[:4])
    return [f"{year}-{(year + 1) % 100:02d}" for year in range(newest, oldest - 1, -1)]


def _received_between(organisation: Organisation, start: dt.date, end: dt.date):
    """Feedback received from the first moment of `start` to the last of `end`, local time."""

    def midnight(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    received = FeedbackSubmission.objects.filter(
        organisation=organisation, created_at__gte=midnight(start)
    )
    if end < dt.date.max:
        received = received.filter(created_at__lt=midnight(end + dt.timedelta(days=1)))
    return received


# --- The catchment population ---------------------------------------------------------------


@dataclass(frozen=True)
class CatchmentPopulation:
    """Residents of the catchment by Census 2021 ethnic group (1 to 19), summed over every area,
    sex and age band of one dataset version's population table.

    For detailed groups each census group counts under the NHS code a person in it is given
    (`nhs_code`, or the local residual: Gypsy or Irish Traveller and Roma under C, Arab under S),
    because that is how feedback stores them; NHS England's population tables instead leave
    those three out of C and S. Broad groups are the same either way.
    """

    dataset_number: int
    by_census_group: Mapping[int, int]

    @property
    def residents(self) -> int:
        return sum(self.by_census_group.values())

    def of_group(self, key: str, scheme: str) -> int:
        """Residents in one stated group of a scheme."""
        total = 0
        for code, count in self.by_census_group.items():
            group = ethnicity.census2021_group(code)
            if scheme == BROAD:
                in_group = group.nhs_broad_group_for_statistics == key
            else:
                in_group = (group.nhs_code or group.local_residual_code) == key
            total += count if in_group else 0
        return total


def catchment_population(organisation: Organisation) -> CatchmentPopulation | None:
    """The population table of the organisation's latest dataset version (only valid extracts
    become versions), or None when it has none."""
    try:
        dataset = open_dataset(files.datasets_dir(organisation))
        path = dataset.table_path("population")
    except (FileNotFoundError, KeyError):
        return None
    table = pq.read_table(path, columns=["census2021_ethnic_group", "population"])
    grouped = table.group_by("census2021_ethnic_group").aggregate([("population", "sum")])
    codes = pc.cast(grouped["census2021_ethnic_group"], "int64").to_pylist()
    counts = grouped["population_sum"].to_pylist()
    by_code = {code: int(count or 0) for code, count in zip(codes, counts, strict=True)}
    return CatchmentPopulation(dataset.number, MappingProxyType(by_code))


# --- The summary ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupVolume:
    """Feedback from one group in the period, against the group's share of the catchment.

    Attributes:
        key: a broad group ("White", "Mixed", "Asian", "Black", "Other"), a national NHS code
            ("A" to "S") in the detailed scheme, or "not_stated" / "not_known".
        label: the group's name in the active language.
        count: pieces of feedback from the group.
        share, share_lower, share_upper: the group's % of feedback with a stated group, with
            Wilson 95% limits; None for not stated and not known, and when no one stated one.
        population: residents of the catchment in the group; None without a population, and
            for not stated and not known.
        population_share: the group's % of the catchment's residents; None likewise.
        ratio, ratio_lower, ratio_upper: the representation ratio, share / population_share,
            and its limits (share_lower and share_upper divided by population_share). The
            population share is a census count, taken as known exactly, so the interval is the
            feedback share's alone. None without a population share above 0.
        representation: "under" (ratio_upper below 1), "over" (ratio_lower above 1),
            "no_clear_difference", or None without a ratio.
    """

    key: str
    label: str
    count: int
    share: float | None = None
    share_lower: float | None = None
    share_upper: float | None = None
    population: int | None = None
    population_share: float | None = None
    ratio: float | None = None
    ratio_lower: float | None = None
    ratio_upper: float | None = None
    representation: str | None = None

    @property
    def stated(self) -> bool:
        return self.key not in UNSTATED


@dataclass(frozen=True)
class PositiveExperience:
    """Positive answers to "how did it feel overall" from one group ("all" for everyone).

    Attributes:
        key, label: as `GroupVolume`; key "all" for all feedback.
        positive: answers "very good" or "good".
        answered: answers other than "don't know" or none.
        percent, lower, upper: positive / answered as a %, with Wilson 95% limits; None when
            no one in the group answered.
    """

    key: str
    label: str
    positive: int
    answered: int
    percent: float | None = None
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True)
class ThemeCount:
    """A confirmed theme: how many of the group's pieces of feedback have it, and their % of
    all the group's feedback in the period (triaged or not)."""

    key: str
    label: str
    count: int
    percent: float


@dataclass(frozen=True)
class GroupThemes:
    """The most common confirmed themes of one broad group (or not stated, not known).

    Attributes:
        feedback: pieces of feedback from the group in the period.
        triaged: of those, how many have at least one confirmed theme.
        themes: up to TOP_THEMES themes, most common first (ties by name).
    """

    key: str
    label: str
    feedback: int
    triaged: int
    themes: tuple[ThemeCount, ...]


@dataclass(frozen=True)
class ExperienceSummary:
    """The experience figures of one organisation for a period, unsuppressed (staff only).

    Attributes:
        organisation_id: whose feedback.
        start, end: the first and last days of the period, both included (local time).
        scheme: "broad" or "detailed": the groups of `volumes` and `positive`.
        total: pieces of feedback received in the period.
        stated: of those, how many from a person who stated an ethnic group (the shares'
            denominator).
        population: the catchment population used, or None when the organisation has no
            dataset version (then volumes carry counts and shares only).
        volumes: one row per group of the scheme, then "not_stated" and "not_known".
        positive_overall: positive experience of all feedback, every group included.
        positive: one row per group, in the order of `volumes`.
        themes: one row per broad group, then "not_stated" and "not_known" (always broad).
    """

    organisation_id: uuid.UUID
    start: dt.date
    end: dt.date
    scheme: str
    total: int
    stated: int
    population: CatchmentPopulation | None
    volumes: tuple[GroupVolume, ...]
    positive_overall: PositiveExperience
    positive: tuple[PositiveExperience, ...]
    themes: tuple[GroupThemes, ...]

    @property
    def under_represented(self) -> tuple[GroupVolume, ...]:
        """Groups whose share of feedback is clearly below their share of the population,
        the furthest below first."""
        under = [row for row in self.volumes if row.representation == UNDER]
        return tuple(sorted(under, key=lambda row: row.ratio))


def _number(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _proportion(part: int, whole: int) -> tuple[float | None, float | None, float | None]:
    if whole <= 0:
        return None, None, None
    estimate = stats.proportion(part, whole, confidence=CONFIDENCE, multiplier=100)
    return _number(estimate.value), _number(estimate.lower), _number(estimate.upper)


def _representation(lower: float, upper: float) -> str:
    if upper < 1:
        return UNDER
    if lower > 1:
        return OVER
    return NO_CLEAR_DIFFERENCE


def _volume(
    key: str, count: int, stated: int, population: CatchmentPopulation | None, scheme: str
) -> GroupVolume:
    if key in UNSTATED:
        return GroupVolume(key, group_label(key), count)
    share, lower, upper = _proportion(count, stated)
    residents = population_share = None
    if population is not None:
        residents = population.of_group(key, scheme)
        if population.residents > 0:
            population_share = residents / population.residents * 100
    ratio = ratio_lower = ratio_upper = representation = None
    if share is not None and population_share:
        ratio = share / population_share
        ratio_lower, ratio_upper = lower / population_share, upper / population_share
        representation = _representation(ratio_lower, ratio_upper)
    return GroupVolume(
        key,
        group_label(key),
        count,
        share,
        lower,
        upper,
        residents,
        population_share,
        ratio,
        ratio_lower,
        ratio_upper,
        representation,
    )


def _positive(key: str, label: str, positive: int, answered: int) -> PositiveExperience:
    return PositiveExperience(key, label, positive, answered, *_proportion(positive, answered))


def _themes(received, keys: tuple[str, ...], feedback: Counter) -> tuple[GroupThemes, ...]:
    """Top confirmed themes per broad group: three queries, none per group."""
    triaged: Counter = Counter()
    rows = (
        received.filter(triage_decisions__isnull=False)
        .values("ethnic_category_code")
        .annotate(pieces=Count("pk", distinct=True))
        .order_by()
    )
    for row in rows:
        triaged[group_of(row["ethnic_category_code"], BROAD)] += row["pieces"]
    by_group: dict[str, Counter] = defaultdict(Counter)
    names: dict[str, str] = {}
    decisions = (
        TriageDecision.objects.filter(submission__in=received)
        .values("submission__ethnic_category_code", "theme__key", "theme__label")
        .annotate(pieces=Count("submission", distinct=True))
        .order_by()
    )
    for row in decisions:
        key = row["theme__key"]
        names[key] = Theme(key=key, label=row["theme__label"]).name
        by_group[group_of(row["submission__ethnic_category_code"], BROAD)][key] += row["pieces"]
    result = []
    for group in keys:
        ranked = sorted(by_group[group].items(), key=lambda item: (-item[1], names[item[0]]))
        result.append(
            GroupThemes(
                group,
                group_label(group),
                feedback[group],
                triaged[group],
                tuple(
                    ThemeCount(theme, names[theme], count, count / feedback[group] * 100)
                    for theme, count in ranked[:TOP_THEMES]
                ),
            )
        )
    return tuple(result)


def summary(
    organisation: Organisation, start: dt.date, end: dt.date, *, scheme: str = BROAD
) -> ExperienceSummary:
    """The experience figures of an organisation's feedback received from `start` to `end`.

    Args:
        organisation: the trust whose feedback it is (its own feedback only, whoever entered it).
        start, end: the first and last days, both included, in the site's time zone.
        scheme: "broad" (default) or "detailed" groups for volumes and positive experience;
            themes are always by broad group.

    Returns:
        An `ExperienceSummary`, from three queries and one read of the population table
        whatever the amount of feedback.

    Raises:
        ValueError: naming the values, when start is after end or the scheme is unknown.
    """
    check_scheme(scheme)
    if start > end:
        raise ValueError(f"start must be on or before end; got start {start} and end {end}")
    received = _received_between(organisation, start, end)
    feedback_by_code: Counter = Counter()
    positive_by_code: Counter = Counter()
    answered_by_code: Counter = Counter()
    rows = (
        received.values("ethnic_category_code", "overall_experience")
        .annotate(pieces=Count("pk"))
        .order_by()
    )
    for row in rows:
        code, answer, count = row["ethnic_category_code"], row["overall_experience"], row["pieces"]
        feedback_by_code[code] += count
        answered_by_code[code] += count if answer in ANSWERS else 0
        positive_by_code[code] += count if answer in POSITIVE_ANSWERS else 0

    def by_group(counts: Counter, of_scheme: str) -> Counter:
        grouped: Counter = Counter()
        for code, count in counts.items():
            grouped[group_of(code, of_scheme)] += count
        return grouped

    keys = (*group_keys(scheme), *UNSTATED)
    feedback, positive, answered = (
        by_group(counts, scheme)
        for counts in (feedback_by_code, positive_by_code, answered_by_code)
    )
    stated = sum(feedback[key] for key in group_keys(scheme))
    population = catchment_population(organisation)
    return ExperienceSummary(
        organisation_id=organisation.pk,
        start=start,
        end=end,
        scheme=scheme,
        total=sum(feedback.values()),
        stated=stated,
        population=population,
        volumes=tuple(_volume(key, feedback[key], stated, population, scheme) for key in keys),
        positive_overall=_positive(
            "all",
            _("All feedback"),
            sum(positive.values()),
            sum(answered.values()),
        ),
        positive=tuple(
            _positive(key, group_label(key), positive[key], answered[key]) for key in keys
        ),
        themes=_themes(
            received, (*group_keys(BROAD), *UNSTATED), by_group(feedback_by_code, BROAD)
        ),
    )
