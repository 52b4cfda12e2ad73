"""Read-only queries for governance pages; callers pass querysets already scoped by visible_to."""

import datetime as dt

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from pcref.core.models import Organisation, Programme, User
from pcref.core.roles import Role
from pcref.feedback.models import FeedbackSubmission, Theme, YouSaidWeDidEntry
from pcref.governance.models import ActionMeasure, DeliveryAction, DeliveryPlan, Workstream
from pcref.insights.experience import financial_year_dates


def plans(scoped: QuerySet) -> QuerySet:
    return scoped.select_related("organisation", "programme").annotate(
        action_count=Count("workstreams__actions")
    )


def actions_with_last_progress(actions: QuerySet) -> QuerySet:
    """Actions with `last_progress` (the latest update's date), their owner and lead organisation."""
    return actions.select_related("owner", "lead_organisation").annotate(
        last_progress=Max("updates__recorded_on")
    )


def workstreams_with_actions(plan: DeliveryPlan) -> list[Workstream]:
    """The plan's workstreams, each with its actions prefetched (two queries)."""
    return list(
        plan.workstreams.prefetch_related(
            Prefetch("actions", queryset=actions_with_last_progress(DeliveryAction.objects.all()))
        )
    )


def action_with_last_progress(scoped: QuerySet, pk) -> QuerySet:
    return (
        actions_with_last_progress(scoped)
        .select_related("workstream__plan__organisation")
        .filter(pk=pk)
    )


def reach(plan: DeliveryPlan) -> set:
    """The organisations a plan belongs to: its own, and its programme's."""
    ids = {plan.organisation_id}
    if plan.programme_id:
        ids |= set(plan.programme.organisations.values_list("pk", flat=True))
    return ids


def owner_choices(plan: DeliveryPlan) -> QuerySet:
    """Staff of the plan's organisations who may own an action (not partner users)."""
    return (
        User.objects.filter(organisation_id__in=reach(plan), is_active=True)
        .exclude(groups__name=Role.PARTNER_USER)
        .order_by("first_name", "last_name", "username")
    )


def lead_organisation_choices(plan: DeliveryPlan) -> QuerySet:
    """The plan's organisations, and the voluntary, community and statutory partners."""
    return Organisation.objects.filter(Q(pk__in=reach(plan)) | ~Q(kind=Organisation.Kind.NHS_TRUST))


def programme_choices(user) -> QuerySet:
    return Programme.objects.filter(organisations=user.organisation_id)


def published_plan(organisation: Organisation | None) -> DeliveryPlan | None:
    """The organisation's latest published plan (by year), for the public page."""
    if organisation is None:
        return None
    return (
        DeliveryPlan.objects.filter(organisation=organisation, published_at__isnull=False)
        .select_related("organisation")
        .order_by("-year", "-published_at")
        .first()
    )


def public_workstreams(plan: DeliveryPlan) -> list[Workstream]:
    """The plan's workstreams with their actions, each with its lead organisation, its
    `last_progress` date and its updates (newest first); owners are not loaded."""
    actions = (
        DeliveryAction.objects.select_related("lead_organisation")
        .annotate(last_progress=Max("updates__recorded_on"))
        .prefetch_related("updates")
    )
    return list(plan.workstreams.prefetch_related(Prefetch("actions", queryset=actions)))


def updates_with_evidence(action: DeliveryAction) -> QuerySet:
    """The action's updates, newest first, with their writer, files, feedback and entries."""
    return action.updates.select_related("written_by").prefetch_related(
        "files",
        "feedback_items",
        Prefetch("you_said_we_did", queryset=YouSaidWeDidEntry.objects.select_related("theme")),
    )


def plan_years(year: str) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """The first and last day of a plan's financial year ("2025/26") and of the year before."""
    start, end = financial_year_dates(year.replace("/", "-"))
    before = (start.replace(year=start.year - 1), end.replace(year=end.year - 1))
    return (start, end), before


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def theme_counts(plan: DeliveryPlan, themes) -> dict:
    """{theme pk: (this year, the year before)}: how many pieces of feedback to the plan's
    organisation a person confirmed at triage as being about each theme, received in the plan's
    financial year and in the year before."""
    themes = list(themes)
    if not themes:
        return {}
    counts = {}
    for key, (start, end) in zip(("now", "before"), plan_years(plan.year), strict=True):
        received = FeedbackSubmission.objects.filter(
            organisation_id=plan.organisation_id,
            created_at__gte=_midnight(start),
            created_at__lt=_midnight(end + dt.timedelta(days=1)),
        )
        counts[key] = dict(
            Theme.objects.filter(pk__in=[theme.pk for theme in themes])
            .annotate(
                given=Count(
                    "decisions__submission",
                    filter=Q(decisions__submission__in=received.values("pk")),
                    distinct=True,
                )
            )
            .values_list("pk", "given")
        )
    return {
        theme.pk: (counts["now"].get(theme.pk, 0), counts["before"].get(theme.pk, 0))
        for theme in themes
    }


def plan_actions_with_links(plan: DeliveryPlan) -> list[DeliveryAction]:
    """The plan's actions with their milestones, measures and themes, in plan order."""
    return list(
        DeliveryAction.objects.filter(workstream__plan=plan)
        .select_related("workstream")
        .prefetch_related(
            "milestones",
            Prefetch("measures", queryset=ActionMeasure.objects.all()),
            "themes",
        )
        .order_by("workstream__position", "workstream__name", "due_on", "title")
    )
