"""The delivery plan in the reports, made by the real worker and read back from the PDF with
pypdfium2: the board report shows the plan of its financial year (roll-ups by workstream and
component with RAG counts, overdue and at-risk actions, the decisions of the year); the public
report shows only a published plan, in words, never an owner or an override's reason."""

import datetime as dt
import html
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from django.urls import reverse
from django.utils import timezone

from pcref.core import services as core_services
from pcref.core.roles import Role
from pcref.governance import board_summary
from pcref.governance import services as governance
from pcref.governance.models import Decision, GovernanceGroup, Meeting
from pcref.insights import publication
from pcref.insights.models import Report

pytestmark = pytest.mark.django_db(transaction=True)

PERIOD = "2025/26"
WORKSTREAMS = (
    "Workforce and cultural awareness",
    "Partnership working",
    "Coproduction and lived experience",
    "Improving data quality and insight",
)
OVERRIDE_REASON = "Interpreter contract delayed by procurement"
DECISION = "Agreed to fund two community listening events in Highfields"
OLD_DECISION = "Agreed the terms of reference of the steering group"


def pdf_text(path) -> str:
    document = pdfium.PdfDocument(str(path))
    text = " ".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    return re.sub(r"\s+", " ", text.replace("\ufffe", "-"))


def make_report(client, run, run_worker, kind) -> Report:
    response = client.post(
        reverse("insights_staff:report_new"), {"kind": kind, "run": str(run.pk), "period": PERIOD}
    )
    assert response.status_code == 302
    run_worker()
    report = Report.objects.filter(kind=kind).order_by("-created_at").first()
    assert report.status == "done", report.failure
    return report


def section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


@pytest.fixture
def owner(trust, make_staff):
    return make_staff(trust, Role.STEERING_GROUP_MEMBER, username="adeyemi")


@pytest.fixture
def plan_with_every_rag(trust, owner):
    """A 2025/26 plan with an action of each rating: blue (complete), green (on track), amber
    (set by hand with a reason) and red (overdue), in three of the four workstreams."""
    plan = governance.create_plan(
        {
            "title": "PCREF delivery plan",
            "year": PERIOD,
            "approved_by": "Transformation and Quality Improvement Committee",
            "approved_on": dt.date(2025, 4, 15),
        },
        WORKSTREAMS,
        organisation=trust,
        by=owner,
    )
    workstreams = list(plan.workstreams.all())
    today = timezone.localdate()

    def add(workstream, title, component, due_on, status):
        return governance.add_action(
            plan,
            {
                "workstream": workstreams[workstream],
                "title": title,
                "description": "",
                "owner": owner,
                "lead_organisation": trust,
                "component": component,
                "competency": "cultural_awareness",
                "due_on": due_on,
                "status": status,
            },
            by=owner,
        )

    add(0, "Cultural awareness training for ward staff", "leadership_governance",
        today + dt.timedelta(days=30), "complete")  # fmt: skip
    add(0, "Race equality objectives for every director", "leadership_governance",
        today + dt.timedelta(days=90), "on_track")  # fmt: skip
    amber = add(1, "Interpreters booked for every first appointment", "feedback",
                today + dt.timedelta(days=60), "on_track")  # fmt: skip
    governance.override_rag(amber, "amber", OVERRIDE_REASON, by=owner)
    red = add(3, "Ethnicity recorded for 95% of admissions", "data",
              today - dt.timedelta(days=10), "on_track")  # fmt: skip
    group = GovernanceGroup.objects.create(
        organisation=trust,
        plan=plan,
        name="PCREF steering group",
        kind=GovernanceGroup.Kind.STEERING_GROUP,
        created_by=owner,
    )
    in_year = Meeting.objects.create(
        group=group, held_on=dt.date(2025, 11, 12), agenda="Progress", created_by=owner
    )
    Decision.objects.create(meeting=in_year, text=DECISION, action=red, created_by=owner)
    before = Meeting.objects.create(
        group=group, held_on=dt.date(2025, 2, 5), agenda="Set-up", created_by=owner
    )
    Decision.objects.create(meeting=before, text=OLD_DECISION, created_by=owner)
    return plan


