"""The CQC evidence pack: for a period, what the trust can show for each PCREF component (the
plan and its progress, meetings and decisions, metrics, feedback, "You said, we did" and
co-production), each item traceable to the staff page of the record it comes from.

`build_pack` only reads, through `visible_to(viewer)`, so a pack never holds a record the person
may not see. `record_export` is the audited step every download goes through. The pack leaves the
trust: it holds counts, never people's names or their own words, and small counts are shown as
"fewer than 5".
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from pcref.core import audit
from pcref.core.presenters import date_only
from pcref.feedback.models import FeedbackSubmission, TriageDecision, YouSaidWeDidEntry
from pcref.governance.models import (
    ActionMeasure,
    Attendance,
    Decision,
    DeliveryAction,
    DeliveryPlan,
    EvidenceFile,
    GovernanceGroup,
    LogItem,
    Meeting,
    MeetingPaper,
    Milestone,
    PCREFComponent,
    ProgressUpdate,
)
from pcref.governance.presenters import ActionRow
from pcref.governance.rules import Perm
from pcref.involvement.models import EngagementEvent
from pcref.involvement.rules import Perm as InvolvementPerm

SMALL_COUNT = 5  # counts from 1 to 4 are shown as "fewer than 5"
EXCERPT = 60  # characters of a record's own text that identify it on its page

KIND_LABELS = {
    "plan": gettext_lazy("Delivery plan"),
    "board_view": gettext_lazy("Board view"),
    "action": gettext_lazy("Plan action"),
    "milestone": gettext_lazy("Milestone"),
    "progress_update": gettext_lazy("Progress update"),
    "evidence_file": gettext_lazy("Evidence file"),
    "meeting": gettext_lazy("Meeting"),
    "meeting_paper": gettext_lazy("Meeting paper"),
    "decision": gettext_lazy("Decision"),
    "log_item": gettext_lazy("Action log item"),
    "metric_run": gettext_lazy("Metric run"),
    "disparity": gettext_lazy("Headline disparity"),
    "data_quality": gettext_lazy("Ethnicity recording quality"),
    "measure": gettext_lazy("Measure of an action"),
    "feedback_counts": gettext_lazy("Feedback received by theme"),
    "you_said_we_did": gettext_lazy("You said, we did"),
    "engagement_event": gettext_lazy("Engagement event"),
    "co_production": gettext_lazy("Co-production activity"),
}
COMPONENTS = [
    PCREFComponent.LEADERSHIP_GOVERNANCE,
    PCREFComponent.DATA,
    PCREFComponent.FEEDBACK,
]


def small(count: int) -> str:
    """A count as the pack shows it: 1 to 4 as "fewer than 5"."""
    return _("fewer than 5") if 0 < count < SMALL_COUNT else str(count)


def plural_of(count: int) -> int:
    """The number that chooses the plural form of a count shown with `small`: "fewer than 5"
    takes the plural."""
    return count if count == 0 or count >= SMALL_COUNT else SMALL_COUNT


def excerpt(text: str, length: int = EXCERPT) -> str:
    """The start of a record's first line: enough to find it on its page."""
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= length else line[:length].rstrip()


def current_financial_year(today: dt.date) -> tuple[dt.date, dt.date]:
    """1 April of the financial year `today` falls in, and today."""
    first = today.year if today.month >= 4 else today.year - 1
    return dt.date(first, 4, 1), today


def plan_year_dates(year: str) -> tuple[dt.date, dt.date]:
    """A plan's year, 2025/26, as its first and last days."""
    first = int(year[:4])
    return dt.date(first, 4, 1), dt.date(first + 1, 3, 31)


