"""axe (WCAG 2.2 AA) on every page of the demo: public pages in every language, staff pages
as every role, and the sign-in journey."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from pcref.core.models import Organisation, ServiceTeam, User
from pcref.demo import load_everything
from pcref.feedback.models import FeedbackSubmission
from pcref.governance.models import DeliveryAction, DeliveryPlan, EvidenceFile, Milestone
from pcref.insights.models import MetricRun, Report
from pcref.involvement.models import (
    EngagementEvent,
    InvolvementOpportunity,
    InvolvementRegistration,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_public_pages_pass_axe_in_every_language(
    live_server, new_page, check_page, public_page_names
):
    """Every language in one test: loading the demo is most of a language's time. A failure
    names the page's address, which starts with its language."""
    load_everything()
    page = new_page(base_url=live_server.url)
    for language, _name in settings.LANGUAGES:
        for name in public_page_names:
            with translation.override(language):
                url = reverse(name)
            response = page.goto(url)
            assert response.status == 200, url
            check_page(page)
        page.goto("/no-such-page/" if language == "en" else f"/{language}/no-such-page/")
        check_page(page)


# Every role, in two halves of about equal time (measured: admin 39 s, steering 33, board 23,
# analyst 22, pxo 21, partner 13): the demo (with its metric run and reports) is loaded once a
# half, not once a role, and the two halves can run on two workers at once.
ROLES = [("admin", "board", "partner"), ("steering", "analyst", "pxo")]


