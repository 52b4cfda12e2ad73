"""Read-only queries for feedback pages: scoped inbox, public entries and counts, exports."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pcref.analytics import disclosure, ethnicity
from pcref.core.models import Organisation, ServiceTeam
from pcref.feedback.models import FeedbackSubmission, Theme, YouSaidWeDidEntry


def resolve_answers(answers: dict, trust: Organisation) -> dict:
    """The journey's stored answers with ids turned back into records of this trust."""
    resolved = dict(answers)
    resolved["service_team"] = ServiceTeam.objects.filter(
        organisation=trust, pk=answers.get("service_team") or None
    ).first()
    resolved["partner_organisation"] = (
        Organisation.objects.filter(pk=answers.get("partner_organisation") or None)
        .exclude(kind=Organisation.Kind.NHS_TRUST)
        .first()
    )
    resolved["wants_reply"] = answers.get("wants_reply") == "yes"
    resolved["consent"] = bool(answers.get("consent"))
    return resolved


# Public ----------------------------------------------------------------------------------------


class PublicEntryFilter(forms.Form):
    theme = forms.ChoiceField(label=_("Theme"), required=False, widget=forms.Select)
    service = forms.ChoiceField(label=_("Service or team"), required=False, widget=forms.Select)

    def __init__(self, data, *, organisation: Organisation | None):
        super().__init__(data or None)
        published = YouSaidWeDidEntry.objects.published().filter(organisation=organisation)
        themes = Theme.objects.filter(pk__in=published.values("theme")).order_by("label")
        teams = ServiceTeam.objects.filter(pk__in=published.values("service_team")).order_by("name")
        self.fields["theme"].choices = [("", _("All themes"))] + [(t.key, t.name) for t in themes]
        self.fields["service"].choices = [("", _("All services"))] + [
            (str(t.pk), t.name) for t in teams
        ]

    def cleaned(self) -> dict:
        return self.cleaned_data if self.is_bound and self.is_valid() else {}


def published_entries(
    organisation: Organisation | None, criteria: dict
) -> QuerySet[YouSaidWeDidEntry]:
    entries = (
        YouSaidWeDidEntry.objects.published()
        .filter(organisation=organisation)
        .select_related("theme", "service_team")
    )
    if criteria.get("theme"):
        entries = entries.filter(theme__key=criteria["theme"])
    if criteria.get("service"):
        entries = entries.filter(service_team_id=criteria["service"])
    return entries


BROAD_GROUP_ORDER = ("White", "Mixed", "Asian", "Black", "Other")


def public_counts_cut_off(now: datetime | None = None) -> datetime:
    """The start of this month in the trust's time zone: the public counts are of feedback
    received before it.

    A table that changed with each new piece of feedback would give away small numbers to
    anyone who sent some and watched a cell: a "*" that turns into 5 after their fourth says
    exactly one was there before, and the next real person's group shows at once. So the table
    changes once a month, like a monthly publication (disclosure-control.md §3, secondary
    suppression), and says up to when it counts.
    """
    now = timezone.localtime(now)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def public_feedback_counts(organisation: Organisation | None, now: datetime | None = None) -> dict:
    """Feedback received before this month (`public_counts_cut_off`) by confirmed theme and by
    broad ethnic group, after disclosure control: counts under 5 shown as "*", the rest
    rounded to the nearest 5. "up_to" is the last day counted."""
    cut_off = public_counts_cut_off(now)
    received = FeedbackSubmission.objects.filter(organisation=organisation, created_at__lt=cut_off)
    by_theme = Counter(
        received.filter(triage_decisions__isnull=False).values_list(
            "triage_decisions__theme__label", flat=True
        )
    )
    by_group: Counter = Counter()
    for code in received.values_list("ethnic_category_code", flat=True):
        if code in ethnicity.NATIONAL_CODES:
            by_group[ethnicity.broad_group(code)] += 1
        elif code == ethnicity.NOT_STATED:
            by_group["not_stated"] += 1
        else:
            by_group["not_known"] += 1
    group_labels = {
        "White": _("White"),
        "Mixed": _("Mixed"),
        "Asian": _("Asian or Asian British"),
        "Black": _("Black or Black British"),
        "Other": _("Other ethnic group"),
        "not_stated": _("Preferred not to say"),
        "not_known": _("Not given"),
    }
    return {
        "up_to": (cut_off - timedelta(days=1)).date(),
        "total": disclosure.suppress_count(received.count()),
        "by_theme": [
            {"label": label, "count": disclosure.suppress_count(count)}
            for label, count in sorted(by_theme.items())
        ],
        "by_group": [
            {"label": group_labels[key], "count": disclosure.suppress_count(by_group.get(key, 0))}
            for key in (*BROAD_GROUP_ORDER, "not_stated", "not_known")
        ],
    }