@dataclass
class PackItem:
    """One piece of evidence: what it is, and the record (and staff page) it comes from."""

    component: str
    kind: str
    title: str
    date: dt.date | None
    summary: str
    source_model: str  # app label and model, like governance.DeliveryAction
    source_pk: str
    url: str  # the address of the staff page (or download) that shows the record
    find: str = ""  # text that identifies the record on that page (the title when blank)
    details: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, address) of related pages
    file: object | None = None  # an EvidenceFile or MeetingPaper, copied into the zip
    # Whether the viewer may open `url`: the page links it only then (exports keep the address,
    # as the record's reference).
    openable: bool = True

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def component_label(self) -> str:
        return str(PCREFComponent(self.component).label)

    @property
    def date_shown(self) -> str:
        return date_only(self.date)

    @property
    def source(self) -> str:
        return f"{self.source_model} {self.source_pk}".strip()

    @property
    def identifying_text(self) -> str:
        return self.find or self.title


@dataclass
class PackSection:
    component: str
    label: str
    items: list[PackItem] = field(default_factory=list)


@dataclass
class EvidencePack:
    organisation: object
    start: dt.date
    end: dt.date
    made_at: dt.datetime
    made_by: str
    sections: list[PackSection]
    notes: list[str] = field(default_factory=list)

    @property
    def items(self) -> list[PackItem]:
        return [item for section in self.sections for item in section.items]

    @property
    def period(self) -> str:
        return _("%(start)s to %(end)s") % {
            "start": date_only(self.start),
            "end": date_only(self.end),
        }

    def kinds(self) -> set[str]:
        return {item.kind for item in self.items}


def check_period(start: dt.date | None, end: dt.date | None) -> None:
    """Refuse a missing period, or one that ends before it starts, naming the field."""
    if start is None:
        raise ValidationError({"start": _("Enter the first day of the period")})
    if end is None:
        raise ValidationError({"end": _("Enter the last day of the period")})
    if end < start:
        raise ValidationError(
            {
                "end": _("The last day (%(end)s) must be on or after the first day (%(start)s)")
                % {"end": date_only(end), "start": date_only(start)}
            }
        )


def _in(start: dt.date, end: dt.date, name: str) -> Q:
    return Q(**{f"{name}__gte": start, f"{name}__lte": end})


def _moments(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time.min), zone),
        timezone.make_aware(dt.datetime.combine(end, dt.time.max), zone),
    )


def _label(model) -> str:
    return model._meta.label


# ---------------------------------------------------------------------------------------------
# Plans, actions, milestones, progress and evidence (every component)


def _plans(viewer, start, end) -> list[DeliveryPlan]:
    """The plans the viewer may see whose year overlaps the period, or with progress recorded
    or an action due in it."""
    visible = DeliveryPlan.objects.visible_to(viewer).select_related("organisation", "programme")
    updated = ProgressUpdate.objects.filter(_in(start, end, "recorded_on")).values(
        "action__workstream__plan"
    )
    due = DeliveryAction.objects.filter(_in(start, end, "due_on")).values("workstream__plan")
    plans = []
    for plan in visible.order_by("-year", "title"):
        try:
            first, last = plan_year_dates(plan.year)
        except ValueError:  # a year saved before years were checked (0000/01): no dates
            continue
        if first <= end and last >= start:
            plans.append(plan)
    chosen = {plan.pk for plan in plans}
    active = visible.filter(Q(pk__in=updated) | Q(pk__in=due)).exclude(pk__in=chosen)
    for plan in active.order_by("-year", "title"):
        plans.append(plan)
    return plans


def _plan_items(plans) -> list[PackItem]:
    items = []
    for plan in plans:
        approval = (
            _("Approved by %(committee)s on %(date)s.")
            % {"committee": plan.approved_by, "date": date_only(plan.approved_on)}
            if plan.approved_by
            else _("Not yet approved.")
        )
        owner = plan.organisation.name
        if plan.programme_id:
            owner = _("%(organisation)s, shared with the %(programme)s programme") % {
                "organisation": owner,
                "programme": plan.programme.name,
            }
        items.append(
            PackItem(
                component=PCREFComponent.LEADERSHIP_GOVERNANCE,
                kind="plan",
                title=f"{plan.title} ({plan.year})",
                find=plan.title,
                date=plan.approved_on,
                summary=f"{owner}. {approval}",
                source_model=_label(DeliveryPlan),
                source_pk=str(plan.pk),
                url=reverse("governance_staff:plan", args=[plan.pk]),
            )
        )
        items.append(
            PackItem(
                component=PCREFComponent.LEADERSHIP_GOVERNANCE,
                kind="board_view",
                title=_("Board view of %(plan)s (%(year)s)")
                % {"plan": plan.title, "year": plan.year},
                find=plan.title,
                date=None,
                summary=_(
                    "Plan progress by workstream and PCREF component with RAG roll-ups, overdue "
                    "and at-risk actions, as the board sees it."
                ),
                source_model=_label(DeliveryPlan),
                source_pk=str(plan.pk),
                url=reverse("governance_staff:board", args=[plan.pk]),
            )
        )
    return items


