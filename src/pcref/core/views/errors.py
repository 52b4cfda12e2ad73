"""Error pages in the NHS.UK style, in the visitor's language."""

import sys

from django.db import InterfaceError, OperationalError
from django.shortcuts import render

from pcref.core.exceptions import chain

# The database went away (restarted, failed over, out of connections): the person can send the
# same page again in a minute, so they are told that, with 503, not "a problem with the service".
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def _error(request, template: str, status: int):
    return render(request, template, status=status)


def _database_unavailable(error: BaseException | None) -> bool:
    """Whether the error, or one it was raised from or while handling, is the database going
    away. Django hides some: a session that cannot be saved becomes "session interrupted", a
    400, with the database's error inside."""
    return any(isinstance(link, DATABASE_UNAVAILABLE) for link in chain(error))


def _unavailable(request):
    response = _error(request, "core/errors/503.jinja", 503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def bad_request(request, exception=None):
    if _database_unavailable(exception):
        return _unavailable(request)
    return _error(request, "core/errors/400.jinja", 400)


def forbidden(request, exception=None):
    return _error(request, "core/errors/403.jinja", 403)


def csrf_failure(request, reason=""):
    """A form sent without its security token (cookies blocked, or the page left open past
    the session): the branded page in the person's language, which says to go back and try
    again, instead of Django's plain English one."""
    return _error(request, "core/errors/400.jinja", 403)


def not_found(request, exception=None):
    return _error(request, "core/errors/404.jinja", 404)


def server_error(request):
    """Django calls this while handling the error, so the error is sys.exc_info()'s. The pages
    render without the database: the public layout reads only settings."""
    if _database_unavailable(sys.exc_info()[1]):
        return _unavailable(request)
    return _error(request, "core/errors/500.jinja", 500)
