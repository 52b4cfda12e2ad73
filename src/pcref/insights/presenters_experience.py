"""What the staff experience page shows: the tables' cells, sentences and charts of one summary."""

from __future__ import annotations

import math

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from pcref.insights import charts
from pcref.insights.dashboard import figure, ratio_figure
from pcref.insights.experience import (
    DETAILED,
    NO_CLEAR_DIFFERENCE,
    NOT_KNOWN,
    NOT_STATED,
    OVER,
    UNDER,
    ExperienceSummary,
    GroupThemes,
    GroupVolume,
    PositiveExperience,
)

REPRESENTATION_WORDS = {
    UNDER: gettext_lazy("under-represented"),
    OVER: gettext_lazy("over-represented"),
    NO_CLEAR_DIFFERENCE: gettext_lazy("no clear difference"),
}
_REPRESENTATION_ORDER = {UNDER: 0, NO_CLEAR_DIFFERENCE: 1, OVER: 2}


def percent(value: float | None) -> str:
    """A percentage as the page shows it: one decimal place, "–" when missing."""
    return "–" if value is None else _("%(value)s%%") % {"value": figure(value)}


def pieces(count: int) -> str:
    return ngettext("%(count)s piece of feedback", "%(count)s pieces of feedback", count) % {
        "count": figure(count, 0)
    }


def _between(lower, upper, show=percent) -> str:
    return _("%(start)s to %(end)s") % {"start": show(lower), "end": show(upper)}


def volume_words(row: GroupVolume) -> str:
    """One group's feedback against its population share, in a sentence."""
    said = {"group": row.label, "pieces": pieces(row.count)}
    if row.share is None:
        return _("%(group)s: %(pieces)s.") % said
    said.update(share=percent(row.share), interval=_between(row.share_lower, row.share_upper))
    if row.population_share is None:
        return (
            _(
                "%(group)s: %(pieces)s, %(share)s of those with a stated ethnic group "
                "(95%% interval %(interval)s)."
            )
            % said
        )
    said["population"] = percent(row.population_share)
    if row.ratio is None:
        return (
            _(
                "%(group)s: %(pieces)s, %(share)s of those with a stated ethnic group "
                "(95%% interval %(interval)s); the catchment population has no residents "
                "recorded in this group."
            )
            % said
        )
    said.update(
        ratio=ratio_figure(row.ratio),
        ratio_interval=_between(row.ratio_lower, row.ratio_upper, ratio_figure),
        representation=REPRESENTATION_WORDS[row.representation],
    )
    return (
        _(
            "%(group)s: %(pieces)s, %(share)s of those with a stated ethnic group (95%% interval "
            "%(interval)s), against %(population)s of the catchment population: %(ratio)s times "
            "its population share (%(ratio_interval)s), %(representation)s."
        )
        % said
    )


def positive_words(row: PositiveExperience, overall: PositiveExperience) -> str:
    """One group's positive experience, and how it stands against all feedback."""
    if row.percent is None:
        return _("%(group)s: no answers about the overall experience.") % {"group": row.label}
    words = ngettext(
        "%(group)s: %(percent)s positive (95%% interval %(interval)s), %(positive)s of "
        "%(answered)s answer.",
        "%(group)s: %(percent)s positive (95%% interval %(interval)s), %(positive)s of "
        "%(answered)s answers.",
        row.answered,
    ) % {
        "group": row.label,
        "percent": percent(row.percent),
        "interval": _between(row.lower, row.upper),
        "positive": figure(row.positive, 0),
        "answered": figure(row.answered, 0),
    }
    if row is overall or overall.percent is None:
        return words
    if row.upper < overall.percent:
        against = _("Its interval is below the figure for all feedback, %(overall)s.")
    elif row.lower > overall.percent:
        against = _("Its interval is above the figure for all feedback, %(overall)s.")
    else:
        against = _("No clear difference from the figure for all feedback, %(overall)s.")
    return f"{words} {against % {'overall': percent(overall.percent)}}"


