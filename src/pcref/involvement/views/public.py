"""Public pages: what getting involved means, the sign-up form, and the withdrawal link."""

from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods, require_safe

from pcref.core import queries as core_queries
from pcref.core.once import AlreadySent, once
from pcref.feedback.services import over_rate_limit
from pcref.feedback.views.public import client_address
from pcref.involvement import services
from pcref.involvement.forms import SignUpForm

# The raw withdrawal token sits in the session only until the confirmation page shows it.
TOKEN_KEY = "pcref_involvement_withdrawal_token"
SIGNED_UP_KEY = "pcref_involvement_signed_up"
WITHDRAWN_KEY = "pcref_involvement_withdrawn"


def _trust_or_404():
    trust = core_queries.public_trust()
    if trust is None:
        raise Http404("No trust is set up to keep an involvement register (PCREF_TRUST_ODS_CODE)")
    return trust


@login_not_required
@require_safe
def start(request):
    trust = core_queries.public_trust()
    context = {
        "trust": trust,
        "programmes": core_queries.public_programmes(trust),
        "partners": core_queries.public_partners(),
    }
    return render(request, "involvement/public/start.jinja", context)


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def sign_up(request):
    trust = _trust_or_404()
    form = SignUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if form.is_spam():  # programs get the same page as people, and nothing is stored
            request.session[SIGNED_UP_KEY] = True
            return redirect("involvement:signed_up")
        address = client_address(request)
        if over_rate_limit(address):
            return render(
                request, "involvement/public/rate-limited.jinja", {"trust": trust}, status=429
            )
        try:
            with once(form.cleaned_data["once"], by=None):
                _registration, token = services.sign_up(
                    form.cleaned_data,
                    organisation=trust,
                    interface_language=get_language(),
                    address=address,
                )
        except AlreadySent:
            # A double click: the first send signed them up and keeps their withdrawal link in
            # the session; this one changes nothing there, so the link is not lost.
            return redirect("involvement:signed_up")
        request.session[SIGNED_UP_KEY] = True
        request.session[TOKEN_KEY] = token
        return redirect("involvement:signed_up")
    return render(request, "involvement/public/sign-up.jinja", {"form": form, "trust": trust})


@login_not_required
@require_safe
def signed_up(request):
    if not request.session.get(SIGNED_UP_KEY):
        return redirect("involvement:start")
    token = request.session.pop(TOKEN_KEY, None)  # shown once, then forgotten
    withdraw_url = request.build_absolute_uri(_withdraw_path(token)) if token is not None else None
    return render(
        request,
        "involvement/public/signed-up.jinja",
        {"withdraw_url": withdraw_url, "trust": core_queries.public_trust()},
    )


def _withdraw_path(token: str) -> str:
    return reverse("involvement:withdraw", args=[token])


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def withdraw(request, token):
    """GET asks; only the button (a POST) withdraws. An unknown link gets a 404."""
    registration = services.registration_for_token(token)
    if registration is None:
        raise Http404("No sign-up has this withdrawal link")
    if registration.is_withdrawn:
        return render(request, "involvement/public/withdrawn.jinja", {"already": True})
    if request.method == "POST":
        services.withdraw(registration, by="public-form")
        request.session[WITHDRAWN_KEY] = True
        return redirect("involvement:withdrawn")
    return render(request, "involvement/public/withdraw.jinja", {})


@login_not_required
@require_safe
def withdrawn(request):
    if not request.session.pop(WITHDRAWN_KEY, None):
        return redirect("involvement:start")
    return render(request, "involvement/public/withdrawn.jinja", {"already": False})