def _actions(plans) -> list[DeliveryAction]:
    return list(
        DeliveryAction.objects.filter(workstream__plan__in=[plan.pk for plan in plans])
        .select_related("workstream__plan", "owner", "lead_organisation")
        .annotate(last_progress=Max("updates__recorded_on"))
        .order_by("workstream__plan__year", "workstream__position", "due_on", "title")
    )


def _action_items(actions, start, end, today) -> list[PackItem]:
    """Each action with its RAG; its milestones due or done in the period; its progress updates
    in the period, with their evidence files and links; the measures it should move."""
    items = []
    ids = [action.pk for action in actions]
    milestones: dict = {}
    for milestone in Milestone.objects.filter(action__in=ids).filter(
        _in(start, end, "due_on") | _in(start, end, "done_on")
    ):
        milestones.setdefault(milestone.action_id, []).append(milestone)
    updates: dict = {}
    for update in (
        ProgressUpdate.objects.filter(action__in=ids)
        .filter(_in(start, end, "recorded_on"))
        .annotate(feedback_count=Count("feedback_items", distinct=True))
        .prefetch_related("files", "you_said_we_did__theme")
        .order_by("recorded_on", "created_at")
    ):
        updates.setdefault(update.action_id, []).append(update)
    for action in actions:
        row = ActionRow(action, today)
        component = action.component
        url = reverse("governance_staff:action", args=[action.pk])
        summary = _(
            "%(workstream)s. Lead organisation: %(lead)s. Due %(due)s; status: %(status)s; "
            "RAG on %(today)s: %(rag)s."
        ) % {
            "workstream": action.workstream.name,
            "lead": row.lead_organisation,
            "due": row.due,
            "status": row.status,
            "today": date_only(today),
            "rag": str(row.rag.label),
        }
        details = [_("National organisational competency: %(name)s") % {"name": row.competency}]
        if row.overridden:
            details.append(
                _("RAG set by hand (computed: %(computed)s). Reason: %(reason)s")
                % {"computed": str(row.computed.label), "reason": row.override_reason}
            )
        items.append(
            PackItem(
                component=component,
                kind="action",
                title=action.title,
                date=action.due_on,
                summary=summary,
                details=details,
                source_model=_label(DeliveryAction),
                source_pk=str(action.pk),
                url=url,
            )
        )
        for milestone in milestones.get(action.pk, []):
            state = (
                _("Done on %(date)s") % {"date": date_only(milestone.done_on)}
                if milestone.done_on
                else _("Due %(date)s, not done yet") % {"date": date_only(milestone.due_on)}
            )
            items.append(
                PackItem(
                    component=component,
                    kind="milestone",
                    title=milestone.title,
                    date=milestone.done_on or milestone.due_on,
                    summary=_("%(state)s. Milestone of “%(action)s”.")
                    % {"state": state, "action": action.title},
                    source_model=_label(Milestone),
                    source_pk=str(milestone.pk),
                    url=url,
                )
            )
        for update in updates.get(action.pk, []):
            items.extend(_update_items(action, update, url))
    return items


