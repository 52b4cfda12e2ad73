"""Staff pages for core: home, organisations, services and teams, staff accounts, audit log."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from pcref.core import queries, services
from pcref.core.forms import (
    AuditSearchForm,
    OrganisationForm,
    RolesForm,
    ServiceTeamForm,
    StaffUserForm,
    add_validation_error,
)
from pcref.core.models import Organisation, ServiceTeam, User
from pcref.core.permissions import require_perm
from pcref.core.presenters import AuditEntryPresenter, StaffHomePresenter
from pcref.core.roles import Perm, Role


def _save(form, request, save):
    """Run a service; a model validation error goes back onto the form, nothing half-saved."""
    try:
        return save()
    except ValidationError as error:
        add_validation_error(form, error)
        return None


@require_safe
def staff_home(request):
    return render(request, "core/staff/home.jinja", {"presenter": StaffHomePresenter(request.user)})


@require_safe
def organisation_list(request):
    organisations = Organisation.objects.visible_to(request.user).prefetch_related("programmes")
    return render(request, "core/staff/organisation-list.jinja", {"organisations": organisations})


@require_safe
def organisation_detail(request, pk):
    organisation = get_object_or_404(Organisation.objects.visible_to(request.user), pk=pk)
    require_perm(request, Perm.VIEW_ORGANISATION, organisation)
    context = {
        "organisation": organisation,
        "service_teams": organisation.service_teams.all()
        if request.user.organisation_id == organisation.pk
        else [],
        "programmes": organisation.programmes.prefetch_related("organisations"),
        "can_change": request.user.has_perm(Perm.CHANGE_ORGANISATION, organisation),
        "can_manage_teams": request.user.has_perm(Perm.MANAGE_SERVICE_TEAMS, organisation),
    }
    return render(request, "core/staff/organisation-detail.jinja", context)


@require_http_methods(["GET", "HEAD", "POST"])
def organisation_edit(request, pk):
    organisation = get_object_or_404(Organisation.objects.visible_to(request.user), pk=pk)
    require_perm(request, Perm.CHANGE_ORGANISATION, organisation)
    form = OrganisationForm(
        request.POST or None, instance=Organisation.objects.visible_to(request.user).get(pk=pk)
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            request,
            lambda: services.update_organisation(organisation, form.cleaned_data, by=request.user),
        )
        if saved:
            messages.success(request, _("Organisation details saved."))
            return redirect("core_staff:organisation_detail", pk=organisation.pk)
    return render(
        request, "core/staff/organisation-edit.jinja", {"form": form, "organisation": organisation}
    )


@require_http_methods(["GET", "HEAD", "POST"])
def service_team_add(request, pk):
    organisation = get_object_or_404(Organisation.objects.visible_to(request.user), pk=pk)
    require_perm(request, Perm.MANAGE_SERVICE_TEAMS, organisation)
    form = ServiceTeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team = _save(
            form,
            request,
            lambda: services.add_service_team(organisation, form.cleaned_data, by=request.user),
        )
        if team:
            messages.success(request, _("%(name)s added.") % {"name": team.name})
            return redirect("core_staff:organisation_detail", pk=organisation.pk)
    return render(
        request,
        "core/staff/service-team-form.jinja",
        {"form": form, "organisation": organisation, "team": None},
    )


@require_http_methods(["GET", "HEAD", "POST"])
def service_team_edit(request, pk):
    team = get_object_or_404(ServiceTeam.objects.visible_to(request.user), pk=pk)
    require_perm(request, Perm.MANAGE_SERVICE_TEAMS, team)
    form = ServiceTeamForm(
        request.POST or None, instance=ServiceTeam.objects.visible_to(request.user).get(pk=pk)
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            request,
            lambda: services.update_service_team(team, form.cleaned_data, by=request.user),
        )
        if saved:
            messages.success(request, _("%(name)s saved.") % {"name": team.name})
            return redirect("core_staff:organisation_detail", pk=team.organisation_id)
    return render(
        request,
        "core/staff/service-team-form.jinja",
        {"form": form, "organisation": team.organisation, "team": team},
    )


@require_safe
def staff_list(request):
    require_perm(request, Perm.MANAGE_STAFF, None)
    users = (
        User.objects.visible_to(request.user)
        .prefetch_related("groups")
        .order_by("last_name", "first_name")
    )
    return render(request, "core/staff/staff-list.jinja", {"users": users})


@require_http_methods(["GET", "HEAD", "POST"])
def staff_add(request):
    require_perm(request, Perm.MANAGE_STAFF, request.user.organisation)
    form = StaffUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = _save(
            form,
            request,
            lambda: services.create_staff_user(
                request.user.organisation,
                username=data["username"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                roles=data["roles"],
                password=None,
                by=request.user,
            ),
        )
        if user:
            messages.success(
                request,
                _(
                    "Account created for %(name)s. They sign in through single sign-on, or you "
                    "set a first password with the command line."
                )
                % {"name": user},
            )
            return redirect("core_staff:staff_list")
    return render(request, "core/staff/staff-add.jinja", {"form": form})


@require_http_methods(["GET", "HEAD", "POST"])
def staff_roles(request, pk):
    person = get_object_or_404(User.objects.visible_to(request.user), pk=pk)
    require_perm(request, Perm.MANAGE_STAFF, request.user.organisation)
    form = RolesForm(request.POST or None, initial={"roles": [str(role) for role in person.roles]})
    if request.method == "POST" and form.is_valid():
        if person == request.user and Role.ADMINISTRATOR not in form.cleaned_data["roles"]:
            form.add_error("roles", _("You cannot remove your own administrator role"))
        elif _save(
            form,
            request,
            lambda: services.set_roles(person, form.cleaned_data["roles"], by=request.user),
        ):
            messages.success(request, _("Roles saved for %(name)s.") % {"name": person})
            return redirect("core_staff:staff_list")
    return render(request, "core/staff/staff-roles.jinja", {"form": form, "person": person})


@require_safe
def audit_log(request):
    require_perm(request, Perm.VIEW_AUDIT_LOG, None)
    form = AuditSearchForm(request.GET or None)
    entries = queries.audit_entries_for(request.user)
    if form.is_valid():
        entries = queries.search_audit(entries, form.cleaned_data)
    elif form.is_bound:  # a search that cannot be done shows its error, not every entry
        entries = entries.none()
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "entries": [AuditEntryPresenter(entry) for entry in page],
        "query_without_page": query.urlencode(),
    }
    return render(request, "core/staff/audit-log.jinja", context)
