"""The delivery plan in Chromium: a steering group member creates a plan with the four
workstreams, adds an action, records progress, overrides a RAG rating with a reason and opens
the board view (with and without JavaScript); axe on every page."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pcref.core.models import AuditEntry, User
from pcref.demo import load_everything
from pcref.governance.models import DeliveryAction, DeliveryPlan, ProgressUpdate

pytestmark = pytest.mark.django_db(transaction=True)

WORKSTREAMS = [
    "Workforce and cultural awareness",
    "Partnership working",
    "Coproduction and lived experience",
    "Improving data quality and insight",
]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_plan_is_created_run_and_shown_to_the_board(
    live_server, new_page, check_page, javascript
):
    load_everything(insights=False)
    steering = User.objects.get(username="steering")
    page = new_page(javascript=javascript, base_url=live_server.url, user=steering)
    page.goto("/staff/")
    page.get_by_role("link", name="Delivery plans").first.click()
    check_page(page)
    page.get_by_role("link", name="Create a plan").click()
    check_page(page)
    page.locator("input[name=year]").fill("2026-27")  # not a financial year: an error, axe-clean
    page.get_by_role("button", name="Create plan").click()
    check_page(page)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "Enter the year as a financial year, like 2025/26"
    )
    assert not DeliveryPlan.objects.filter(year="2026/27").exists()
    page.locator("input[name=year]").fill("2026/27")
    page.locator("input[name=approved_by]").fill("Transformation and Quality Improvement Committee")
    page.locator("input[name=approved_on]").fill("2026-04-14")
    page.get_by_role("button", name="Create plan").click()
    check_page(page)
    plan = DeliveryPlan.objects.get(year="2026/27")
    assert [w.name for w in plan.workstreams.all()] == WORKSTREAMS  # the four, by default
    for name in WORKSTREAMS:
        expect(page.get_by_role("heading", name=name)).to_be_visible()
    page.get_by_role("link", name="Add an action to Partnership working").click()
    check_page(page)
    page.get_by_role("button", name="Add action").click()  # nothing filled in
    check_page(page)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter a title")
    page.locator("input[name=title]").fill("Joint listening events with Jamila's Legacy")
    page.locator("select[name=lead_organisation]").select_option(label="Jamila's Legacy")
    page.locator("input[name=component][value=feedback]").check()
    page.locator("select[name=competency]").select_option("partnership_working")
    page.locator("input[name=due_on]").fill("2027-02-26")
    page.locator("input[name=status][value=on_track]").check()
    page.get_by_role("button", name="Add action").click()
    check_page(page)
    action = DeliveryAction.objects.get(workstream__plan=plan)
    assert action.workstream.name == "Partnership working" and action.owner == steering
    page.get_by_role("link", name="Add a progress update").click()
    check_page(page)
    page.locator("textarea[name=text]").fill("First event held in Highfields; 34 people came.")
    page.locator("input[name=evidence_link]").fill("https://example.org/event-notes")
    page.get_by_role("button", name="Add update").click()
    check_page(page)
    expect(page.locator("main")).to_contain_text("First event held in Highfields")
    update = ProgressUpdate.objects.get(action=action)
    assert update.recorded_on == timezone.localdate() and update.written_by == steering
    page.get_by_role("link", name="Override the RAG rating").click()
    check_page(page)
    page.locator("input[name=rag][value=amber]").check()
    page.get_by_role("button", name="Save rating").click()  # no reason: refused
    check_page(page)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "Give a reason for overriding the RAG rating"
    )
    page.locator("textarea[name=reason]").fill("The venue for the second event fell through.")
    page.get_by_role("button", name="Save rating").click()
    check_page(page)
    expect(page.locator("main")).to_contain_text("Amber: at risk")
    expect(page.locator("main")).to_contain_text("computed: Green: on track")
    assert AuditEntry.objects.filter(action="governance.rag_overridden", actor=steering).exists()
    page.get_by_role("link", name="Back to the plan").click()
    page.get_by_role("link", name="Board view (printable)").click()
    check_page(page)
    at_risk = page.get_by_role("table", name="Actions rated amber or red that are not yet overdue")
    expect(at_risk).to_contain_text("Joint listening events with Jamila's Legacy")
    expect(page.get_by_role("table", name="RAG ratings by workstream")).to_contain_text(
        "Partnership working"
    )
    page.emulate_media(media="print")
    expect(page.locator("header.nhsuk-header")).to_be_hidden()  # print CSS
    expect(page.get_by_role("heading", name="Overdue actions")).to_be_visible()


def test_the_board_reads_the_demo_plan_and_cannot_change_it(live_server, new_page, check_page):
    load_everything(insights=False)
    board = User.objects.get(username="board")
    page = new_page(base_url=live_server.url, user=board)
    page.goto("/staff/governance/")
    check_page(page)
    expect(page.get_by_role("link", name="Create a plan")).to_have_count(0)
    page.get_by_role("link", name="PCREF and Culture of Care delivery plan").click()
    check_page(page)
    expect(page.get_by_role("link", name="Add an action to Partnership working")).to_have_count(0)
    page.get_by_role("link", name="Board view (printable)").click()
    check_page(page)
    overdue = page.get_by_role("table", name="Actions past their due date and not complete")
    expect(overdue.locator("tbody tr")).to_have_count(2)
    page.get_by_role("link", name="A race equality objective in every director's appraisal").click()
    check_page(page)
    expect(page.locator("main")).to_contain_text("The last two directors meet the chief executive")
    expect(page.get_by_role("link", name="Add a progress update")).to_have_count(0)


def test_the_public_plan_page_in_english_and_urdu_without_javascript(
    live_server, new_page, check_page
):
    """The demo plan, published by the demo: unpublished by the steering group's button, it
    leaves the public page; published again, it is back. axe on /our-plan/ and /ur/our-plan/."""
    load_everything(insights=False)
    steering = User.objects.get(username="steering")
    plan = DeliveryPlan.objects.get(year="2025/26")
    public = new_page(javascript=False, base_url=live_server.url)
    public.goto("/about-pcref/")
    public.get_by_role("link", name="Read our plan and how it is going").click()
    check_page(public)
    expect(public.get_by_role("heading", name="Partnership working")).to_be_visible()
    expect(public.locator("main")).to_contain_text("Behind")
    expect(public.locator("main")).not_to_contain_text("Grace")
    public.goto("/ur/our-plan/")
    check_page(public)
    staff = new_page(javascript=False, base_url=live_server.url, user=steering)
    staff.goto(f"/staff/governance/plans/{plan.pk}/")
    staff.get_by_role("button", name="Unpublish").click()
    check_page(staff)
    expect(staff.locator("main")).to_contain_text("Not published on the public website")
    public.goto("/our-plan/")
    check_page(public)
    expect(public.locator("main")).to_contain_text("will be published here")
    staff.get_by_role("button", name="Publish").click()
    assert AuditEntry.objects.filter(action="governance.plan_published").count() == 2
    public.goto("/our-plan/")
    expect(public.get_by_role("heading", name="Partnership working")).to_be_visible()


def test_milestones_measures_and_evidence_reach_the_board_without_javascript(
    live_server, new_page, check_page, settings
):
    """On a demo action: a milestone (one due after the action first, refused), a measure (none
    chosen first, refused), and an update with a file, a feedback reference and a "You said, we
    did" entry; the board view shows the milestone and the measure in words. axe on every page."""
    from pcref.feedback.models import FeedbackSubmission, YouSaidWeDidEntry
    from pcref.governance.models import ActionMeasure, EvidenceFile, Milestone

    load_everything(insights=False)
    steering = User.objects.get(username="steering")
    plan = DeliveryPlan.objects.get(year="2025/26")
    action = DeliveryAction.objects.get(title="Disparity measures to the board every quarter")
    page = new_page(javascript=False, base_url=live_server.url, user=steering)
    page.goto(f"/staff/governance/plans/{plan.pk}/")
    page.get_by_role("link", name=action.title).first.click()
    check_page(page)

    page.get_by_role("link", name="Add a milestone").click()
    check_page(page)
    late = action.due_on + timezone.timedelta(days=1)
    page.locator("input[name=title]").fill("Second quarterly report to the board")
    page.locator("input[name=due_on]").fill(late.isoformat())
    page.get_by_role("button", name="Add milestone").click()
    check_page(page)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("after the action's own due date")
    assert not Milestone.objects.filter(action=action).exists()
    page.locator("input[name=due_on]").fill(action.due_on.isoformat())
    page.get_by_role("button", name="Add milestone").click()
    check_page(page)
    expect(page.locator("#milestones ~ ul").first).to_contain_text(
        "Second quarterly report to the board"
    )
    page.get_by_role("link", name="Mark done").click()  # the one milestone not done
    check_page(page)
    page.locator("input[name=done_on]").fill("")
    page.get_by_role("button", name="Mark done").click()  # no date: refused
    check_page(page)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "Enter the date the milestone was done"
    )
    assert Milestone.objects.get(action=action).done_on is None
    page.get_by_role("link", name="Back").click()

    page.get_by_role("link", name="Link a measure").click()
    check_page(page)
    page.get_by_role("button", name="Link measure").click()  # nothing chosen
    check_page(page)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Choose a metric")
    page.locator("select[name=metric_id]").select_option("MHA3")
    page.locator("select[name=group]").select_option("Black")
    page.locator("input[name=statistic][value=ratio]").check()
    page.locator("input[name=target]").fill("1.5")
    page.locator("input[name=direction][value=down]").check()
    page.get_by_role("button", name="Link measure").click()
    check_page(page)
    assert ActionMeasure.objects.filter(action=action, metric_id="MHA3", group="Black").exists()
    expect(page.get_by_role("link", name="Section 136 uses")).to_have_attribute(
        "href", "/staff/insights/metrics/MHA3/"
    )

    feedback = FeedbackSubmission.objects.filter(organisation=plan.organisation).first()
    entry = YouSaidWeDidEntry.objects.filter(organisation=plan.organisation).first()
    page.get_by_role("link", name="Add a progress update").click()
    check_page(page)
    page.locator("textarea[name=text]").fill("Second report drafted with the analysts.")
    page.locator("input[name=file]").set_input_files(
        files=[{"name": "report-notes.txt", "mimeType": "text/plain", "buffer": b"Notes\n"}]
    )
    page.locator("textarea[name=feedback_references]").fill("FB-AAAA-BBBB")  # not ours
    page.locator(f"input[name=you_said_we_did][value='{entry.pk}']").check()
    page.get_by_role("button", name="Add update").click()
    check_page(page)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("FB-AAAA-BBBB")
    assert not EvidenceFile.objects.filter(update__action=action).exists()
    page.locator("input[name=file]").set_input_files(
        files=[{"name": "report-notes.txt", "mimeType": "text/plain", "buffer": b"Notes\n"}]
    )
    page.locator("textarea[name=feedback_references]").fill(feedback.reference)
    page.get_by_role("button", name="Add update").click()
    check_page(page)
    stored = EvidenceFile.objects.get(update__action=action)
    link = page.get_by_role("link", name="report-notes.txt", exact=True)
    expect(link).to_have_attribute("href", f"/staff/governance/evidence/{stored.pk}/")
    remove = page.get_by_role("link", name="Remove report-notes.txt")
    expect(remove).to_have_attribute("href", f"/staff/governance/evidence/{stored.pk}/remove/")
    assert page.request.get(link.get_attribute("href")).body() == b"Notes\n"
    # Named, not linked: the steering member may not open feedback cases.
    expect(page.locator("p", has_text=f"Feedback: {feedback.reference}")).to_be_visible()
    expect(page.get_by_role("link", name=feedback.reference)).to_have_count(0)
    update = ProgressUpdate.objects.get(action=action, text__startswith="Second report")
    assert list(update.you_said_we_did.all()) == [entry]

    page.goto(f"/staff/governance/plans/{plan.pk}/board/")
    check_page(page)
    heading = page.locator("h3", has=page.get_by_role("link", name=action.title))
    section = heading.locator("xpath=following-sibling::ul[1]")
    expect(section).to_contain_text("Next: Second quarterly report to the board")
    expect(section).to_contain_text("Section 136 uses")
    expect(section).to_contain_text("No figure yet")  # the demo without insights has no run
    expect(page.locator("main")).to_contain_text("1 overdue milestone: Half of the wards")
