"""Who may do what with feedback: predicates scoped by organisation (django-rules)."""

from enum import StrEnum

import rules

from pcref.core.roles import Role
from pcref.core.rules import has_role

is_patient_experience_officer = has_role(Role.PATIENT_EXPERIENCE_OFFICER)
is_analyst = has_role(Role.ANALYST)
is_partner_user = has_role(Role.PARTNER_USER)


class Perm(StrEnum):
    VIEW_FEEDBACK = "feedback.view_feedback"
    HANDLE_FEEDBACK = "feedback.handle_feedback"
    VIEW_CONTACT_DETAILS = "feedback.view_contact_details"
    PUBLISH_YOU_SAID_WE_DID = "feedback.publish_you_said_we_did"
    EXPORT_FEEDBACK = "feedback.export_feedback"
    SUBMIT_ON_BEHALF = "feedback.submit_on_behalf"


@rules.predicate
def works_for_owner(user, submission) -> bool:
    """The feedback was sent to the user's organisation (no object: any of theirs)."""
    if submission is None:
        return user.organisation_id is not None
    return submission.organisation_id == user.organisation_id


@rules.predicate
def submitted_it(user, submission) -> bool:
    """A partner organisation sees what it submitted on someone's behalf."""
    if submission is None:
        return user.organisation_id is not None
    return submission.submitted_via_id == user.organisation_id


rules.add_perm(
    Perm.VIEW_FEEDBACK,
    (is_patient_experience_officer & works_for_owner) | (is_partner_user & submitted_it),
)
rules.add_perm(Perm.HANDLE_FEEDBACK, is_patient_experience_officer & works_for_owner)
rules.add_perm(Perm.VIEW_CONTACT_DETAILS, is_patient_experience_officer & works_for_owner)
rules.add_perm(Perm.PUBLISH_YOU_SAID_WE_DID, is_patient_experience_officer & works_for_owner)
rules.add_perm(Perm.EXPORT_FEEDBACK, (is_patient_experience_officer | is_analyst) & works_for_owner)
rules.add_perm(Perm.SUBMIT_ON_BEHALF, is_partner_user | is_patient_experience_officer)