@pytest.mark.parametrize("roles", ROLES, ids="-".join)
def test_staff_pages_pass_axe_for_every_role(live_server, new_page, check_page, staff_urls, roles):
    """A failure names the role and the page."""
    load_everything()
    trust = Organisation.objects.get(ods_code="RT5")
    team = ServiceTeam.objects.filter(organisation=trust).first()
    submission = FeedbackSubmission.objects.filter(organisation=trust).first()
    feedback_pages = [
        reverse("feedback_staff:inbox"),
        reverse("feedback_staff:submit"),
        reverse("feedback_staff:case", args=[submission.pk]),
        reverse("feedback_staff:contact", args=[submission.pk]),
        reverse("feedback_staff:reply", args=[submission.pk]),
        reverse("feedback_staff:you_said_we_did_new", args=[submission.pk]),
        reverse("feedback_staff:you_said_we_did_list"),
    ]
    run = MetricRun.objects.get(organisation=trust)
    report = Report.objects.filter(organisation=trust).first()
    insights_pages = [
        reverse("insights_staff:dashboard"),
        reverse("insights_staff:metric", args=["MHA1.people"]),
        reverse("insights_staff:quality"),
        reverse("insights_staff:experience"),
        reverse("insights_staff:history"),
        reverse("insights_staff:run", args=[run.pk]),
        reverse("insights_staff:reports"),
        reverse("insights_staff:report_new"),
        reverse("insights_staff:report_detail", args=[report.pk]),
    ]
    person = InvolvementRegistration.objects.filter(organisation=trust).first()
    opportunity = InvolvementOpportunity.objects.filter(organisation=trust).first()
    involvement_pages = [
        reverse("involvement_staff:register"),
        reverse("involvement_staff:person", args=[person.pk]),
        reverse("involvement_staff:contact", args=[person.pk]),
        reverse("involvement_staff:withdraw", args=[person.pk]),
        reverse("involvement_staff:opportunities"),
        reverse("involvement_staff:opportunity_new"),
        reverse("involvement_staff:opportunity", args=[opportunity.pk]),
        reverse("involvement_staff:partners"),
        reverse(
            "involvement_staff:partner",
            args=[Organisation.objects.get(name="African Heritage Alliance").pk],
        ),
    ]
    event = EngagementEvent.objects.filter(organisation=trust).first()
    involvement_pages += [
        reverse("involvement_staff:events"),
        reverse("involvement_staff:event_new"),
        reverse("involvement_staff:event", args=[event.pk]),
        reverse("involvement_staff:event_edit", args=[event.pk]),
        reverse("involvement_staff:payments"),
        reverse("involvement_staff:payment_new"),
        reverse("involvement_staff:rates"),
    ]
    plan = DeliveryPlan.objects.get(organisation=trust)
    action = DeliveryAction.objects.filter(workstream__plan=plan).exclude(rag_override="").first()
    governance_pages = [
        reverse("governance_staff:plans"),
        reverse("governance_staff:plan_new"),
        reverse("governance_staff:plan", args=[plan.pk]),
        reverse("governance_staff:board", args=[plan.pk]),
        reverse("governance_staff:action_new", args=[plan.pk]),
        reverse("governance_staff:action", args=[action.pk]),
        reverse("governance_staff:action_edit", args=[action.pk]),
        reverse("governance_staff:progress_new", args=[action.pk]),
        reverse(
            "governance_staff:evidence_file_remove",
            args=[EvidenceFile.objects.filter(update__action__workstream__plan=plan).first().pk],
        ),
        reverse("governance_staff:rag_override", args=[action.pk]),
        reverse("governance_staff:milestone_new", args=[action.pk]),
        reverse("governance_staff:measure_new", args=[action.pk]),
        reverse(
            "governance_staff:milestone_done",
            args=[Milestone.objects.filter(action__workstream__plan=plan, done_on=None)[0].pk],
        ),
        reverse("governance_staff:evidence_pack"),
    ]
    from pcref.governance import meetings
    from pcref.governance.models import GovernanceGroup, LogItem, MeetingPaper

    steering_group = GovernanceGroup.objects.get(organisation=trust, name="PCREF steering group")
    group_meeting = steering_group.meetings.exclude(decisions=None).first()
    # every demo meeting has something recorded: one set up by mistake, to ask about removing
    mistake = meetings.create_meeting(
        steering_group,
        {"held_on": timezone.localdate() + timedelta(days=400), "agenda": "1. Welcome"},
        by=User.objects.get(username="steering"),
    )
    log_item = LogItem.objects.filter(meeting__group=steering_group, done_on=None).first()
    governance_pages += [
        reverse("governance_staff:groups"),
        reverse("governance_staff:group_new"),
        reverse("governance_staff:group", args=[steering_group.pk]),
        reverse("governance_staff:member_new", args=[steering_group.pk]),
        reverse("governance_staff:member_edit", args=[steering_group.members.first().pk]),
        reverse("governance_staff:meeting_new", args=[steering_group.pk]),
        reverse("governance_staff:meeting", args=[group_meeting.pk]),
        reverse("governance_staff:meeting_edit", args=[group_meeting.pk]),
        reverse("governance_staff:meeting_remove", args=[group_meeting.pk]),  # it stays
        reverse("governance_staff:meeting_remove", args=[mistake.pk]),  # asks first
        reverse("governance_staff:paper_new", args=[group_meeting.pk]),
        reverse(
            "governance_staff:paper_remove",
            args=[MeetingPaper.objects.filter(meeting__group=steering_group).first().pk],
        ),
        reverse("governance_staff:attendance", args=[group_meeting.pk]),
        reverse("governance_staff:minutes", args=[group_meeting.pk]),
        reverse("governance_staff:decision_new", args=[group_meeting.pk]),
        reverse("governance_staff:log_item_new", args=[group_meeting.pk]),
        reverse("governance_staff:log_item_done", args=[log_item.pk]),
    ]
    for username in roles:
        user = User.objects.get(username=username)
        page = new_page(base_url=live_server.url, user=user)
        pages = [
            *staff_urls(trust, team, user),
            *feedback_pages,
            *insights_pages,
            *involvement_pages,
            *governance_pages,
        ]
        refusals = set()  # a 403 or 404 is one template, whichever page refused: checked once
        for url in pages:
            response = page.goto(url)
            assert response.status in (200, 403, 404), f"as {username}, {url}: {response.status}"
            if response.status in refusals:
                continue
            try:
                check_page(page)
            except AssertionError as error:
                raise AssertionError(f"as {username}: {error}") from error
            if response.status != 200:
                refusals.add(response.status)
        page.context.close()  # one browser context at a time


def test_sign_in_pages_pass_axe_with_errors_shown(live_server, new_page, check_page):
    load_everything(insights=False)  # the staff, not the figures
    page = new_page(base_url=live_server.url)
    page.goto(reverse("core_staff:sign_in"))
    check_page(page)
    page.get_by_role("button", name="Continue").click()
    check_page(page)  # the error summary and field errors
    assert page.title().startswith("Error:")
    # Focus moves to the error summary (NHS.UK frontend enhancement).
    assert page.evaluate("document.activeElement.classList.contains('nhsuk-error-summary')")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("pcref-demo-2026")
    page.get_by_role("button", name="Continue").click()
    check_page(page)
    page.get_by_role("button", name="Sign in").click()
    check_page(page)  # the verify page with its error