# Staff -----------------------------------------------------------------------------------------

BROAD_GROUP_CODES = {
    "W": ("A", "B", "C"),
    "M": ("D", "E", "F", "G"),
    "A": ("H", "J", "K", "L"),
    "B": ("M", "N", "P"),
    "O": ("R", "S"),
    "Z": ("Z",),
    "99": ("99", ""),
}


def inbox(
    submissions: QuerySet[FeedbackSubmission], criteria: dict
) -> QuerySet[FeedbackSubmission]:
    """Feedback matching the inbox filters; the caller passes an already scoped queryset."""
    if criteria.get("status"):
        submissions = submissions.filter(status=criteria["status"])
    if criteria.get("service_team"):
        submissions = submissions.filter(service_team_id=criteria["service_team"])
    if criteria.get("theme"):
        submissions = submissions.filter(triage_decisions__theme__key=criteria["theme"])
    if criteria.get("sentiment"):
        submissions = submissions.filter(sentiment=criteria["sentiment"])
    if criteria.get("language"):
        submissions = submissions.filter(text_language=criteria["language"])
    if criteria.get("ethnic_group"):
        submissions = submissions.filter(
            ethnic_category_code__in=BROAD_GROUP_CODES[criteria["ethnic_group"]]
        )
    if criteria.get("flagged") == "safeguarding":
        submissions = submissions.filter(safeguarding=True)
    if criteria.get("flagged") == "complaint":
        submissions = submissions.filter(formal_complaint=True)
    zone = timezone.get_current_timezone()
    if criteria.get("received_from"):
        submissions = submissions.filter(
            created_at__gte=timezone.make_aware(
                datetime.combine(criteria["received_from"], time.min), zone
            )
        )
    if criteria.get("received_to"):
        submissions = submissions.filter(
            created_at__lte=timezone.make_aware(
                datetime.combine(criteria["received_to"], time.max), zone
            )
        )
    if criteria.get("search"):
        words = criteria["search"].strip()
        submissions = submissions.filter(
            Q(reference__iexact=words)
            | Q(text__icontains=words)
            | Q(cultural_needs__icontains=words)
            | Q(family_involvement__icontains=words)
            | Q(sharing_information__icontains=words)
        )
    return (
        submissions.select_related("service_team")
        .prefetch_related("triage_decisions__theme")
        .distinct()
        .order_by("-created_at")
    )


EXPORT_HEADER = [
    "reference",
    "received",
    "status",
    "service_team",
    "respondent_type",
    "channel",
    "easy_read",
    "text",
    "cultural_needs",
    "family_involvement",
    "sharing_information",
    "overall_experience",
    "language_written",
    "themes",
    "sentiment",
    "ethnicity_as_given",
    "ethnic_category_code",
    "ethnicity_mapping_version",
    "age_band",
    "sex",
    "religion",
    "disability",
]


def export_rows(submissions: QuerySet[FeedbackSubmission]) -> list[list[str]]:
    """Rows for CSV/XLSX: the feedback without contact details."""
    return [
        [
            s.reference,
            timezone.localtime(s.created_at).isoformat(timespec="minutes"),
            s.status,
            s.service_team.name if s.service_team_id else "",
            s.respondent_type,
            s.channel,
            "yes" if s.easy_read else "no",
            s.text,
            s.cultural_needs,
            s.family_involvement,
            s.sharing_information,
            s.overall_experience,
            s.text_language,
            ";".join(sorted(d.theme.key for d in s.triage_decisions.all())),
            s.sentiment,
            s.ethnicity_as_given,
            s.ethnic_category_code,
            s.ethnicity_mapping_version,
            s.age_band,
            s.sex,
            s.religion,
            s.disability,
        ]
        for s in submissions
    ]