class ExperiencePage:
    """What the experience page shows: tables' cells, sentences and charts of one summary."""

    def __init__(self, summary: ExperienceSummary):
        self.summary = summary
        self.period = _("%(start)s to %(end)s") % {
            "start": date_format(summary.start, "j F Y"),
            "end": date_format(summary.end, "j F Y"),
        }
        self.detailed = summary.scheme == DETAILED
        self.total = pieces(summary.total)
        self.population = summary.population
        self.dataset = f"v{self.population.dataset_number:04d}" if self.population else ""
        self.residents = figure(self.population.residents, 0) if self.population else ""
        self.volumes = summary.volumes
        stated = [row for row in summary.volumes if row.stated]
        if self.population is not None:
            stated.sort(
                key=lambda row: (
                    _REPRESENTATION_ORDER.get(row.representation, 3),
                    row.ratio if row.ratio is not None else math.inf,
                )
            )
        self.volume_words = [volume_words(row) for row in stated]
        unstated = {row.key: row.count for row in summary.volumes if not row.stated}
        self.unstated_words = _(
            "%(not_stated)s from people who preferred not to say their ethnic group, and "
            "%(not_known)s from people who did not answer: both are left out of the shares."
        ) % {"not_stated": pieces(unstated[NOT_STATED]), "not_known": pieces(unstated[NOT_KNOWN])}
        under = summary.under_represented
        if self.population is None:
            self.representation_lead = ""
        elif under:
            self.representation_lead = _(
                "Under-represented against the catchment population: %(groups)s."
            ) % {"groups": ", ".join(row.label for row in under)}
        else:
            self.representation_lead = _(
                "No group is clearly under-represented against the catchment population."
            )
        overall = summary.positive_overall
        self.positive_overall = overall
        self.positive = summary.positive
        self.positive_words = [positive_words(overall, overall)] + [
            positive_words(row, overall) for row in summary.positive
        ]
        self.themes = summary.themes
        self.any_themes = any(group.themes for group in summary.themes)
        self.representation_chart = self._representation_chart(summary)
        self.positive_chart = self._positive_chart(summary)
        self.volume_rows = [self._volume_row(row) for row in summary.volumes]
        self.positive_rows = [self._positive_row(row) for row in (overall, *summary.positive)]
        self.theme_groups = [self._theme_group(group) for group in summary.themes if group.feedback]

    @staticmethod
    def _representation_chart(summary: ExperienceSummary) -> charts.Chart | None:
        if summary.population is None or not summary.stated:
            return None
        return charts.interval_chart(
            id="experience-representation",
            title=_("Share of feedback against share of the catchment population"),
            unit=_("times the population share"),
            rows=[
                (row.label, row.ratio, row.ratio_lower, row.ratio_upper)
                for row in summary.volumes
                if row.stated
            ],
            reference=1,
            reference_label=_("the same share as the population"),
            places=2,  # ratios, as ratio_figure shows them in the table
        )

    @staticmethod
    def _positive_chart(summary: ExperienceSummary) -> charts.Chart | None:
        overall = summary.positive_overall
        if not overall.answered:
            return None
        return charts.interval_chart(
            id="experience-positive",
            title=_("Positive experience by ethnic group"),
            unit=_("% positive"),
            rows=[(row.label, row.percent, row.lower, row.upper) for row in summary.positive],
            reference=overall.percent,
            reference_label=_("all feedback"),
        )

    @staticmethod
    def _volume_row(row: GroupVolume) -> dict:
        return {
            "key": row.key,
            "label": row.label,
            "stated": row.stated,
            "count": figure(row.count, 0),
            "share": percent(row.share),
            "share_interval": _between(row.share_lower, row.share_upper),
            "population_share": percent(row.population_share),
            "ratio": ratio_figure(row.ratio),
            "ratio_interval": _between(row.ratio_lower, row.ratio_upper, ratio_figure),
            "representation": str(REPRESENTATION_WORDS.get(row.representation, "")),
        }

    @staticmethod
    def _positive_row(row: PositiveExperience) -> dict:
        return {
            "key": row.key,
            "label": row.label,
            "positive": figure(row.positive, 0),
            "answered": figure(row.answered, 0),
            "percent": percent(row.percent),
            "interval": _between(row.lower, row.upper) if row.percent is not None else "",
        }

    @staticmethod
    def _theme_group(group: GroupThemes) -> dict:
        return {
            "key": group.key,
            "label": group.label,
            "caption": _("%(group)s: %(pieces)s, %(triaged)s of them with confirmed themes")
            % {
                "group": group.label,
                "pieces": pieces(group.feedback),
                "triaged": figure(group.triaged, 0),
            },
            "themes": [
                {
                    "label": theme.label,
                    "count": figure(theme.count, 0),
                    "percent": percent(theme.percent),
                }
                for theme in group.themes
            ],
        }
