"""Staff forms acted on once: a second send of the same form makes nothing.

A form with `OnceField` carries a new key each time it is shown. The view runs its service
through `pcref.core.forms.call_service(form, change, by=user)`, whose `once(key, by=user)`
saves the key in the same transaction: if the service refuses, the key is not kept, so the
corrected form can be sent; if the key is already taken, `AlreadySent` is raised and nothing
is made. A session token would not do: two sends at the same moment would both find it unused.
"""

import uuid
from contextlib import contextmanager
from datetime import timedelta

from django import forms
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pcref.core.models import SentForm

# What the person is told when their second send made nothing.
ALREADY_SENT = _("This form had already been sent, so nothing was recorded a second time.")


class AlreadySent(Exception):
    """This form was already acted on."""


class OnceField(forms.UUIDField):
    """A hidden field holding the form's one-time key: new each time an unbound form is shown.

    Optional, so a form sent without it (a script of the trust's, say) still works, unguarded.
    """

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, initial=uuid.uuid4, **kwargs)


@contextmanager
def once(key: uuid.UUID | None, *, by):
    """Run the block at most once for `key`, atomically with what it saves. `by` is the staff
    member sending the form, or None on the public site.

    Raises:
        AlreadySent: the key was used by an earlier send that saved its work.
    """
    with transaction.atomic():
        if key is not None:
            try:
                with transaction.atomic():
                    SentForm.objects.create(key=key, sent_by=by)
            except IntegrityError as error:
                raise AlreadySent from error
        yield


# A form kept open longer than this and then sent is acted on again: keys are not kept forever.
KEPT_FOR = timedelta(days=30)


def prune_sent_forms(*, now=None, dry_run: bool = False) -> int:
    """Delete the keys of forms sent more than KEPT_FOR ago (`pcref retention`); how many."""
    old = SentForm.objects.filter(sent_at__lt=(now or timezone.now()) - KEPT_FOR)
    count = old.count()
    if not dry_run:
        old.delete()
    return count
