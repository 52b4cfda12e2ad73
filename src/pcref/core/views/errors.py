"""Error pages in the NHS.UK style, in the visitor's language."""

from django.shortcuts import render


def _error(request, template: str, status: int):
    return render(request, template, status=status)


def bad_request(request, exception=None):
    return _error(request, "core/errors/400.jinja", 400)


def forbidden(request, exception=None):
    return _error(request, "core/errors/403.jinja", 403)


def not_found(request, exception=None):
    return _error(request, "core/errors/404.jinja", 404)


def server_error(request):
    return _error(request, "core/errors/500.jinja", 500)