def _update_items(action, update, url) -> list[PackItem]:
    component = action.component
    details, links = [], []
    if update.evidence_link:
        links.append((_("Evidence (link)"), update.evidence_link))
    if update.feedback_count:
        details.append(
            ngettext(
                "Cites %(count)s piece of feedback as evidence.",
                "Cites %(count)s pieces of feedback as evidence.",
                plural_of(update.feedback_count),
            )
            % {"count": small(update.feedback_count)}
        )
    for entry in update.you_said_we_did.all():
        details.append(_("Cites “You said, we did”: %(theme)s") % {"theme": entry.theme.name})
    items = [
        PackItem(
            component=component,
            kind="progress_update",
            title=_("Progress on “%(action)s”, %(date)s")
            % {"action": action.title, "date": date_only(update.recorded_on)},
            find=excerpt(update.text),
            date=update.recorded_on,
            summary=update.text,
            details=details,
            links=links,
            source_model=_label(ProgressUpdate),
            source_pk=str(update.pk),
            url=url,
        )
    ]
    for stored in update.files.all():
        items.append(
            PackItem(
                component=component,
                kind="evidence_file",
                title=stored.name,
                date=update.recorded_on,
                summary=_("Evidence for the progress on “%(action)s” of %(date)s.")
                % {"action": action.title, "date": date_only(update.recorded_on)},
                source_model=_label(EvidenceFile),
                source_pk=str(stored.pk),
                url=reverse("governance_staff:evidence_file", args=[stored.pk]),
                links=[(_("The action"), url)],
                file=stored,
            )
        )
    return items


def _measure_items(organisation, actions) -> list[PackItem]:
    """The measures the actions should move, each read from the latest finished metric run as
    the board view reads it (pcref.governance.measures)."""
    from pcref.governance import measures as measure_readings

    by_pk = {action.pk: action for action in actions}
    chosen = ActionMeasure.objects.filter(action__in=list(by_pk)).order_by("metric_id", "group")
    items = []
    for reading in measure_readings.readings(organisation.pk, chosen):
        measure = reading.measure
        action = by_pk[measure.action_id]
        # The current figure is not copied: it is not disclosure-controlled, and the metric
        # page shows it; the pack says which way the measure is moving.
        summary = _(
            "For “%(action)s”: %(figure)s for %(group)s. Starting figure: %(baseline)s; "
            "target: %(target)s (%(direction)s)%(by)s. In the latest metric run: %(movement)s."
        ) % {
            "action": action.title,
            "figure": reading.statistic.lower(),
            "group": reading.group,
            "baseline": reading.show(measure.baseline)
            if measure.baseline is not None
            else _("none set"),
            "target": reading.target_text,
            "direction": str(measure.get_direction_display()).lower(),
            "by": _(" by %(date)s") % {"date": date_only(measure.target_on)}
            if measure.target_on
            else "",
            "movement": reading.words.lower(),
        }
        items.append(
            PackItem(
                component=PCREFComponent.DATA,
                kind="measure",
                title=_("%(metric)s (%(id)s): %(group)s")
                % {"metric": reading.title, "id": measure.metric_id, "group": reading.group},
                find=str(reading.title),
                date=measure.target_on,
                summary=summary,
                source_model=_label(ActionMeasure),
                source_pk=str(measure.pk),
                url=reverse("insights_staff:metric", args=[measure.metric_id]),
                links=[(action.title, reverse("governance_staff:action", args=[action.pk]))],
            )
        )
    return items


# ---------------------------------------------------------------------------------------------
# Steering and working groups


