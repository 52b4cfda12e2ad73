"""Who may do what with the involvement register: predicates scoped by organisation."""

from enum import StrEnum

import rules

from pcref.core.roles import Role
from pcref.core.rules import has_role

is_administrator = has_role(Role.ADMINISTRATOR)
is_patient_experience_officer = has_role(Role.PATIENT_EXPERIENCE_OFFICER)
is_steering_group_member = has_role(Role.STEERING_GROUP_MEMBER)
is_partner_user = has_role(Role.PARTNER_USER)


class Perm(StrEnum):
    VIEW_REGISTER = "involvement.view_register"
    VIEW_CONTACT_DETAILS = "involvement.view_contact_details"
    MANAGE_OPPORTUNITIES = "involvement.manage_opportunities"
    WITHDRAW_ON_REQUEST = "involvement.withdraw_on_request"
    VIEW_PARTNERS = "involvement.view_partners"
    MANAGE_PARTNERS = "involvement.manage_partners"
    VIEW_EVENTS = "involvement.view_events"
    MANAGE_EVENTS = "involvement.manage_events"
    VIEW_PAYMENTS = "involvement.view_payments"
    RECORD_PAYMENTS = "involvement.record_payments"
    SET_RATES = "involvement.set_rates"


@rules.predicate
def works_for_owner(user, target) -> bool:
    """The registration or opportunity belongs to the user's trust (no object: any of theirs)."""
    if target is None:
        return user.organisation_id is not None
    return target.organisation_id == user.organisation_id


# The people who contact volunteers (the patient experience team) and administrators see
# contact details; steering group members match people to opportunities by what they would
# like to do, without their email or phone. Partner users see no trust's register.
runs_register = (is_administrator | is_patient_experience_officer) & ~is_partner_user
works_with_register = (runs_register | is_steering_group_member) & ~is_partner_user
rules.add_perm(Perm.VIEW_REGISTER, works_with_register & works_for_owner)
rules.add_perm(Perm.MANAGE_OPPORTUNITIES, works_with_register & works_for_owner)
rules.add_perm(Perm.VIEW_CONTACT_DETAILS, runs_register & works_for_owner)
rules.add_perm(Perm.WITHDRAW_ON_REQUEST, runs_register & works_for_owner)

# Partner organisations' contacts and agreements: the trust's own records about its partners.
rules.add_perm(Perm.VIEW_PARTNERS, works_with_register & works_for_owner)
rules.add_perm(Perm.MANAGE_PARTNERS, works_with_register & works_for_owner)

# Engagement events and co-production activities: those who work with the register record them
# (counts by community, never names).
rules.add_perm(Perm.VIEW_EVENTS, works_with_register & works_for_owner)
rules.add_perm(Perm.MANAGE_EVENTS, works_with_register & works_for_owner)

# Payments and recognition: recorded by those who work with the register (by reference; only
# those who may see contact details see names when choosing the person); the payment policy's
# rates are set by administrators. Partner users and other trusts see none of it.
rules.add_perm(Perm.VIEW_PAYMENTS, works_with_register & works_for_owner)
rules.add_perm(Perm.RECORD_PAYMENTS, works_with_register & works_for_owner)
rules.add_perm(Perm.SET_RATES, is_administrator & ~is_partner_user & works_for_owner)
