"""View models for feedback pages: check-your-answers rows, inbox rows, case pages."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from pcref.core.presenters import date_time
from pcref.core.reference import ethnic_group_choices
from pcref.feedback import forms as feedback_forms
from pcref.feedback.models import ContactDetails, FeedbackSubmission

STATUS_TAG_CLASSES = {
    FeedbackSubmission.Status.RECEIVED: "nhsuk-tag--blue",
    FeedbackSubmission.Status.ACKNOWLEDGED: "nhsuk-tag--aqua-green",
    FeedbackSubmission.Status.IN_PROGRESS: "nhsuk-tag--yellow",
    FeedbackSubmission.Status.REPLIED: "nhsuk-tag--purple",
    FeedbackSubmission.Status.CLOSED: "nhsuk-tag--grey",
}


def _choice_label(form_class, field: str, value: str, easy_read=False, **form_kwargs) -> str:
    if not value:
        return ""
    if easy_read and (words := feedback_forms.easy_read_choice(field, value)):
        return words
    choices = dict(form_class(**form_kwargs).fields[field].choices)
    return str(choices.get(value, value))


def check_answers_rows(
    answers: dict, *, organisation, team_name: str, partner_name: str, easy_read: bool = False
) -> list[dict]:
    """The summary list on the check-your-answers page, each row with its change link; with
    `easy_read`, answers read as the Easy Read options did."""

    def change(slug: str, what: str) -> dict:
        return {
            "items": [
                {
                    "href": reverse("feedback:step", args=[slug]) + "?change=1",
                    "text": _("Change"),
                    "visuallyHiddenText": what,
                }
            ]
        }

    not_given = _("Not given")
    rows = [
        (
            _("Who you are"),
            _choice_label(
                feedback_forms.WhoForm,
                "respondent_type",
                answers.get("respondent_type", ""),
                easy_read,
            ),
            "who",
        ),
        (
            _("Service or team"),
            team_name or str(feedback_forms.DO_NOT_KNOW if easy_read else _("Not sure")),
            "service",
        ),
        (_("What happened"), answers.get("text", ""), "what-happened"),
        (_("Cultural or religious needs"), answers.get("cultural_needs", ""), "topics"),
        (_("Family or carers involved"), answers.get("family_involvement", ""), "topics"),
        (_("Sharing personal information"), answers.get("sharing_information", ""), "topics"),
        (
            _("Overall experience"),
            _choice_label(
                feedback_forms.OverallForm,
                "overall_experience",
                answers.get("overall_experience", ""),
                easy_read,
            ),
            "overall",
        ),
        (_("Reply wanted"), _("Yes") if answers.get("wants_reply") == "yes" else _("No"), "reply"),
    ]
    if answers.get("wants_reply") == "yes":
        method = answers.get("preferred_method", "")
        how = (easy_read and feedback_forms.easy_read_choice("preferred_method", method)) or (
            str(ContactDetails.Method(method).label) if method else ""
        )
        detail = {
            "email": answers.get("email"),
            "phone": answers.get("phone"),
            "partner": partner_name,
        }.get(method, "")
        rows.append((_("How to contact you"), f"{how}: {detail}" if detail else how, "contact"))
        rows.append((_("Your name"), answers.get("name", ""), "contact"))
    ethnic = dict(ethnic_group_choices()).get(answers.get("ethnic_group", ""), "")
    if answers.get("ethnic_group_details"):
        ethnic = f"{ethnic} ({answers['ethnic_group_details']})"
    rows.append((_("Ethnic group"), ethnic, "about-you"))
    rows.append((_("Main language"), answers.get("main_language", ""), "about-you"))
    return [
        {
            "key": {"text": key},
            "value": {"text": value or not_given},
            "actions": change(slug, str(key)),
        }
        for key, value, slug in rows
    ]


class InboxRow:
    """One piece of feedback in the inbox: no contact details, the words shortened."""

    def __init__(self, submission: FeedbackSubmission):
        self.pk = submission.pk
        self.reference = submission.reference
        self.received = date_time(submission.created_at)
        self.status = submission.get_status_display()
        self.status_class = STATUS_TAG_CLASSES[submission.status]
        self.service = (
            submission.service_team.name if submission.service_team_id else _("Not given")
        )
        words = submission.text.split()
        self.excerpt = " ".join(words[:30]) + (" …" if len(words) > 30 else "")
        self.language = submission.text_language or submission.interface_language
        self.flags = [
            label
            for flag, label in (
                (submission.safeguarding, _("Safeguarding")),
                (submission.formal_complaint, _("Formal complaint")),
            )
            if flag
        ]
        self.themes = [decision.theme.name for decision in submission.triage_decisions.all()]