def _meeting_items(viewer, start, end) -> list[PackItem]:
    groups = GovernanceGroup.objects.visible_to(viewer)
    meetings = (
        Meeting.objects.filter(group__in=groups.values("pk"))
        .filter(_in(start, end, "held_on"))
        .select_related("group")
        .prefetch_related("papers", "log_items")
        .order_by("held_on", "group__name")
    )
    attendance: dict = {}
    for row in (
        Attendance.objects.filter(meeting__in=meetings)
        .values("meeting", "status", "member__is_lived_experience_partner")
        .annotate(people=Count("pk"))
        .order_by()
    ):
        counts = attendance.setdefault(row["meeting"], Counter())
        counts[row["status"]] += row["people"]
        if (
            row["member__is_lived_experience_partner"]
            and row["status"] == Attendance.Status.PRESENT
        ):
            counts["lived_experience"] += row["people"]
    decisions: dict = {}
    for decision in (
        Decision.objects.filter(meeting__in=meetings)
        .select_related("action")
        .order_by("created_at")
    ):
        decisions.setdefault(decision.meeting_id, []).append(decision)
    items = []
    component = PCREFComponent.LEADERSHIP_GOVERNANCE
    for meeting in meetings:
        group = meeting.group
        url = reverse("governance_staff:meeting", args=[meeting.pk])
        counts = attendance.get(meeting.pk, Counter())
        summary = _(
            "%(kind)s. Attendance: present %(present)s (lived experience partners: "
            "%(partners)s), sent apologies %(apologies)s, absent %(absent)s. %(minutes)s"
        ) % {
            "kind": group.get_kind_display(),
            "present": counts[Attendance.Status.PRESENT],
            "partners": counts["lived_experience"],
            "apologies": counts[Attendance.Status.APOLOGIES],
            "absent": counts[Attendance.Status.ABSENT],
            "minutes": _("Minutes approved on %(date)s.")
            % {"date": date_only(meeting.minutes_approved_on)}
            if meeting.minutes_approved_on
            else _("Minutes not yet approved."),
        }
        meeting_decisions = decisions.get(meeting.pk, [])
        items.append(
            PackItem(
                component=component,
                kind="meeting",
                title=_("%(group)s, %(date)s")
                % {"group": group.name, "date": date_only(meeting.held_on)},
                find=group.name,
                date=meeting.held_on,
                summary=summary,
                details=[
                    ngettext("%(count)s decision.", "%(count)s decisions.", len(meeting_decisions))
                    % {"count": len(meeting_decisions)}
                ],
                source_model=_label(Meeting),
                source_pk=str(meeting.pk),
                url=url,
            )
        )
        for paper in meeting.papers.all():
            items.append(
                PackItem(
                    component=component,
                    kind="meeting_paper",
                    title=paper.title,
                    find=paper.name,
                    date=meeting.held_on,
                    summary=_("A paper for the meeting of %(group)s on %(date)s (%(file)s).")
                    % {"group": group.name, "date": date_only(meeting.held_on), "file": paper.name},
                    source_model=_label(MeetingPaper),
                    source_pk=str(paper.pk),
                    url=reverse("governance_staff:paper", args=[paper.pk]),
                    links=[(_("The meeting"), url)],
                    file=paper,
                )
            )
        for decision in meeting_decisions:
            links = []
            summary = _("Decided at the meeting of %(group)s on %(date)s.") % {
                "group": group.name,
                "date": date_only(meeting.held_on),
            }
            if decision.action_id:
                summary += " " + _("It created the plan action “%(action)s”.") % {
                    "action": decision.action.title
                }
                links.append(
                    (
                        decision.action.title,
                        reverse("governance_staff:action", args=[decision.action_id]),
                    )
                )
            items.append(
                PackItem(
                    component=component,
                    kind="decision",
                    title=excerpt(decision.text, 120),
                    find=excerpt(decision.text),
                    date=meeting.held_on,
                    summary=summary,
                    details=[decision.text] if len(decision.text) > 120 else [],
                    links=links,
                    source_model=_label(Decision),
                    source_pk=str(decision.pk),
                    url=url,
                )
            )
        for log_item in meeting.log_items.all():
            state = (
                _("done on %(date)s") % {"date": date_only(log_item.done_on)}
                if log_item.done_on
                else _("not done yet")
            )
            items.append(
                PackItem(
                    component=component,
                    kind="log_item",
                    title=excerpt(log_item.text, 120),
                    find=excerpt(log_item.text),
                    date=log_item.due_on,
                    summary=_(
                        "Agreed at the meeting of %(group)s on %(date)s; due %(due)s, %(state)s."
                    )
                    % {
                        "group": group.name,
                        "date": date_only(meeting.held_on),
                        "due": date_only(log_item.due_on),
                        "state": state,
                    },
                    source_model=_label(LogItem),
                    source_pk=str(log_item.pk),
                    url=url,
                )
            )
    return items


