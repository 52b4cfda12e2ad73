"""A delivery plan as the insights reports show it: for the board report, roll-ups by workstream
and PCREF component with RAG counts, overdue and at-risk actions and the decisions of the period;
for the public annual report, only what the public plan page shows (progress in words, no owner,
no staff name, no override reason)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from pcref.core.models import Organisation
from pcref.core.presenters import date_only
from pcref.governance import presenters, queries
from pcref.governance.models import RAG, Decision, DeliveryPlan


def plan_for_year(organisation: Organisation, year: str) -> DeliveryPlan | None:
    """The organisation's own plan for the financial year or, when it has none, a plan of
    that year shared with a programme it belongs to. With neither, the latest plan of an earlier
    year: a plan runs until the next is agreed, so a report early in a year shows it."""
    for years in ({"year": year}, {"year__lt": year}):
        plans = (
            DeliveryPlan.objects.filter(**years)
            .select_related("organisation", "programme")
            .order_by("-year", "title")
        )
        found = (
            plans.filter(organisation=organisation).first()
            or plans.filter(programme__organisations=organisation).first()
        )
        if found is not None:
            return found
    return None


@dataclass
class BoardPlan:
    title: str
    year: str
    organisation: str
    programme: str
    approval: str
    as_at: str
    rag_headers: list[str]
    by_workstream: list[dict]
    by_component: list[dict]
    total: dict
    overdue: list[dict]
    at_risk: list[dict]
    decisions: list[dict] = field(default_factory=list)
    published: bool = False


def _action(row: presenters.ActionRow, workstream: str) -> dict:
    return {
        "title": row.title,
        "workstream": workstream,
        "owner": row.owner,
        "lead_organisation": row.lead_organisation,
        "component": row.component_label,
        "due": row.due,
        "status": row.status,
        "rag": str(RAG(row.rag).label),
        "overridden": row.overridden,
    }


def decisions(
    organisation: Organisation, plan: DeliveryPlan | None, start: dt.date, end: dt.date
) -> list[dict]:
    """Decisions of meetings held from `start` to `end` by the organisation's groups and by
    groups of the plan, oldest first."""
    reach = Q(meeting__group__organisation=organisation)
    if plan is not None:
        reach |= Q(meeting__group__plan=plan)
    found = (
        Decision.objects.filter(reach, meeting__held_on__gte=start, meeting__held_on__lte=end)
        .select_related("meeting__group", "action")
        .order_by("meeting__held_on", "created_at")
    )
    return [
        {
            "date": date_only(decision.meeting.held_on),
            "group": decision.meeting.group.name,
            "text": decision.text,
            "action": decision.action.title if decision.action_id else "",
        }
        for decision in found
    ]


def board_plan(
    organisation: Organisation,
    year: str,
    start: dt.date,
    end: dt.date,
    today: dt.date | None = None,
) -> BoardPlan | None:
    """The plan of the year as the board sees it, or None when there is no plan for the year."""
    plan = plan_for_year(organisation, year)
    if plan is None:
        return None
    today = today or timezone.localdate()
    view = presenters.PlanPresenter(plan, queries.workstreams_with_actions(plan), today)
    workstream_of = {
        row.pk: workstream["name"] for workstream in view.workstreams for row in workstream["rows"]
    }
    return BoardPlan(
        title=plan.title,
        year=plan.year,
        organisation=plan.organisation.name,
        programme=plan.programme.name if plan.programme_id else "",
        approval=view.approval,
        as_at=view.today,
        rag_headers=view.rag_headers,
        by_workstream=view.by_workstream,
        by_component=view.by_component,
        total=view.total,
        overdue=[_action(row, workstream_of[row.pk]) for row in view.overdue],
        at_risk=[_action(row, workstream_of[row.pk]) for row in view.at_risk],
        decisions=decisions(organisation, plan, start, end),
        published=plan.published_at is not None,
    )


@dataclass
class PublicPlan:
    title: str
    year: str
    organisation: str
    approval: str
    summary: str
    workstreams: list[dict]


def public_plan(organisation: Organisation, year: str, today: dt.date | None = None):
    """The organisation's PUBLISHED plan for the year, as the public plan page shows it, or
    None. Each action: its title, due month, lead organisation and progress in words."""
    published = DeliveryPlan.objects.filter(
        organisation=organisation, published_at__isnull=False
    ).select_related("organisation")
    # As the board report: the plan of the year, else the latest earlier plan still running.
    plan = (
        published.filter(year=year).order_by("-published_at").first()
        or published.filter(year__lt=year).order_by("-year", "-published_at").first()
    )
    if plan is None:
        return None
    view = presenters.PublicPlanPresenter(plan, queries.public_workstreams(plan), today)
    return PublicPlan(
        title=view.title,
        year=view.year,
        organisation=view.organisation,
        approval=view.approval,
        summary=presenters.public_summary(
            [action["rag"] for workstream in view.workstreams for action in workstream["actions"]]
        ),
        workstreams=[
            {
                "name": workstream["name"],
                "summary": workstream["summary"],
                "actions": [
                    {
                        "title": action["title"],
                        "due": action["due"],
                        "lead_organisation": action["lead_organisation"],
                        "progress": action["progress"],
                    }
                    for action in workstream["actions"]
                ],
            }
            for workstream in view.workstreams
        ],
    )
