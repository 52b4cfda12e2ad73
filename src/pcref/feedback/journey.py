"""The public feedback journey: which steps there are, and the answers kept between them.

Answers live in the session until the person sends them, so nothing is lost when a step fails
validation or the person goes back to change an answer.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from pcref.feedback import forms as feedback_forms

SESSION_KEY = "pcref_feedback_journey"
SENT_KEY = "pcref_feedback_sent"


@dataclass(frozen=True)
class Step:
    slug: str
    form_class: type[forms.Form]
    title: object  # lazy translation
    optional_when_no_reply: bool = False


STEPS = (
    Step("who", feedback_forms.WhoForm, _("Who are you?")),
    Step("service", feedback_forms.ServiceForm, _("Which service or team?")),
    Step("what-happened", feedback_forms.WhatHappenedForm, _("What happened?")),
    Step("topics", feedback_forms.TopicsForm, _("Three things we would like to know")),
    Step("overall", feedback_forms.OverallForm, _("Your overall experience")),
    Step("reply", feedback_forms.ReplyForm, _("Would you like a reply?")),
    Step(
        "contact",
        feedback_forms.ContactForm,
        _("How we can contact you"),
        optional_when_no_reply=True,
    ),
    Step("about-you", feedback_forms.AboutYouForm, _("About you (optional)")),
)
STEPS_BY_SLUG = {step.slug: step for step in STEPS}


class Journey:
    """One person's answers so far, kept in their session."""

    def __init__(self, session):
        self.session = session
        self.state = session.get(SESSION_KEY) or {
            "token": secrets.token_urlsafe(24),
            "answers": {},
            "spam": False,
        }

    @property
    def answers(self) -> dict:
        return self.state["answers"]

    @property
    def token(self) -> str:
        return self.state["token"]

    def save_step(self, cleaned: dict) -> None:
        self.answers.update(
            {key: _plain(value) for key, value in cleaned.items() if key != "website"}
        )
        self._store()

    def mark_spam(self) -> None:
        self.state["spam"] = True
        self._store()

    @property
    def is_spam(self) -> bool:
        return self.state.get("spam", False)

    def applies(self, step: Step) -> bool:
        return not step.optional_when_no_reply or self.answers.get("wants_reply") == "yes"

    def next_slug(self, step: Step) -> str | None:
        index = STEPS.index(step)
        for candidate in STEPS[index + 1 :]:
            if self.applies(candidate):
                return candidate.slug
        return None

    def previous_slug(self, step: Step) -> str | None:
        index = STEPS.index(step)
        for candidate in reversed(STEPS[:index]):
            if self.applies(candidate):
                return candidate.slug
        return None

    def first_unanswered(self) -> str | None:
        """The first required step without an answer, if the person skipped ahead."""
        if "respondent_type" not in self.answers:
            return "who"
        if not self.answers.get("text"):
            return "what-happened"
        if "wants_reply" not in self.answers:
            return "reply"
        if self.answers.get("wants_reply") == "yes" and not self.answers.get("consent"):
            return "contact"
        return None

    def finish(self) -> None:
        self.session.pop(SESSION_KEY, None)

    def _store(self) -> None:
        self.session[SESSION_KEY] = self.state
        self.session.modified = True


def _plain(value):
    if isinstance(value, bool | int) or value is None:
        return value
    return str(value)
