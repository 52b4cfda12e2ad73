"""Who may see and run delivery plans: predicates scoped by organisation and programme."""

from enum import StrEnum

import rules

from pcref.core.roles import Role
from pcref.core.rules import has_role

is_administrator = has_role(Role.ADMINISTRATOR)
is_steering_group_member = has_role(Role.STEERING_GROUP_MEMBER)
is_board_viewer = has_role(Role.BOARD_VIEWER)
is_analyst = has_role(Role.ANALYST)
is_partner_user = has_role(Role.PARTNER_USER)


class Perm(StrEnum):
    VIEW_PLANS = "governance.view_plans"
    MANAGE_PLANS = "governance.manage_plans"
    # Steering and working groups: the same people as plans, scoped by the group.
    VIEW_GROUPS = "governance.view_groups"
    MANAGE_GROUPS = "governance.manage_groups"


@rules.predicate
def can_see_plan(user, target) -> bool:
    """The plan (of an action or workstream) is the user's organisation's, or shared with a
    programme it belongs to; with no object: the user belongs to an organisation."""
    from pcref.governance.models import DeliveryPlan

    if target is None:
        return user.organisation_id is not None
    plan = target if isinstance(target, DeliveryPlan) else target.plan
    return DeliveryPlan.objects.visible_to(user).filter(pk=plan.pk).exists()


# Administrators and the steering group run the plan; the board and analysts read it. Partner
# users see no plan (their organisation's own records are elsewhere).
runs_plans = (is_administrator | is_steering_group_member) & ~is_partner_user
reads_plans = (runs_plans | is_board_viewer | is_analyst) & ~is_partner_user
rules.add_perm(Perm.VIEW_PLANS, reads_plans & can_see_plan)
rules.add_perm(Perm.MANAGE_PLANS, runs_plans & can_see_plan)


def _group_of(target):
    """The group a record belongs to: a group, a member or meeting, or a meeting's record."""
    from pcref.governance.models import GovernanceGroup

    if isinstance(target, GovernanceGroup):
        return target
    if hasattr(target, "group"):
        return target.group
    return target.meeting.group


@rules.predicate
def can_see_group(user, target) -> bool:
    """The group (of a member, meeting, paper, decision or log item) is the user's
    organisation's, or shared with a programme it belongs to; with no object: the user belongs
    to an organisation."""
    from pcref.governance.models import GovernanceGroup

    if target is None:
        return user.organisation_id is not None
    group = _group_of(target)
    return GovernanceGroup.objects.visible_to(user).filter(pk=group.pk).exists()


rules.add_perm(Perm.VIEW_GROUPS, reads_plans & can_see_group)
rules.add_perm(Perm.MANAGE_GROUPS, runs_plans & can_see_group)
