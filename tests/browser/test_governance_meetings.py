"""Groups and meetings in Chromium: a steering group member creates a steering group linked to
the demo plan, adds a lived experience co-chair and a secretary, holds a meeting (agenda, paper,
attendance, minutes), records a decision that becomes a plan action (refused first without a due
date), adds an overdue item to the action log, and finds the action on the plan page and the
decision on the board view; with and without JavaScript, axe on every page."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pcref.core.models import AuditEntry, User
from pcref.demo import load_everything
from pcref.governance.models import Decision, DeliveryAction, GovernanceGroup, GroupMember, Meeting

pytestmark = pytest.mark.django_db(transaction=True)

DECISION = "An annual report on race equality goes to the trust board each June."
ACTION = "Annual race equality report to the trust board"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_meeting_decision_becomes_a_plan_action_and_reaches_the_board(
    live_server, new_page, check_page, javascript
):
    load_everything(insights=False)
    steering = User.objects.get(username="steering")
    today = timezone.localdate()
    page = new_page(javascript=javascript, base_url=live_server.url, user=steering)
    page.goto("/staff/")
    page.get_by_role("link", name="Groups and meetings").first.click()
    check_page(page)
    expect(page.get_by_role("link", name="PCREF steering group")).to_be_visible()  # the demo's
    page.get_by_role("link", name="Create a group").click()
    check_page(page)
    page.get_by_role("button", name="Create group").click()  # nothing filled in
    check_page(page)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter the name of the group")
    page.locator("input[name=name]").fill("Race equality steering group")
    page.locator("input[name=kind][value=steering_group]").check()
    page.locator("select[name=plan]").select_option(
        label="PCREF and Culture of Care delivery plan (2025/26)"
    )
    page.get_by_role("button", name="Create group").click()
    check_page(page)
    group = GovernanceGroup.objects.get(name="Race equality steering group")
    expect(page.locator("main")).to_contain_text("No lived experience partner chairs")

    page.get_by_role("link", name="Add a member").click()
    check_page(page)
    page.locator("input[name=name]").fill("Ade Johnson")
    page.locator("input[name=role][value=co_chair]").check()
    page.locator("input[name=represents][value=patient]").check()
    page.get_by_label("A lived experience partner").check()
    page.locator("input[name=joined_on]").fill("2026-01-05")
    page.get_by_role("button", name="Add member").click()
    check_page(page)
    expect(page.locator("main")).to_contain_text(
        "This steering group is co-chaired by a lived experience partner."
    )
    expect(page.locator("main")).to_contain_text("Ade Johnson (co-chair, lived experience partner)")
    page.get_by_role("link", name="Add a member").click()
    page.locator("input[name=name]").fill("Grace Mensah")
    page.locator("input[name=role][value=secretary]").check()
    page.locator("input[name=represents][value=trust]").check()
    page.locator("select[name=user]").select_option(label="Grace Mensah")
    page.locator("input[name=joined_on]").fill("2026-01-05")
    page.get_by_role("button", name="Add member").click()
    check_page(page)
    assert GroupMember.objects.filter(group=group).count() == 2

    page.get_by_role("link", name="Add a meeting").click()
    check_page(page)
    page.locator("input[name=held_on]").fill(today.isoformat())
    page.locator("textarea[name=agenda]").fill("1. Welcome\n2. The annual report")
    page.get_by_role("button", name="Add meeting").click()
    check_page(page)
    meeting = Meeting.objects.get(group=group)
    expect(page.locator("main")).to_contain_text("2. The annual report")

    page.get_by_role("link", name="Add a paper").click()
    check_page(page)
    page.locator("input[name=title]").fill("Draft annual report")
    page.locator("input[name=file]").set_input_files(
        {"name": "draft.txt", "mimeType": "text/plain", "buffer": b"Draft report"}
    )
    page.get_by_role("button", name="Add paper").click()
    check_page(page)
    expect(page.get_by_role("link", name="Draft annual report (download)")).to_be_visible()
    expect(page.get_by_role("link", name="Remove Draft annual report")).to_be_visible()

    page.get_by_role("link", name="Record attendance").click()
    check_page(page)
    for member in GroupMember.objects.filter(group=group):
        page.locator(f"input[name=member_{member.pk.hex}][value=present]").check()
    page.get_by_role("button", name="Save attendance").click()
    check_page(page)
    assert meeting.attendance.filter(status="present").count() == 2

    page.get_by_role("link", name="Add the minutes").click()
    check_page(page)
    page.locator("textarea[name=minutes]").fill("The group agreed to report to the board.")
    page.locator("input[name=minutes_approved_on]").fill(today.isoformat())
    page.get_by_role("button", name="Save minutes").click()
    check_page(page)
    expect(page.locator("main")).to_contain_text("The group agreed to report to the board.")

    page.get_by_role("link", name="Record a decision").click()
    check_page(page)
    page.locator("textarea[name=text]").fill(DECISION)
    page.get_by_label("This decision creates an action in the delivery plan").check()
    page.locator("input[name=title]").fill(ACTION)
    page.locator("select[name=workstream]").select_option(label="Partnership working")
    page.locator("input[name=component][value=leadership_governance]").check()
    page.locator("select[name=competency]").select_option("partnership_working")
    page.get_by_role("button", name="Record decision").click()  # no due date: neither saved
    check_page(page)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter the due date")
    assert not Decision.objects.filter(meeting=meeting).exists()
    assert not DeliveryAction.objects.filter(title=ACTION).exists()
    page.locator("input[name=due_on]").fill("2027-06-30")
    page.get_by_role("button", name="Record decision").click()
    check_page(page)
    action = DeliveryAction.objects.get(title=ACTION)
    assert Decision.objects.get(meeting=meeting).action == action
    assert AuditEntry.objects.filter(action="governance.decision_recorded", actor=steering).exists()

    page.get_by_role("link", name="Add to the action log").click()
    check_page(page)
    page.locator("textarea[name=text]").fill("Book the board slot")
    page.locator("select[name=owner]").select_option(label="Grace Mensah")
    page.locator("input[name=due_on]").fill("2026-01-10")
    page.get_by_role("button", name="Add to the log").click()
    check_page(page)

    page.get_by_role("link", name="Back to Race equality steering group").click()
    check_page(page)
    log = page.get_by_role(
        "table", name="Open items agreed at the group's meetings, oldest due first"
    )
    expect(log).to_contain_text("Book the board slot")
    expect(log).to_contain_text("Overdue")
    expect(
        page.get_by_role("table", name="Plan actions created by the group's decisions")
    ).to_contain_text(ACTION)
    page.get_by_role("link", name="Mark as done (due 10 January 2026)").click()
    check_page(page)
    page.get_by_role("button", name="Mark as done").click()
    check_page(page)
    expect(page.locator("main")).to_contain_text("No open items in the action log.")
    page.get_by_role("link", name="Change Ade Johnson").click()
    check_page(page)
    expect(page.locator("input[name=name]")).to_have_value("Ade Johnson")
    page.get_by_role("link", name="Back").click()

    page.get_by_role("link", name="Meeting of").first.click()
    check_page(page)
    page.get_by_role("link", name=ACTION).click()
    check_page(page)
    page.get_by_role("link", name="Back to the plan").click()
    check_page(page)
    expect(page.get_by_role("link", name=ACTION)).to_be_visible()
    page.get_by_role("link", name="Board view (printable)").click()
    check_page(page)
    decisions = page.get_by_role(
        "table", name="Decisions of the groups linked to this plan, newest meeting first"
    )
    expect(decisions).to_contain_text(DECISION)
    expect(decisions).to_contain_text("Race equality steering group")
    expect(decisions.get_by_role("link", name=ACTION)).to_be_visible()


def test_the_board_reads_the_demo_groups_and_cannot_change_them(live_server, new_page, check_page):
    load_everything(insights=False)
    board = User.objects.get(username="board")
    page = new_page(base_url=live_server.url, user=board)
    page.goto("/staff/governance/")
    page.get_by_role("link", name="Steering group, working groups and their meetings").click()
    check_page(page)
    expect(page.get_by_role("link", name="Create a group")).to_have_count(0)
    expect(
        page.get_by_role("link", name="Together Against Racism: workforce pillar")
    ).to_be_visible()
    page.get_by_role("link", name="PCREF steering group").click()
    check_page(page)
    expect(page.locator("main")).to_contain_text(
        "This steering group is co-chaired by a lived experience partner."
    )
    expect(page.get_by_role("link", name="Add a member")).to_have_count(0)
    log = page.get_by_role(
        "table", name="Open items agreed at the group's meetings, oldest due first"
    )
    expect(log.locator("tbody tr")).to_have_count(2)
    expect(log.locator("tbody tr").first).to_contain_text("Overdue")
    expect(log.locator("tbody tr").last).not_to_contain_text("Overdue")
    meetings = page.locator("ul.nhsuk-list--border").get_by_role("link", name="Meeting of")
    expect(meetings).to_have_count(2)
    meetings.last.click()  # the older meeting
    check_page(page)
    expect(page.locator("main")).to_contain_text("Plan action created:")
    expect(page.locator("main")).to_contain_text("Done on")
    expect(page.get_by_role("link", name="Record a decision")).to_have_count(0)
    page.get_by_role("link", name="Back to PCREF steering group").click()
    meetings.first.click()  # the latest, with its paper
    check_page(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Terms of reference (revised)").click()
    assert download.value.suggested_filename == "terms-of-reference.txt"
    page.goto("/staff/governance/")
    page.get_by_role("link", name="PCREF and Culture of Care delivery plan").click()
    page.get_by_role("link", name="Board view (printable)").click()
    check_page(page)
    decisions = page.get_by_role(
        "table", name="Decisions of the groups linked to this plan, newest meeting first"
    )
    expect(decisions.locator("tbody tr")).to_have_count(3)
    expect(decisions).to_contain_text("The revised terms of reference are agreed.")
    expect(
        decisions.get_by_role("link", name="Ethnicity recording training for ward clerks")
    ).to_be_visible()
