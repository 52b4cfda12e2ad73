"""The public feedback journey: which steps there are, and the answers kept between them.

Answers live in the session until the person sends them, so nothing is lost when a step fails
validation or the person goes back to change an answer. The Easy Read version is the same
journey: a flag in the session switches each step to its Easy Read page (plain words, a picture
beside each point, fewer questions on the "about you" step).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from pcref.feedback import forms as feedback_forms

SESSION_KEY = "pcref_feedback_journey"
SENT_KEY = "pcref_feedback_sent"
EASY_READ_KEY = "pcref_feedback_easy_read"  # outlives one journey: the confirmation page needs it


@dataclass(frozen=True)
class EasyReadPage:
    """How a step looks in Easy Read: a heading with a picture, short points (each a picture
    name from easy-read/_pictures.jinja and one sentence), and which questions it asks.
    A page asking one question uses that question as its heading."""

    picture: str
    title: object = None  # lazy translation; None: the question is the heading
    points: tuple[tuple[str, object], ...] = ()
    asks: tuple[str, ...] | None = None  # None: every question of the step's form


@dataclass(frozen=True)
class Step:
    slug: str
    form_class: type[forms.Form]
    title: object  # lazy translation
    easy_read: EasyReadPage
    optional_when_no_reply: bool = False


NOT_REQUIRED = _("You do not have to answer these questions.")

STEPS = (
    Step("who", feedback_forms.WhoForm, _("Who are you?"), EasyReadPage("person")),
    Step(
        "service",
        feedback_forms.ServiceForm,
        _("Which service or team?"),
        EasyReadPage("hospital"),
    ),
    Step(
        "what-happened",
        feedback_forms.WhatHappenedForm,
        _("What happened?"),
        EasyReadPage("speech"),
    ),
    Step(
        "topics",
        feedback_forms.TopicsForm,
        _("Three things we would like to know"),
        EasyReadPage(
            "question",
            _("3 more questions"),
            (("tick", NOT_REQUIRED), ("speech", _("Answer the ones that matter to you."))),
        ),
    ),
    Step(
        "overall",
        feedback_forms.OverallForm,
        _("Your overall experience"),
        EasyReadPage("face"),
    ),
    Step("reply", feedback_forms.ReplyForm, _("Would you like a reply?"), EasyReadPage("letter")),
    Step(
        "contact",
        feedback_forms.ContactForm,
        _("How we can contact you"),
        EasyReadPage(
            "phone",
            _("How can we contact you?"),
            (
                ("letter", _("We only use your details to reply to you.")),
                ("lock", _("We delete your details when we have finished.")),
            ),
        ),
        optional_when_no_reply=True,
    ),
    Step(
        "about-you",
        feedback_forms.AboutYouForm,
        _("About you (optional)"),
        EasyReadPage(
            "person",
            _("About you"),
            (
                ("people", _("We want to know if some groups of people get worse care.")),
                ("fair", _("This helps us make care fair for everyone.")),
                ("tick", NOT_REQUIRED),
                ("lock", _("We never share your answers in a way that shows who you are.")),
            ),
            asks=("ethnic_group", "ethnic_group_details", "main_language", "disability"),
        ),
    ),
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

    @property
    def easy_read(self) -> bool:
        return bool(self.session.get(EASY_READ_KEY))

    def use_easy_read(self, on: bool) -> None:
        """Chosen by the start page the person came from; the answers so far are kept."""
        if on:
            self.session[EASY_READ_KEY] = True
        elif EASY_READ_KEY in self.session:  # no cookie for people who never chose Easy Read
            del self.session[EASY_READ_KEY]

    def finish(self) -> None:
        self.session.pop(SESSION_KEY, None)

    def _store(self) -> None:
        self.session[SESSION_KEY] = self.state
        self.session.modified = True


def _plain(value):
    if isinstance(value, bool | int) or value is None:
        return value
    return str(value)