# ---------------------------------------------------------------------------------------------
# Data: the latest finished metric run, as the board report reads it


def _report_period(run, start: dt.date, end: dt.date) -> str | None:
    """The run's financial year the pack's period ends in, else the latest one overlapping it,
    else the run's latest."""
    from pcref.insights.reports.periods import financial_year_dates
    from pcref.insights.reports.runs import run_periods

    periods = run_periods(run)
    overlapping = []
    for period in periods:
        first, last = financial_year_dates(period)
        if first <= end <= last:
            return period
        if first <= end and last >= start:
            overlapping.append(period)
    return (overlapping or periods or [None])[0]


def _data_items(viewer, start, end, notes: list[str]) -> list[PackItem]:
    from pcref.insights.reports.content import quality_lines
    from pcref.insights.reports.headlines import headlines
    from pcref.insights.reports.runs import runs_to_report_on
    from pcref.insights.rules import Perm as InsightsPerm

    runs = runs_to_report_on(viewer, limit=1)
    if not runs:
        notes.append(_("There is no finished metric run, so the pack has no disparities."))
        return []
    run = runs[0]
    period = _report_period(run, start, end)
    if period is None:
        notes.append(_("The latest metric run has no financial years of results."))
        return []
    component = PCREFComponent.DATA
    run_url = reverse("insights_staff:run", args=[run.pk])
    dataset = f"v{run.dataset_number:04d}"
    items = [
        PackItem(
            component=component,
            kind="metric_run",
            title=_("Metric results: dataset version %(version)s") % {"version": dataset},
            date=timezone.localdate(run.finished_at) if run.finished_at else None,
            summary=_(
                "The latest finished metric run, finished %(when)s. The figures below are its "
                "results for %(period)s, disclosure-controlled as in the board report."
            )
            % {
                "when": date_only(run.finished_at and timezone.localdate(run.finished_at)),
                "period": period,
            },
            source_model="insights.MetricRun",
            source_pk=str(run.pk),
            url=run_url,
            openable=viewer.has_perm(InsightsPerm.UPLOAD_EXTRACTS, run),
        )
    ]
    for section in headlines(run, period):
        for row in section.rows:
            if row.comparison is None:
                comparison = _("no ratio to White people that may be shown")
            else:
                comparison = _(
                    "largest ratio to White people: %(group)s %(ratio)s (95%% interval %(lower)s "
                    "to %(upper)s), %(words)s"
                ) % {
                    "group": row.comparison.group,
                    "ratio": row.comparison.ratio,
                    "lower": row.comparison.lower,
                    "upper": row.comparison.upper,
                    "words": row.comparison.direction_words,
                }
            items.append(
                PackItem(
                    component=component,
                    kind="disparity",
                    title=row.title,
                    date=None,
                    summary=_(
                        "%(section)s, %(period)s: all people %(value)s %(unit)s (%(counted)s); "
                        "%(comparison)s."
                    )
                    % {
                        "section": section.title,
                        "period": row.period,
                        "value": row.value,
                        "unit": row.unit,
                        "counted": row.counted,
                        "comparison": comparison,
                    },
                    details=[row.variation.label] if row.variation else [],
                    source_model="insights.MetricRun",
                    source_pk=str(run.pk),
                    url=reverse("insights_staff:metric", args=[row.metric]),
                    links=[(_("The metric run"), run_url)],
                )
            )
    quality_url = reverse("insights_staff:quality") + "?" + urlencode({"period": period})
    try:
        lines = quality_lines(run, period)
    except ValueError:  # a catalogue without ethnicity recording results for that year
        lines = []
        notes.append(
            _("The metric run has no ethnicity recording results for %(period)s.")
            % {"period": period}
        )
    for line in lines:
        percent = line.completeness[0]
        items.append(
            PackItem(
                component=component,
                kind="data_quality",
                title=_("Ethnicity recording: %(table)s") % {"table": line.title},
                find=line.title,
                date=None,
                summary=_(
                    "%(period)s: %(percent)s%% of %(records)s records had a valid ethnic "
                    "category; not stated %(not_stated)s%%, not known %(not_known)s%%, missing "
                    "or invalid %(missing)s%%."
                )
                % {
                    "period": capfirst(line.period),
                    "percent": percent,
                    "records": line.records,
                    "not_stated": line.not_stated,
                    "not_known": line.not_known,
                    "missing": line.missing_or_invalid,
                },
                details=[line.worst_team] if line.worst_team else [],
                source_model="insights.MetricRun",
                source_pk=str(run.pk),
                url=quality_url,
                links=[(_("The metric run"), run_url)],
            )
        )
    return items


