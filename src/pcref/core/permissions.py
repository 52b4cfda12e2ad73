"""The one check every staff view makes before it shows or changes anything."""

from django.core.exceptions import PermissionDenied


def require_perm(request, perm, target=None) -> None:
    """Refuse (403) unless the signed-in user holds `perm`, on `target` when one is given.
    Views find `target` through `visible_to` first, so another organisation's record is a 404
    before it is ever a 403."""
    if not request.user.has_perm(perm, target):
        raise PermissionDenied
