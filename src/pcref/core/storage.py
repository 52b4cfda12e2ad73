"""A full disk, said in plain words (docs/operations.md, "When the disk is full").

Files are kept under INSIGHTS_DIR and GOVERNANCE_DIR, and Django streams a large request body to
FILE_UPLOAD_TEMP_DIR. When the disk, or the account's quota, is full, the operating system says
ENOSPC or EDQUOT. Whoever catches that removes what it half-wrote, saves no record, and shows
`no_room(what)` instead of a technical error: the one message, written once, here.
"""

from __future__ import annotations

import errno
import logging
import os

from django.http import UnreadablePostError
from django.shortcuts import render
from django.utils.translation import gettext as _

from pcref.core.exceptions import chain

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
# Libraries written in C or C++ (DuckDB, Arrow) pass on the operating system's words, not its
# number: "No space left on device", "Disk quota exceeded". Only their errors are read for the
# words: our own refusals may quote a file name, which anyone may choose.
_DISK_FULL_WORDS = tuple(os.strerror(number) for number in sorted(DISK_FULL_ERRNOS))
_WORDY_LIBRARIES = ("duckdb", "_duckdb", "pyarrow")
logger = logging.getLogger(__name__)


def is_disk_full(error: BaseException | None) -> bool:
    """Whether an error, or one it was raised from or while handling, is a full disk."""
    return any(_says_disk_full(link) for link in chain(error))


def _says_disk_full(error: BaseException) -> bool:
    if isinstance(error, OSError) and error.errno is not None:
        return error.errno in DISK_FULL_ERRNOS
    if isinstance(error, OSError) or type(error).__module__.startswith(_WORDY_LIBRARIES):
        return any(words in str(error) for words in _DISK_FULL_WORDS)
    return False


def no_room(what, error: BaseException | None = None) -> str:
    """The message for a full disk, naming what could not be saved ("this evidence file").
    The system's own error, when given, goes to the log for the administrator."""
    if error is not None:
        logger.error("No room to keep %s: %s", what, error)
    return _(
        "The server has no room to keep %(what)s just now, so nothing was saved. Try again "
        "later, or tell your system administrator."
    ) % {"what": what}


class DiskFullMiddleware:
    """Read a multipart request body here, before CsrfViewMiddleware does, so that a full
    FILE_UPLOAD_TEMP_DIR gives a clear page instead of a server error.

    Django streams a file over FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file while it reads the
    body; when that write fails, the OSError leaves the body half read and the form's other
    fields unknown (and the CSRF token unchecked). So the answer is a page of its own, not the
    form again: status 507 Insufficient Storage (RFC 4918) says the server could not store what
    was sent, and the person can simply send it again later. The half-written temporary file is
    closed, which deletes it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.content_type != "multipart/form-data":
            return None
        try:
            request.POST  # noqa: B018 - parsing streams the files to the temporary folder
        except UnreadablePostError:
            return None  # the client went away: CsrfViewMiddleware answers, as without us
        except OSError as error:
            if not is_disk_full(error):
                raise
            for handler in request.upload_handlers:
                _close(getattr(handler, "file", None))
            return render(
                request,
                "core/errors/507.jinja",
                {"message": no_room(_("the file you sent"), error)},
                status=507,
            )
        return None


def _close(temporary) -> None:
    """Close (and so delete) a half-written temporary upload; a full disk may refuse the last
    flush, but the file is deleted all the same."""
    if temporary is None:
        return
    try:
        temporary.close()
    except OSError:
        pass