# ---------------------------------------------------------------------------------------------
# Patient and carer feedback, and co-production


def _feedback_counts(viewer, organisation, start, end) -> PackItem:
    first, last = _moments(start, end)
    received = FeedbackSubmission.objects.filter(
        organisation=organisation, created_at__gte=first, created_at__lte=last
    )
    total = received.count()
    by_theme = Counter()
    names = {}
    for decision in TriageDecision.objects.filter(submission__in=received).select_related("theme"):
        by_theme[decision.theme_id] += 1
        names[decision.theme_id] = decision.theme.name
    rows = sorted(by_theme.items(), key=lambda pair: (-pair[1], names[pair[0]]))
    url = (
        reverse("insights_staff:experience")
        + "?"
        + urlencode({"start": start.isoformat(), "end": end.isoformat()})
    )
    return PackItem(
        component=PCREFComponent.FEEDBACK,
        kind="feedback_counts",
        title=_("Feedback received from %(start)s to %(end)s, by theme")
        % {"start": date_only(start), "end": date_only(end)},
        find=_("Themes by ethnic group"),
        date=end,
        summary=capfirst(
            _(
                "%(total)s pieces of feedback received; counts of each theme confirmed at triage "
                "(one piece can have several themes). Counts from 1 to 4 are shown as “fewer "
                "than 5”; no one's own words are included."
            )
            % {"total": small(total)}
        ),
        details=[f"{names[theme]}: {small(count)}" for theme, count in rows],
        source_model=_label(FeedbackSubmission),
        source_pk="",
        url=url,
    )


def _you_said_we_did_items(viewer, start, end) -> list[PackItem]:
    """Published entries of the period. Their public page shows each one (the staff review page
    is for the patient experience team only); a published entry is a public record."""
    first, last = _moments(start, end)
    entries = (
        YouSaidWeDidEntry.objects.visible_to(viewer)
        .published()
        .filter(published_at__gte=first, published_at__lte=last)
        .select_related("theme", "service_team")
        .order_by("published_at")
    )
    items = []
    for entry in entries:
        team = entry.service_team.name if entry.service_team else _("The whole trust")
        url = (
            reverse("feedback:you_said_we_did")
            + "?"
            + urlencode({"theme": entry.theme.key})
            + f"#entry-{entry.pk}"
        )
        items.append(
            PackItem(
                component=PCREFComponent.FEEDBACK,
                kind="you_said_we_did",
                title=_("You said, we did: %(theme)s (%(team)s)")
                % {"theme": entry.theme.name, "team": team},
                find=excerpt(entry.we_did),
                date=timezone.localdate(entry.published_at),
                summary=_("You said: %(you_said)s We did: %(we_did)s")
                % {"you_said": entry.you_said, "we_did": entry.we_did},
                source_model=_label(YouSaidWeDidEntry),
                source_pk=str(entry.pk),
                url=url,
            )
        )
    return items


def participation_words(counts: list[tuple[str, int]]) -> tuple[str, list[str]]:
    """How many took part, and per community, with counts from 1 to 4 as "fewer than 5"; the
    total is "at least" the shown counts when any is hidden, so none can be worked out."""
    shown = [(community, small(people)) for community, people in counts]
    hidden = any(0 < people < SMALL_COUNT for _community, people in counts)
    total = sum(people for _community, people in counts)
    if hidden:
        known = sum(people for _community, people in counts if people >= SMALL_COUNT)
        words = _("At least %(count)s people took part") % {"count": known}
    else:
        words = ngettext("%(count)s person took part", "%(count)s people took part", total) % {
            "count": total
        }
    return words, [f"{community}: {people}" for community, people in shown]


