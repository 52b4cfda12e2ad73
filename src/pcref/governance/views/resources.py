"""The resources page: staff keep the links (add, change, order, show or hide, remove); the
public page `/resources/` lists the published ones by kind, in every language."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pcref.core import queries as core_queries
from pcref.core.forms import call_service
from pcref.core.once import OnceField
from pcref.governance import resources as services
from pcref.governance.models import Resource


class ResourceForm(forms.Form):
    once = OnceField()
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=200,
        error_messages={"required": gettext_lazy("Enter the title of the resource")},
    )
    url = forms.CharField(
        label=gettext_lazy("Address (URL)"),
        help_text=gettext_lazy("The whole address, starting with https://"),
        max_length=500,
        widget=forms.TextInput(attrs={"inputmode": "url", "spellcheck": "false"}),
        error_messages={
            "required": gettext_lazy("Enter the address of the page, like https://www.nhs.uk")
        },
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of resource"),
        choices=Resource.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choose what kind of resource this is"),
            "invalid_choice": gettext_lazy("Choose what kind of resource this is"),
        },
    )
    description = forms.CharField(
        label=gettext_lazy("Description (optional)"),
        help_text=gettext_lazy(
            "One or two sentences in plain English: what the reader finds there."
        ),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )

    def clean_url(self):
        try:
            return services.check_url(self.cleaned_data["url"])
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["url"]) from None


def _require_editor(request) -> None:
    if not services.may_edit(request.user, request.user.organisation_id):
        raise PermissionDenied


def _resource(request, pk) -> Resource:
    resource = get_object_or_404(Resource.objects.visible_to(request.user), pk=pk)
    _require_editor(request)
    return resource


def _row(resource: Resource) -> dict:
    return {
        "pk": resource.pk,
        "title": resource.title,
        "url": resource.url,
        "host": services.host(resource.url),
        "description": resource.description,
        "is_published": resource.is_published,
    }


@require_safe
def resources(request):
    _require_editor(request)
    groups = services.grouped(Resource.objects.visible_to(request.user))
    for group in groups:
        group["rows"] = [_row(resource) for resource in group["resources"]]
    context = {"groups": groups, "count": sum(len(g["rows"]) for g in groups)}
    return render(request, "governance/staff/resources.jinja", context)


@require_http_methods(["GET", "HEAD", "POST"])
def resource_new(request):
    _require_editor(request)
    form = ResourceForm(
        request.POST if request.method == "POST" else None,
        initial={"kind": request.GET.get("kind") or Resource.Kind.NATIONAL_GUIDANCE},
    )
    if request.method == "POST" and form.is_valid():

        def add():
            services.add_resource(request.user.organisation, form.cleaned_data, by=request.user)

        if call_service(form, add, by=request.user):
            messages.success(request, _("Resource added to the public resources page."))
            return redirect("governance_staff:resources")
    status = 400 if form.errors else 200
    context = {"form": form, "resource": None}
    return render(request, "governance/staff/resources-form.jinja", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def resource_edit(request, pk):
    resource = _resource(request, pk)
    form = ResourceForm(
        request.POST if request.method == "POST" else None,
        initial={field: getattr(resource, field) for field in services.RESOURCE_FIELDS},
    )
    if request.method == "POST" and form.is_valid():
        if call_service(
            form,
            lambda: services.change_resource(resource, form.cleaned_data, by=request.user),
            by=request.user,
        ):
            messages.success(request, _("Resource saved."))
            return redirect("governance_staff:resources")
    status = 400 if form.errors else 200
    context = {"form": form, "resource": resource}
    return render(request, "governance/staff/resources-form.jinja", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def resource_remove(request, pk):
    """A page that asks first; the POST removes the link."""
    resource = _resource(request, pk)
    if request.method == "POST":
        services.remove_resource(resource, by=request.user)
        messages.success(request, _("Resource removed."))
        return redirect("governance_staff:resources")
    return render(request, "governance/staff/resources-remove.jinja", {"resource": resource})


@require_POST
def resource_move(request, pk):
    """Move the link up or down in its group (`direction` is "up" or "down")."""
    resource = _resource(request, pk)
    try:
        services.move_resource(resource, request.POST.get("direction", ""), by=request.user)
    except ValidationError:
        messages.error(request, _("Choose to move the link up or down."))
    return redirect("governance_staff:resources")


@require_POST
def resource_publish(request, pk):
    """Show the link on the public page, or hide it (`publish` is "1" or "0")."""
    resource = _resource(request, pk)
    published = request.POST.get("publish") == "1"
    services.set_published(resource, published, by=request.user)
    if published:
        messages.success(request, _("Resource shown on the public page."))
    else:
        messages.success(request, _("Resource hidden from the public page."))
    return redirect("governance_staff:resources")


@login_not_required
@require_safe
def public_resources(request):
    trust = core_queries.public_trust()
    groups = services.grouped(services.public_resources(trust))
    for group in groups:
        group["rows"] = [_row(resource) for resource in group["resources"]]
    return render(request, "governance/public/resources.jinja", {"trust": trust, "groups": groups})
