"""Public pages: home, about PCREF, statements, and the ways in that later issues fill."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from pcref.core.models import Organisation, Programme


def _trust():
    """The trust whose site this is (PCREF_TRUST_ODS_CODE), for its contact details."""
    return Organisation.objects.filter(ods_code=settings.TRUST_ODS_CODE).first()


def _page(template: str):
    @login_not_required
    @require_safe
    def view(request):
        return render(request, template, {"trust": _trust()})

    view.__name__ = template.rsplit("/", 1)[-1].removesuffix(".jinja").replace("-", "_")
    return view


home = _page("core/public/home.jinja")
about_pcref = _page("core/public/about-pcref.jinja")
accessibility = _page("core/public/accessibility.jinja")
privacy = _page("core/public/privacy.jinja")
cookies = _page("core/public/cookies.jinja")
give_feedback = _page("core/public/give-feedback.jinja")
published_data = _page("core/public/published-data.jinja")


@login_not_required
@require_safe
def get_involved(request):
    trust = _trust()
    programmes = (
        Programme.objects.filter(organisations=trust).prefetch_related("organisations")
        if trust
        else Programme.objects.none()
    )
    partners = Organisation.objects.exclude(kind=Organisation.Kind.NHS_TRUST)
    return render(
        request,
        "core/public/get-involved.jinja",
        {"trust": trust, "programmes": programmes, "partners": partners},
    )