def _event_items(viewer, start, end) -> list[PackItem]:
    events = (
        EngagementEvent.objects.visible_to(viewer)
        .filter(_in(start, end, "held_on"))
        .select_related("partner")
        .prefetch_related("participation", "actions")
        .annotate(feedback_count=Count("feedback_items", distinct=True))
        .order_by("held_on", "title")
    )
    items = []
    for event in events:
        words, by_community = participation_words(
            [(row.community, row.people) for row in event.participation.all()]
        )
        summary = [str(event.get_kind_display())]
        if event.partner_id:
            summary.append(_("with %(partner)s") % {"partner": event.partner.name})
        text = ", ".join(summary) + ". " + words + "."
        details = list(by_community)
        if event.led_to:
            details.append(_("What it led to: %(text)s") % {"text": event.led_to})
        if event.feedback_count:
            details.append(
                capfirst(
                    ngettext(
                        "%(count)s piece of feedback recorded from it.",
                        "%(count)s pieces of feedback recorded from it.",
                        plural_of(event.feedback_count),
                    )
                    % {"count": small(event.feedback_count)}
                )
            )
        links = [
            (action.title, reverse("governance_staff:action", args=[action.pk]))
            for action in event.actions.all()
        ]
        items.append(
            PackItem(
                component=PCREFComponent.FEEDBACK,
                kind="co_production"
                if event.kind == EngagementEvent.Kind.CO_PRODUCTION
                else "engagement_event",
                title=event.title,
                date=event.held_on,
                summary=text,
                details=details,
                links=links,
                source_model=_label(EngagementEvent),
                source_pk=str(event.pk),
                url=reverse("involvement_staff:event", args=[event.pk]),
                openable=viewer.has_perm(InvolvementPerm.VIEW_EVENTS, event),
            )
        )
    return items


# ---------------------------------------------------------------------------------------------


def build_pack(organisation, start: dt.date, end: dt.date, *, viewer) -> EvidencePack:
    """The evidence pack of `organisation` for the days `start` to `end` (both included), as
    `viewer` may see it: sections per PCREF component, each item with its source record and
    the address of the staff page that shows it.

    Raises:
        PermissionDenied: the viewer may not read delivery plans, or is not of `organisation`.
        ValidationError: naming the field, for a missing period or one that ends before it starts.
    """
    if not viewer.has_perm(Perm.VIEW_PLANS, None) or viewer.organisation_id != organisation.pk:
        raise PermissionDenied
    check_period(start, end)
    today = timezone.localdate()
    notes: list[str] = []
    plans = _plans(viewer, start, end)
    actions = _actions(plans)
    everything = [
        *_plan_items(plans),
        *_action_items(actions, start, end, today),
        *_meeting_items(viewer, start, end),
        *_measure_items(organisation, actions),
        *_data_items(viewer, start, end, notes),
        _feedback_counts(viewer, organisation, start, end),
        *_you_said_we_did_items(viewer, start, end),
        *_event_items(viewer, start, end),
    ]
    sections = [
        PackSection(
            component=component,
            label=str(component.label),
            items=[item for item in everything if item.component == component],
        )
        for component in COMPONENTS
    ]
    return EvidencePack(
        organisation=organisation,
        start=start,
        end=end,
        made_at=timezone.now(),
        made_by=viewer.get_full_name() or viewer.get_username(),
        sections=sections,
        notes=notes,
    )


@transaction.atomic
def record_export(pack: EvidencePack, file_format: str, *, by) -> None:
    """Write the audit entry of a download of the pack: who, which period, how many items."""
    if not by.has_perm(Perm.VIEW_PLANS, None) or by.organisation_id != pack.organisation.pk:
        raise PermissionDenied
    audit.record(
        action="governance.evidence_pack_exported",
        by=by,
        target=pack.organisation,
        context={
            "start": pack.start.isoformat(),
            "end": pack.end.isoformat(),
            "items": len(pack.items),
            "format": file_format,
        },
    )
