"""The staff account journey: sign in, second factor, enrolment, backup codes, sign out."""

from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice
from markupsafe import Markup

from pcref.core import services
from pcref.core.forms import SecondFactorForm, SignInForm
from pcref.core.middleware import second_factor_not_required

BACKUP_CODES_SESSION_KEY = "pcref_backup_codes"


def _next_url(request, default: str = "core_staff:staff_home") -> str:
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(default)


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in(request):
    if request.user.is_authenticated and request.user.is_verified():
        return redirect(_next_url(request))
    form = SignInForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        login(request, form.user)
        has_device = services.confirmed_totp_device(form.user) is not None
        return redirect(
            _with_next(
                "core_staff:verify" if has_device else "core_staff:two_factor_setup",
                _next_url(request),
            )
        )
    context = {"form": form, "next": _next_url(request), "oidc_enabled": settings.OIDC_ENABLED}
    return render(request, "core/account/sign-in.jinja", context)


@second_factor_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request):
    if request.user.is_verified():
        return redirect(_next_url(request))
    if services.confirmed_totp_device(request.user) is None:
        return redirect(_with_next("core_staff:two_factor_setup", _next_url(request)))
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            services.record_sign_in(request.user, method=device.__class__.__name__)
            return redirect(_next_url(request))
        form.add_error(
            "code", _("The security code is not right, or has expired. Try the newest code.")
        )
    return render(request, "core/account/verify.jinja", {"form": form, "next": _next_url(request)})


def _qr_code(device: TOTPDevice) -> Markup:
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=4, title=_("QR code for your authenticator app"), svgclass="pcref-qr-code"
    )
    return Markup(svg)


@second_factor_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def two_factor_setup(request):
    # Someone who only knows the password must not replace the second factor.
    if services.confirmed_totp_device(request.user) and not request.user.is_verified():
        return redirect(_with_next("core_staff:verify", _next_url(request)))
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = services.start_totp_enrolment(request.user)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            codes = services.confirm_totp_enrolment(request.user, device, by=request.user)
            otp_login(request, device)
            services.record_sign_in(request.user, method="TOTPDevice")
            request.session[BACKUP_CODES_SESSION_KEY] = codes
            return redirect(_with_next("core_staff:backup_codes", _next_url(request)))
        form.add_error(
            "code", _("The security code is not right. Check your app and try the newest code.")
        )
    context = {
        "form": form,
        "qr_code": _qr_code(device),
        "secret_key": " ".join(
            b32encode(device.bin_key).decode()[i : i + 4] for i in range(0, 32, 4)
        ).strip(),
        "next": _next_url(request),
    }
    return render(request, "core/account/two-factor-setup.jinja", context)


@require_http_methods(["GET", "HEAD", "POST"])
def backup_codes(request):
    if request.method == "POST":
        request.session[BACKUP_CODES_SESSION_KEY] = services.regenerate_backup_codes(
            request.user, by=request.user
        )
        return redirect("core_staff:backup_codes")
    codes = request.session.pop(BACKUP_CODES_SESSION_KEY, None)
    return render(
        request, "core/account/backup-codes.jinja", {"codes": codes, "next": _next_url(request)}
    )


@require_safe
def account(request):
    return render(
        request,
        "core/account/account.jinja",
        {"roles": sorted(role.label for role in request.user.roles)},
    )


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def sign_out(request):
    if request.method == "POST":
        if request.user.is_authenticated:
            services.record_sign_out(request.user)
        logout(request)
        messages.info(request, _("You have signed out."))
        return redirect("core_staff:sign_in")
    if not request.user.is_authenticated:
        return redirect("core_staff:sign_in")
    return render(request, "core/account/sign-out.jinja")


def locked_out(request, credentials=None, *args, **kwargs):
    """django-axes calls this when an account has had too many failed sign-ins."""
    return render(request, "core/account/locked-out.jinja", status=429)
