"""Feedback addresses: the public journey and "You said, we did" (every language), staff pages."""

from django.urls import path

from pcref.feedback.feeds import YouSaidWeDidFeed
from pcref.feedback.views import public, staff

public_urlpatterns = (
    [
        path("feedback/", public.start, name="start"),
        # Before the steps: "easy-read" would otherwise be read as a step's slug.
        path("feedback/easy-read/", public.start, {"easy_read": True}, name="easy_read_start"),
        path("feedback/check/", public.check, name="check"),
        path("feedback/sent/", public.sent, name="sent"),
        path("feedback/<slug:slug>/", public.step, name="step"),
        path("you-said-we-did/", public.you_said_we_did, name="you_said_we_did"),
        path("you-said-we-did/feed/", YouSaidWeDidFeed(), name="you_said_we_did_feed"),
    ],
    "feedback",
)

staff_urlpatterns = (
    [
        path("", staff.inbox, name="inbox"),
        path("export.<str:file_format>", staff.export, name="export"),
        path("new/", staff.submit_on_behalf, name="submit"),
        path("<uuid:pk>/", staff.case, name="case"),
        path("<uuid:pk>/triage/", staff.triage, name="triage"),
        path("<uuid:pk>/assign/", staff.assign, name="assign"),
        path("<uuid:pk>/status/", staff.change_status, name="status"),
        path("<uuid:pk>/actions/", staff.add_action, name="add_action"),
        path(
            "<uuid:pk>/actions/<uuid:action_pk>/done/",
            staff.complete_action,
            name="complete_action",
        ),
        path("<uuid:pk>/contact/", staff.contact, name="contact"),
        path("<uuid:pk>/reply/", staff.reply, name="reply"),
        path("<uuid:pk>/you-said-we-did/", staff.you_said_we_did_new, name="you_said_we_did_new"),
        path("you-said-we-did/", staff.you_said_we_did_list, name="you_said_we_did_list"),
        path(
            "you-said-we-did/<uuid:pk>/",
            staff.you_said_we_did_review,
            name="you_said_we_did_review",
        ),
    ],
    "feedback_staff",
)
