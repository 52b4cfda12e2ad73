"""Staff pages: plans, a plan with its actions and roll-ups, actions, progress, RAG, board view."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pcref.core.forms import add_validation_error
from pcref.governance import presenters, queries, services
from pcref.governance.forms import (
    NO_OVERRIDE,
    ActionForm,
    PlanForm,
    ProgressUpdateForm,
    RAGOverrideForm,
)
from pcref.governance.models import DeliveryAction, DeliveryPlan
from pcref.governance.rules import Perm


def _require(request, perm, target=None):
    if not request.user.has_perm(perm, target):
        raise PermissionDenied


def _plan(request, pk) -> DeliveryPlan:
    plan = get_object_or_404(
        DeliveryPlan.objects.visible_to(request.user).select_related("organisation", "programme"),
        pk=pk,
    )
    _require(request, Perm.VIEW_PLANS, plan)
    return plan


def _action(request, pk) -> DeliveryAction:
    action = get_object_or_404(
        queries.action_with_last_progress(DeliveryAction.objects.visible_to(request.user), pk)
    )
    _require(request, Perm.VIEW_PLANS, action)
    return action


def _save(form, change) -> bool:
    """Call the service; its refusals become errors on the form, on the field they name."""
    try:
        change()
    except ValidationError as error:
        add_validation_error(form, error)
        return False
    return True


@require_safe
def plans(request):
    _require(request, Perm.VIEW_PLANS, None)
    context = {
        "plans": queries.plans(DeliveryPlan.objects.visible_to(request.user)),
        "can_manage": request.user.has_perm(Perm.MANAGE_PLANS, None),
    }
    return render(request, "governance/staff/plans.jinja", context)


@require_http_methods(["GET", "POST"])
def plan_new(request):
    _require(request, Perm.MANAGE_PLANS, None)
    form = PlanForm(
        request.POST if request.method == "POST" else None,
        programmes=queries.programme_choices(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = {}

        def create():
            saved["plan"] = services.create_plan(
                data, data["workstreams"], organisation=request.user.organisation, by=request.user
            )

        if _save(form, create):
            messages.success(request, _("Plan created."))
            return redirect("governance_staff:plan", pk=saved["plan"].pk)
    status = 400 if form.errors else 200
    return render(request, "governance/staff/plan-form.jinja", {"form": form}, status=status)


def _plan_context(request, plan):
    presenter = presenters.PlanPresenter(plan, queries.workstreams_with_actions(plan))
    return {
        "plan": presenter,
        "published": presenters.date_only(
            plan.published_at and timezone.localdate(plan.published_at)
        ),
        "can_manage": request.user.has_perm(Perm.MANAGE_PLANS, plan),
    }


@require_safe
def plan(request, pk):
    plan = _plan(request, pk)
    return render(request, "governance/staff/plan.jinja", _plan_context(request, plan))


@require_safe
def board(request, pk):
    plan = _plan(request, pk)
    return render(request, "governance/staff/board.jinja", _plan_context(request, plan))


@require_POST
def plan_publish(request, pk):
    """Publish the plan on the public page, or take it off (`publish` is "1" or "0")."""
    plan = _plan(request, pk)
    _require(request, Perm.MANAGE_PLANS, plan)
    if request.POST.get("publish") == "1":
        services.publish_plan(plan, by=request.user)
        messages.success(request, _("Plan published on the public website."))
    else:
        services.unpublish_plan(plan, by=request.user)
        messages.success(request, _("Plan taken off the public website."))
    return redirect("governance_staff:plan", pk=plan.pk)


def _action_form(request, plan, **kwargs):
    return ActionForm(
        request.POST if request.method == "POST" else None,
        workstreams=plan.workstreams.all(),
        owners=queries.owner_choices(plan),
        organisations=queries.lead_organisation_choices(plan),
        **kwargs,
    )


@require_http_methods(["GET", "POST"])
def action_new(request, pk):
    plan = _plan(request, pk)
    _require(request, Perm.MANAGE_PLANS, plan)
    initial = {"lead_organisation": plan.organisation_id, "owner": request.user.pk}
    if request.GET.get("workstream"):
        initial["workstream"] = request.GET["workstream"]
    form = _action_form(request, plan, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = {}

        def add():
            saved["action"] = services.add_action(plan, form.cleaned_data, by=request.user)

        if _save(form, add):
            messages.success(request, _("Action added."))
            return redirect("governance_staff:action", pk=saved["action"].pk)
    status = 400 if form.errors else 200
    context = {"form": form, "plan": plan, "action": None}
    return render(request, "governance/staff/action-form.jinja", context, status=status)


@require_safe
def action(request, pk):
    action = _action(request, pk)
    row = presenters.ActionRow(action, timezone.localdate())
    context = {
        "action": action,
        "plan": action.workstream.plan,
        "row": row,
        "summary": presenters.action_summary(action, row),
        "updates": presenters.update_items(action.updates.select_related("written_by")),
        "can_manage": request.user.has_perm(Perm.MANAGE_PLANS, action),
    }
    return render(request, "governance/staff/action.jinja", context)


@require_http_methods(["GET", "POST"])
def action_edit(request, pk):
    action = _action(request, pk)
    _require(request, Perm.MANAGE_PLANS, action)
    plan = action.workstream.plan
    initial = {field: getattr(action, field) for field in services.ACTION_FIELDS}
    form = _action_form(request, plan, initial=initial)
    if request.method == "POST" and form.is_valid():
        if _save(form, lambda: services.change_action(action, form.cleaned_data, by=request.user)):
            messages.success(request, _("Action saved."))
            return redirect("governance_staff:action", pk=action.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "plan": plan, "action": action}
    return render(request, "governance/staff/action-form.jinja", context, status=status)


@require_http_methods(["GET", "POST"])
def progress_new(request, pk):
    action = _action(request, pk)
    _require(request, Perm.MANAGE_PLANS, action)
    form = ProgressUpdateForm(
        request.POST if request.method == "POST" else None,
        initial={"recorded_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        if _save(
            form, lambda: services.add_progress_update(action, form.cleaned_data, by=request.user)
        ):
            messages.success(request, _("Progress update added."))
            return redirect("governance_staff:action", pk=action.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "action": action}
    return render(request, "governance/staff/progress-form.jinja", context, status=status)


@require_http_methods(["GET", "POST"])
def rag_override(request, pk):
    action = _action(request, pk)
    _require(request, Perm.MANAGE_PLANS, action)
    form = RAGOverrideForm(
        request.POST if request.method == "POST" else None,
        initial={
            "rag": action.rag_override or NO_OVERRIDE,
            "reason": action.rag_override_reason,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def override():
            services.override_rag(action, data["rag"], data["reason"], by=request.user)

        if _save(form, override):
            messages.success(request, _("RAG rating saved."))
            return redirect("governance_staff:action", pk=action.pk)
    row = presenters.ActionRow(action, timezone.localdate())
    status = 400 if form.errors else 200
    context = {"form": form, "action": action, "row": row}
    return render(request, "governance/staff/rag-form.jinja", context, status=status)
