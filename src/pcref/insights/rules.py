"""Who may upload extracts and run metrics (analysts and administrators of the organisation),
and who may read its insights (those, the steering group and board viewers)."""

from enum import StrEnum

import rules

from pcref.core.models import Organisation
from pcref.core.roles import Role
from pcref.core.rules import has_role

is_analyst = has_role(Role.ANALYST)
is_administrator = has_role(Role.ADMINISTRATOR)
is_partner_user = has_role(Role.PARTNER_USER)
is_steering_group_member = has_role(Role.STEERING_GROUP_MEMBER)
is_board_viewer = has_role(Role.BOARD_VIEWER)


class Perm(StrEnum):
    UPLOAD_EXTRACTS = "insights.upload_extracts"
    RUN_METRICS = "insights.run_metrics"
    VIEW_INSIGHTS = "insights.view_insights"
    MAKE_REPORTS = "insights.make_reports"
    PUBLISH_DATA = "insights.publish_data"


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
# Board and public reports are drafted by analysts; publishing figures to /data/ likewise.
rules.add_perm(Perm.MAKE_REPORTS, can_handle_extracts)
rules.add_perm(Perm.PUBLISH_DATA, can_handle_extracts)

can_view_insights = (
    (is_analyst | is_administrator | is_steering_group_member | is_board_viewer)
    & ~is_partner_user
    & works_for_owner
)
rules.add_perm(Perm.VIEW_INSIGHTS, can_view_insights)
