"""Public pages: home, about PCREF, statements, and the ways in that later issues fill."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from pcref.core import queries


def _page(template: str):
    @login_not_required
    @require_safe
    def view(request):
        return render(request, template, {"trust": queries.public_trust()})

    view.__name__ = template.rsplit("/", 1)[-1].removesuffix(".jinja").replace("-", "_")
    return view


home = _page("core/public/home.jinja")
about_pcref = _page("core/public/about-pcref.jinja")
accessibility = _page("core/public/accessibility.jinja")
privacy = _page("core/public/privacy.jinja")
cookies = _page("core/public/cookies.jinja")
published_data = _page("core/public/published-data.jinja")
