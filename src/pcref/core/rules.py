"""Who may do what to which core object: predicates scoped by organisation (django-rules)."""

import rules

from pcref.core.models import Organisation, ServiceTeam
from pcref.core.roles import Perm, Role


def has_role(role: Role):
    @rules.predicate(name=f"has_role:{role}")
    def predicate(user) -> bool:
        return bool(user.is_authenticated and user.has_role(role))

    return predicate


is_administrator = has_role(Role.ADMINISTRATOR)
is_partner_user = has_role(Role.PARTNER_USER)
is_trust_staff = rules.is_authenticated & ~is_partner_user


def _organisation_id(target):
    if isinstance(target, Organisation):
        return target.pk
    if isinstance(target, ServiceTeam):
        return target.organisation_id
    return None


@rules.predicate
def works_for(user, target) -> bool:
    """The target belongs to the user's own organisation (no target: any organisation)."""
    if target is None:
        return user.organisation_id is not None
    return _organisation_id(target) == user.organisation_id


@rules.predicate
def can_see_organisation(user, organisation) -> bool:
    if organisation is None:
        return user.organisation_id is not None
    return organisation.pk in Organisation.objects.visible_to(user).values_list("pk", flat=True)


rules.add_perm(Perm.VIEW_ORGANISATION, rules.is_authenticated & can_see_organisation)
rules.add_perm(Perm.CHANGE_ORGANISATION, is_administrator & works_for)
rules.add_perm(Perm.MANAGE_SERVICE_TEAMS, is_administrator & works_for)
rules.add_perm(Perm.MANAGE_STAFF, is_administrator & works_for)
rules.add_perm(Perm.VIEW_AUDIT_LOG, is_administrator & works_for)