def test_the_board_report_shows_the_plan_of_its_year(
    analyst, signed_in, finished_run, run_worker, plan_with_every_rag
):
    report = make_report(signed_in(analyst), finished_run, run_worker, "board")
    text = pdf_text(report.pdf_path)
    plan = section(text, "5. Delivery plan progress", "6. Methods")
    assert "PCREF delivery plan 2025/26 of Test Partnership NHS Trust." in plan
    assert "Approved by Transformation and Quality Improvement Committee on 15 April 2025" in plan
    assert "4 actions" in plan
    assert "The plan is not published on the public website." in plan

    # RAG roll-ups: columns red, amber, green, blue, then the total.
    by_workstream = section(plan, "RAG ratings by workstream", "RAG ratings by PCREF component")
    for header in ("Red: off track", "Amber: at risk", "Green: on track", "Blue: complete"):
        assert header in by_workstream
    assert "Workforce and cultural awareness 0 0 1 1 2" in by_workstream
    assert "Partnership working 0 1 0 0 1" in by_workstream
    assert "Coproduction and lived experience 0 0 0 0 0" in by_workstream
    assert "Improving data quality and insight 1 0 0 0 1" in by_workstream
    assert "All actions 1 1 1 1 4" in by_workstream
    by_component = section(plan, "RAG ratings by PCREF component", "Overdue actions")
    assert "Leadership and governance 0 0 1 1 2" in by_component
    assert "Data 1 0 0 0 1" in by_component
    assert "Patient and carer feedback 0 1 0 0 1" in by_component

    overdue = section(plan, "Overdue actions", "Actions at risk")
    assert "Ethnicity recorded for 95% of admissions" in overdue
    assert "Test Adeyemi" in overdue and "Red: off track" in overdue
    assert "Interpreters booked" not in overdue
    at_risk = section(plan, "Actions at risk", "Decisions made in 2025/26")
    assert "Interpreters booked for every first appointment" in at_risk
    assert "Amber: at risk (set by hand)" in at_risk
    assert "Ethnicity recorded" not in at_risk

    decisions = plan[plan.index("Decisions made in 2025/26") :]
    assert DECISION in decisions and "PCREF steering group · 12 November 2025" in decisions
    assert "Plan action: Ethnicity recorded for 95% of admissions" in decisions
    assert OLD_DECISION not in text  # held before the report's financial year


def test_without_a_plan_the_board_report_says_so(
    analyst, signed_in, finished_run, run_worker, trust, owner
):
    governance.create_plan(
        {"title": "PCREF delivery plan", "year": "2026/27"}, WORKSTREAMS, organisation=trust,
        by=owner,
    )  # fmt: skip
    report = make_report(signed_in(analyst), finished_run, run_worker, "board")
    plan = section(pdf_text(report.pdf_path), "5. Delivery plan progress", "6. Methods")
    assert "There is no PCREF delivery plan for 2025/26 yet." in plan
    assert "RAG ratings by workstream" not in plan


def public_body(report) -> str:
    body = (Path(report.html_path).parent / "body.html").read_text(encoding="utf-8")
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def test_the_public_report_shows_only_a_published_plan_without_names(
    analyst, signed_in, finished_run, run_worker, plan_with_every_rag, owner
):
    client = signed_in(analyst)
    publication.publish(finished_run, by=analyst)

    unpublished = make_report(client, finished_run, run_worker, "public")
    words = public_body(unpublished)
    assert "We have not yet published our plan for 2025/26" in words
    assert "Interpreters booked" not in words and "Workforce and cultural awareness" not in words

    governance.publish_plan(plan_with_every_rag, by=owner)
    report = make_report(client, finished_run, run_worker, "public")
    assert report.version == 2
    words = public_body(report)
    plan = words[words.index("What we are doing next") : words.index("About the figures")]
    assert "PCREF delivery plan for 2025/26 stands: 4 actions: 1 done, 1 on track, 1 at risk, " \
        "1 behind" in plan  # fmt: skip
    for name in WORKSTREAMS:
        assert name in plan
    assert "Interpreters booked for every first appointment: At risk" in plan
    assert "Ethnicity recorded for 95% of admissions: Behind" in plan
    assert "Cultural awareness training for ward staff: Done" in plan
    assert "led by Test Partnership NHS Trust" in plan
    pdf = pdf_text(report.pdf_path)
    assert "Interpreters booked for every first appointment: At risk" in pdf
    for private in (OVERRIDE_REASON, "Adeyemi", owner.username, DECISION, "Amber", "Red"):
        assert private not in words, private
        assert private not in pdf, private


def test_a_trust_in_the_programme_reports_on_the_shared_plan(
    trust, other_trust, plan_with_every_rag
):
    start, end = dt.date(2025, 4, 1), dt.date(2026, 3, 31)
    assert board_summary.board_plan(other_trust, PERIOD, start, end) is None
    programme = core_services.create_programme(
        "Together Against Racism", "", [trust, other_trust], by="demo"
    )
    plan_with_every_rag.programme = programme
    plan_with_every_rag.save()
    shared = board_summary.board_plan(other_trust, PERIOD, start, end)
    assert shared.title == "PCREF delivery plan" and shared.programme == programme.name
    assert shared.total["total"] == 4
    # the plan's own steering group decided it, so the partner trust's board sees it too
    assert [d["text"] for d in shared.decisions] == [DECISION]
    assert board_summary.public_plan(other_trust, PERIOD) is None  # published by its owner only


def test_a_report_of_a_later_year_shows_the_latest_plan_still_running(
    trust, other_trust, plan_with_every_rag
):
    assert board_summary.plan_for_year(trust, "2026/27") == plan_with_every_rag
    assert board_summary.plan_for_year(trust, "2024/25") is None
    assert board_summary.plan_for_year(other_trust, "2026/27") is None
