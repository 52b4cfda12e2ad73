"""Who may upload extracts and run metrics: analysts and administrators of the organisation."""

from enum import StrEnum

import rules

from pcref.core.models import Organisation
from pcref.core.roles import Role
from pcref.core.rules import has_role

is_analyst = has_role(Role.ANALYST)
is_administrator = has_role(Role.ADMINISTRATOR)
is_partner_user = has_role(Role.PARTNER_USER)


class Perm(StrEnum):
    UPLOAD_EXTRACTS = "insights.upload_extracts"
    RUN_METRICS = "insights.run_metrics"


@rules.predicate
def works_for_owner(user, target) -> bool:
    """The organisation, upload or run is the user's own (no target: any of theirs)."""
    if target is None:
        return user.organisation_id is not None
    owner = target.pk if isinstance(target, Organisation) else target.organisation_id
    return owner == user.organisation_id


can_handle_extracts = (is_analyst | is_administrator) & ~is_partner_user & works_for_owner
rules.add_perm(Perm.UPLOAD_EXTRACTS, can_handle_extracts)
rules.add_perm(Perm.RUN_METRICS, can_handle_extracts)
