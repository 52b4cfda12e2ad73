"""Deny by default: every view needs a staff sign-in with a second factor unless marked."""

from urllib.parse import urlencode

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url

from pcref.core.services import confirmed_totp_device


def second_factor_not_required(view):
    """Mark a view a signed-in user may reach before the second factor (enrolment, verify)."""
    view.second_factor_required = False
    return view


class StaffSignInRequiredMiddleware(LoginRequiredMiddleware):
    """Anonymous visitors go to sign-in; signed-in staff without a verified second factor go
    to verify it (or to set one up). Public views are marked with @login_not_required."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        if not request.user.is_authenticated:
            return self.handle_no_permission(request, view_func)
        if getattr(view_func, "second_factor_required", True) and not request.user.is_verified():
            return redirect_to_second_factor(request)
        return None


def redirect_to_second_factor(request) -> HttpResponseRedirect:
    has_device = confirmed_totp_device(request.user) is not None
    url = resolve_url("core_staff:verify" if has_device else "core_staff:two_factor_setup")
    return HttpResponseRedirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
