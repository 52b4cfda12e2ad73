"""Read-only queries for governance pages; callers pass querysets already scoped by visible_to."""

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from pcref.core.models import Organisation, Programme, User
from pcref.core.roles import Role
from pcref.governance.models import DeliveryAction, DeliveryPlan, Workstream


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
