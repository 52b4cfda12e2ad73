"""Staff pages: plans, a plan with its actions and roll-ups, actions, progress, RAG, board view."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pcref.core.forms import call_service
from pcref.core.permissions import require_perm
from pcref.feedback.models import FeedbackSubmission, YouSaidWeDidEntry
from pcref.feedback.rules import Perm as FeedbackPerm
from pcref.governance import files, measures, meetings, presenters, queries, services
from pcref.governance.forms import (
    NO_OVERRIDE,
    ActionForm,
    MeasureForm,
    MilestoneDoneForm,
    MilestoneForm,
    PlanForm,
    ProgressUpdateForm,
    RAGOverrideForm,
)
from pcref.governance.models import (
    DeliveryAction,
    DeliveryPlan,
    EvidenceFile,
    GovernanceGroup,
    Milestone,
)
from pcref.governance.rules import Perm


def _plan(request, pk) -> DeliveryPlan:
    plan = get_object_or_404(
        DeliveryPlan.objects.visible_to(request.user).select_related("organisation", "programme"),
        pk=pk,
    )
    require_perm(request, Perm.VIEW_PLANS, plan)
    return plan


def _action(request, pk) -> DeliveryAction:
    action = get_object_or_404(
        queries.action_with_last_progress(DeliveryAction.objects.visible_to(request.user), pk)
    )
    require_perm(request, Perm.VIEW_PLANS, action)
    return action


@require_safe
def plans(request):
    require_perm(request, Perm.VIEW_PLANS, None)
    context = {
        "plans": queries.plans(DeliveryPlan.objects.visible_to(request.user)),
        "can_manage": request.user.has_perm(Perm.MANAGE_PLANS, None),
    }
    return render(request, "governance/staff/plans.jinja", context)


@require_http_methods(["GET", "HEAD", "POST"])
def plan_new(request):
    require_perm(request, Perm.MANAGE_PLANS, None)
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

        if call_service(form, create, by=request.user):
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
    context = _plan_context(request, plan)
    groups = GovernanceGroup.objects.visible_to(request.user)
    context["decisions"] = meetings.plan_decisions(plan, groups.values("pk"))
    context["links"] = _board_links(request, plan)
    context["own_figures"] = _own_figures(request, plan)
    return render(request, "governance/staff/board.jinja", context)


def _own_figures(request, plan) -> bool:
    """Measures are read from the results of the plan's organisation, shown to its own staff
    only: staff of the other organisations of a shared plan see the measures without figures."""
    return request.user.organisation_id == plan.organisation_id


def _board_links(request, plan):
    actions = queries.plan_actions_with_links(plan)
    readings = measures.readings(
        plan.organisation_id if _own_figures(request, plan) else None,
        [m for action in actions for m in action.measures.all()],
    )
    themes = {theme for action in actions for theme in action.themes.all()}
    counts = queries.theme_counts(plan, themes)
    return presenters.BoardLinks(plan, actions, readings, counts, timezone.localdate())


@require_POST
def plan_publish(request, pk):
    """Publish the plan on the public page, or take it off (`publish` is "1" or "0")."""
    plan = _plan(request, pk)
    require_perm(request, Perm.MANAGE_PLANS, plan)
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


@require_http_methods(["GET", "HEAD", "POST"])
def action_new(request, pk):
    plan = _plan(request, pk)
    require_perm(request, Perm.MANAGE_PLANS, plan)
    initial = {"lead_organisation": plan.organisation_id, "owner": request.user.pk}
    if request.GET.get("workstream"):
        initial["workstream"] = request.GET["workstream"]
    form = _action_form(request, plan, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = {}

        def add():
            saved["action"] = services.add_action(plan, form.cleaned_data, by=request.user)

        if call_service(form, add, by=request.user):
            messages.success(request, _("Action added."))
            return redirect("governance_staff:action", pk=saved["action"].pk)
    status = 400 if form.errors else 200
    context = {"form": form, "plan": plan, "action": None}
    return render(request, "governance/staff/action-form.jinja", context, status=status)


@require_safe
def action(request, pk):
    action = _action(request, pk)
    today = timezone.localdate()
    row = presenters.ActionRow(action, today)
    plan = action.workstream.plan
    updates = list(queries.updates_with_evidence(action))
    cited = {s.pk for u in updates for s in u.feedback_items.all()}
    entries = {e.pk for u in updates for e in u.you_said_we_did.all()}
    # Cited feedback and entries are linked only for those who may open them (the officers);
    # everyone else sees their references without a link to a 403 page.
    visible_feedback = set(
        FeedbackSubmission.objects.visible_to(request.user)
        .filter(pk__in=cited)
        .values_list("pk", flat=True)
        if request.user.has_perm(FeedbackPerm.VIEW_FEEDBACK, None)
        else ()
    )
    visible_entries = set(
        YouSaidWeDidEntry.objects.visible_to(request.user)
        .filter(pk__in=entries)
        .values_list("pk", flat=True)
        if request.user.has_perm(FeedbackPerm.PUBLISH_YOU_SAID_WE_DID, None)
        else ()
    )
    milestones = list(action.milestones.all())
    themes = list(action.themes.all())
    context = {
        "action": action,
        "plan": plan,
        "row": row,
        "summary": presenters.action_summary(action, row),
        "updates": presenters.evidence_update_items(updates, visible_feedback, visible_entries),
        "milestones": presenters.milestone_items(milestones, today),
        "readings": measures.readings(
            plan.organisation_id if _own_figures(request, plan) else None, action.measures.all()
        ),
        "own_figures": _own_figures(request, plan),
        "themes": presenters.theme_rows(themes, queries.theme_counts(plan, themes), plan.year),
        "can_manage": request.user.has_perm(Perm.MANAGE_PLANS, action),
    }
    return render(request, "governance/staff/action.jinja", context)


@require_http_methods(["GET", "HEAD", "POST"])
def action_edit(request, pk):
    action = _action(request, pk)
    require_perm(request, Perm.MANAGE_PLANS, action)
    plan = action.workstream.plan
    initial = {field: getattr(action, field) for field in services.ACTION_FIELDS}
    initial["themes"] = list(action.themes.all())
    form = _action_form(request, plan, initial=initial)
    if request.method == "POST" and form.is_valid():
        if call_service(
            form,
            lambda: services.change_action(action, form.cleaned_data, by=request.user),
            by=request.user,
        ):
            messages.success(request, _("Action saved."))
            return redirect("governance_staff:action", pk=action.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "plan": plan, "action": action}
    return render(request, "governance/staff/action-form.jinja", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def progress_new(request, pk):
    action = _action(request, pk)
    require_perm(request, Perm.MANAGE_PLANS, action)
    post = request.method == "POST"
    plan = action.workstream.plan
    form = ProgressUpdateForm(
        request.POST if post else None,
        request.FILES if post else None,
        initial={"recorded_on": timezone.localdate()},
        entries=YouSaidWeDidEntry.objects.visible_to(request.user)
        .filter(organisation_id=plan.organisation_id)
        .select_related("theme"),
    )
    if post and form.is_valid():
        data = form.cleaned_data

        def add():
            services.add_progress_update(action, data, by=request.user, uploaded=data["file"])

        if call_service(form, add, by=request.user):
            messages.success(request, _("Progress update added."))
            return redirect("governance_staff:action", pk=action.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "action": action}
    return render(request, "governance/staff/progress-form.jinja", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def rag_override(request, pk):
    action = _action(request, pk)
    require_perm(request, Perm.MANAGE_PLANS, action)
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

        if call_service(form, override, by=request.user):
            messages.success(request, _("RAG rating saved."))
            return redirect("governance_staff:action", pk=action.pk)
    row = presenters.ActionRow(action, timezone.localdate())
    status = 400 if form.errors else 200
    context = {"form": form, "action": action, "row": row}
    return render(request, "governance/staff/rag-form.jinja", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def milestone_new(request, pk):
    action = _action(request, pk)
    require_perm(request, Perm.MANAGE_PLANS, action)
    form = MilestoneForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if call_service(
            form,
            lambda: services.add_milestone(action, form.cleaned_data, by=request.user),
            by=request.user,
        ):
            messages.success(request, _("Milestone added."))
            return redirect("governance_staff:action", pk=action.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "action": action}
    return render(request, "governance/staff/milestone-form.jinja", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def milestone_done(request, pk):
    milestone = get_object_or_404(
        Milestone.objects.filter(
            action__in=DeliveryAction.objects.visible_to(request.user).values("pk")
        ).select_related("action__workstream__plan"),
        pk=pk,
    )
    action = milestone.action
    require_perm(request, Perm.MANAGE_PLANS, action)
    form = MilestoneDoneForm(
        request.POST if request.method == "POST" else None,
        initial={"done_on": milestone.done_on or timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():

        def done():
            services.mark_milestone_done(milestone, form.cleaned_data["done_on"], by=request.user)

        if call_service(form, done, by=request.user):
            messages.success(request, _("Milestone marked done."))
            return redirect("governance_staff:action", pk=action.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "action": action, "milestone": milestone}
    return render(request, "governance/staff/milestone-done.jinja", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def measure_new(request, pk):
    action = _action(request, pk)
    require_perm(request, Perm.MANAGE_PLANS, action)
    form = MeasureForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if call_service(
            form,
            lambda: services.link_measure(action, form.cleaned_data, by=request.user),
            by=request.user,
        ):
            messages.success(request, _("Measure linked."))
            return redirect("governance_staff:action", pk=action.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "action": action}
    return render(request, "governance/staff/measure-form.jinja", context, status=status)


@require_safe
def evidence_file(request, pk):
    """Download an evidence file, to staff who may see its action (404 to everyone else)."""
    stored = get_object_or_404(
        EvidenceFile.objects.filter(
            update__action__in=DeliveryAction.objects.visible_to(request.user).values("pk")
        ).select_related("update__action"),
        pk=pk,
    )
    require_perm(request, Perm.VIEW_PLANS, stored.update.action)
    return files.download(stored)


@require_http_methods(["GET", "HEAD", "POST"])
def evidence_file_remove(request, pk):
    """A page that asks first; the POST removes the evidence file (its update stays)."""
    stored = get_object_or_404(
        EvidenceFile.objects.filter(
            update__action__in=DeliveryAction.objects.visible_to(request.user).values("pk")
        ).select_related("update__action"),
        pk=pk,
    )
    action = stored.update.action
    require_perm(request, Perm.MANAGE_PLANS, action)
    if request.method == "POST":
        services.remove_evidence_file(stored, by=request.user)
        messages.success(request, _("Evidence file removed."))
        return redirect("governance_staff:action", pk=action.pk)
    context = {"stored": stored, "action": action}
    return render(request, "governance/staff/evidence-file-remove.jinja", context)
