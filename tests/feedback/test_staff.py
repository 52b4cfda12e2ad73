"""Staff handling of feedback: scoping, triage, case handling, replies, publishing, exports, retention."""

import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone

from pcref.core.models import AuditEntry
from pcref.core.roles import Role
from pcref.feedback import queries, services
from pcref.feedback.models import ContactDetails, FeedbackSubmission, Theme, YouSaidWeDidEntry

pytestmark = pytest.mark.django_db


def receive(trust, text="The ward was noisy.", **answers):
    return services.receive_feedback(
        {"respondent_type": "patient", "text": text, "wants_reply": False, **answers},
        organisation=trust,
        channel="online",
        interface_language="en",
    )


def audited(action, submission):
    return AuditEntry.objects.filter(action=action, target_id=str(submission.pk)).exists()


def test_a_partner_user_sees_only_what_their_organisation_submitted(
    trust, other_trust, partner_organisation, make_staff, signed_in
):
    partner = make_staff(partner_organisation, Role.PARTNER_USER)
    client = signed_in(partner)
    theirs = client.post(
        reverse("feedback_staff:submit"),
        {
            "channel": "listening_event",
            "group_size": "12",
            "respondent_type": "community",
            "text": "We felt unheard.",
            "website": "",
        },
    )
    assert theirs.status_code == 302
    ours = receive(trust)
    mine = FeedbackSubmission.objects.get(submitted_via=partner_organisation)
    assert (
        mine.channel == "listening_event" and mine.group_size == 12 and mine.submitted_by == partner
    )
    assert client.get(reverse("feedback_staff:case", args=[mine.pk])).status_code == 200
    assert client.get(reverse("feedback_staff:case", args=[ours.pk])).status_code == 404
    assert client.get(reverse("feedback_staff:contact", args=[mine.pk])).status_code == 403
    inbox = client.get(reverse("feedback_staff:inbox")).content.decode()
    assert mine.reference in inbox and ours.reference not in inbox


def test_another_trusts_officer_gets_404(trust, other_trust, make_staff, signed_in):
    submission = receive(trust)
    outsider = make_staff(other_trust, Role.PATIENT_EXPERIENCE_OFFICER)
    client = signed_in(outsider)
    for name in ("case", "contact", "reply", "you_said_we_did_new"):
        assert (
            client.get(reverse(f"feedback_staff:{name}", args=[submission.pk])).status_code == 404
        ), name


def test_staff_without_the_role_cannot_read_feedback(trust, make_staff, signed_in):
    submission = receive(trust)
    board = signed_in(make_staff(trust, Role.BOARD_VIEWER))
    assert board.get(reverse("feedback_staff:inbox")).status_code == 403
    assert board.get(reverse("feedback_staff:case", args=[submission.pk])).status_code == 403


def test_triage_confirms_suggestions_and_is_audited(trust, officer, signed_in):
    submission = receive(
        trust,
        text="I needed an interpreter and none came. I am Muslim and halal food was not offered.",
    )
    assert submission.theme_suggestions.exists(), (
        "the keyword fallback suggests themes with no training"
    )
    client = signed_in(officer)
    page = client.get(reverse("feedback_staff:case", args=[submission.pk])).content.decode()
    assert "Suggested by" in page
    themes = [t.key for t in Theme.objects.filter(group="pcref")[:2]]
    response = client.post(
        reverse("feedback_staff:triage", args=[submission.pk]),
        {
            "triage-themes": themes,
            "triage-sentiment": "negative",
            "triage-safeguarding": "on",
            "triage-version": submission.version,
        },
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.confirmed_theme_keys() == sorted(themes)
    assert (
        submission.safeguarding
        and submission.status == "acknowledged"
        and submission.acknowledged_at
    )
    entry = AuditEntry.objects.get(action="feedback.triage_confirmed")
    assert entry.context["safeguarding_route"]
    # A second officer working from the old page is refused, not silently overwritten.
    stale = client.post(
        reverse("feedback_staff:triage", args=[submission.pk]),
        {"triage-themes": themes[:1], "triage-sentiment": "positive", "triage-version": 1},
    )
    assert (
        stale.status_code == 400 and "Someone else changed this feedback" in stale.content.decode()
    )


def test_case_handling_from_received_to_closed_is_audited(trust, officer, ward, signed_in):
    submission = receive(trust)
    client = signed_in(officer)
    client.post(
        reverse("feedback_staff:assign", args=[submission.pk]),
        {
            "assign-assigned_team": str(ward.pk),
            "assign-owner": str(officer.pk),
            "assign-version": 1,
        },
    )
    submission.refresh_from_db()
    assert (
        submission.assigned_team == ward
        and submission.owner == officer
        and submission.status == "in_progress"
    )
    client.post(
        reverse("feedback_staff:add_action", args=[submission.pk]),
        {
            "action-description": "Talk to the ward manager",
            "action-owner": str(officer.pk),
            "action-due_date": "2026-12-31",
        },
    )
    action = submission.actions.get()
    client.post(reverse("feedback_staff:complete_action", args=[submission.pk, action.pk]))
    client.post(
        reverse("feedback_staff:status", args=[submission.pk]),
        {"status-status": "closed", "status-version": submission.version},
    )
    submission.refresh_from_db()
    assert submission.status == "closed" and submission.closed_at
    for action_name in (
        "feedback.assigned",
        "feedback.action_added",
        "feedback.action_done",
        "feedback.status_changed",
    ):
        assert audited(action_name, submission), action_name


def test_an_action_form_sent_twice_adds_one_action(trust, officer, signed_in):
    submission = receive(trust)
    client = signed_in(officer)
    page = client.get(reverse("feedback_staff:case", args=[submission.pk])).content.decode()
    key = re.search(r'name="action-once" value="([0-9a-f-]{36})"', page).group(1)
    action = {
        "action-once": key,
        "action-description": "Talk to the ward manager",
        "action-owner": str(officer.pk),
        "action-due_date": "2026-12-31",
    }
    url = reverse("feedback_staff:add_action", args=[submission.pk])
    assert client.post(url, action).status_code == 302
    again = client.post(url, action)
    assert again.status_code == 400
    assert "nothing was recorded a second time" in again.content.decode()
    assert submission.actions.count() == 1
    added = AuditEntry.objects.filter(action="feedback.action_added", target_id=str(submission.pk))
    assert added.count() == 1


def test_contact_details_are_on_their_own_page_and_each_look_is_audited(trust, officer, signed_in):
    submission = receive(
        trust, wants_reply=True, preferred_method="email", email="person@example.com", consent=True
    )
    client = signed_in(officer)
    case = client.get(reverse("feedback_staff:case", args=[submission.pk])).content.decode()
    assert "person@example.com" not in case
    contact = client.get(reverse("feedback_staff:contact", args=[submission.pk])).content.decode()
    assert "person@example.com" in contact
    assert (
        AuditEntry.objects.filter(action="feedback.contact_details_viewed", actor=officer).count()
        == 1
    )


def test_a_reply_is_emailed_and_recorded(trust, officer, signed_in, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    submission = receive(
        trust, wants_reply=True, preferred_method="email", email="person@example.com", consent=True
    )
    client = signed_in(officer)
    url = reverse("feedback_staff:reply", args=[submission.pk])
    key = re.search(r'name="once" value="([0-9a-f-]{36})"', client.get(url).content.decode())
    reply = {"once": key.group(1), "body": "Thank you. We have spoken to the ward."}
    response = client.post(url, reply)
    assert response.status_code == 302
    assert (
        mail.outbox[0].to == ["person@example.com"]
        and submission.reference in mail.outbox[0].subject
    )
    # Sent twice (a double click): the person gets one email.
    assert client.post(url, reply).status_code == 400 and len(mail.outbox) == 1
    submission.refresh_from_db()
    assert submission.status == "replied" and audited("feedback.replied", submission)


def test_publishing_refuses_personal_details_and_then_appears_publicly(
    trust, officer, signed_in, client
):
    submission = receive(trust, text="Nurse Jane Smith ignored my mum. Call me on 07700 900123.")
    staff = signed_in(officer)
    form = staff.get(
        reverse("feedback_staff:you_said_we_did_new", args=[submission.pk])
    ).content.decode()
    assert "07700 900123" not in form and "[phone number]" in form
    theme = Theme.objects.filter(is_active=True).first()
    response = staff.post(
        reverse("feedback_staff:you_said_we_did_new", args=[submission.pk]),
        {
            "theme": theme.key,
            "service_team": "",
            "you_said": "Email me at mum@example.com",
            "we_did": "We trained staff.",
        },
    )
    entry = YouSaidWeDidEntry.objects.get()
    refused = staff.post(reverse("feedback_staff:you_said_we_did_review", args=[entry.pk]))
    assert refused.status_code == 400 and "an email address" in refused.content.decode()
    entry.refresh_from_db()
    assert entry.status == "draft"
    entry.you_said = "Families said staff did not listen to them."
    entry.save()
    assert (
        staff.post(reverse("feedback_staff:you_said_we_did_review", args=[entry.pk])).status_code
        == 302
    )
    public = client.get(reverse("feedback:you_said_we_did")).content.decode()
    assert "We trained staff." in public and "mum@example.com" not in public
    feed = client.get(reverse("feedback:you_said_we_did_feed"))
    assert (
        feed["Content-Type"].startswith("application/atom+xml")
        and "We trained staff." in feed.content.decode()
    )
    assert audited("you_said_we_did.published", entry)
    assert response.status_code == 302


def test_a_draft_with_personal_details_is_mended_or_deleted_and_a_published_one_withdrawn(
    trust, officer, signed_in, client
):
    submission = receive(trust, text="My son's diet was not asked about.")
    staff = signed_in(officer)
    theme = Theme.objects.filter(is_active=True).first()
    entry_text = {"theme": theme.key, "service_team": "", "we_did": "Diet questions at admission."}
    staff.post(
        reverse("feedback_staff:you_said_we_did_new", args=[submission.pk]),
        {**entry_text, "you_said": "Call me on 07700 900123, I am John Smith"},
    )
    entry = YouSaidWeDidEntry.objects.get()
    review = reverse("feedback_staff:you_said_we_did_review", args=[entry.pk])
    assert staff.post(review, {"action": "publish"}).status_code == 400
    # the page says "edit it": it can be, here
    blank = staff.post(review, {"action": "save", **entry_text, "you_said": ""})
    assert blank.status_code == 400 and "Error: " in blank.content.decode()
    mended = staff.post(review, {"action": "save", **entry_text, "you_said": "Ask about diet."})
    assert mended.status_code == 302
    entry.refresh_from_db()
    assert entry.you_said == "Ask about diet." and entry.status == "draft"
    edited = AuditEntry.objects.get(action="you_said_we_did.edited")
    assert "07700" not in str(edited.changes) + str(edited.context)  # the log keeps no words
    assert staff.post(review, {"action": "publish"}).status_code == 302
    assert "Ask about diet." in client.get(reverse("feedback:you_said_we_did")).content.decode()
    published_at = YouSaidWeDidEntry.objects.get().published_at
    staff.post(review, {"action": "publish"})  # a second click changes nothing
    assert YouSaidWeDidEntry.objects.get().published_at == published_at
    assert AuditEntry.objects.filter(action="you_said_we_did.published").count() == 1
    refused = staff.post(review, {"action": "delete"})
    assert refused.status_code == 400 and "withdraw it first" in refused.content.decode()
    assert staff.post(review, {"action": "withdraw"}).status_code == 302
    assert "Ask about diet." not in client.get(reverse("feedback:you_said_we_did")).content.decode()
    assert staff.post(review, {"action": "delete"}).status_code == 302
    assert not YouSaidWeDidEntry.objects.exists()
    assert AuditEntry.objects.filter(action="you_said_we_did.deleted").exists()


def test_a_draft_sent_twice_makes_one_draft(trust, officer, signed_in):
    submission = receive(trust, text="The leaflet was only in English.")
    staff = signed_in(officer)
    url = reverse("feedback_staff:you_said_we_did_new", args=[submission.pk])
    key = re.search(r'name="once" value="([0-9a-f-]{36})"', staff.get(url).content.decode())
    draft = {
        "once": key.group(1),
        "theme": Theme.objects.filter(is_active=True).first().key,
        "service_team": "",
        "you_said": "Leaflets only in English.",
        "we_did": "Leaflets in six languages.",
    }
    assert staff.post(url, draft).status_code == 302
    again = staff.post(url, draft)  # a double click
    assert again.status_code == 400 and "already been sent" in again.content.decode()
    assert YouSaidWeDidEntry.objects.count() == 1


def _group_cell(text: str, label: str) -> str:
    found = re.search(
        rf'{label}</td><td class="nhsuk-table__cell nhsuk-table__cell--numeric">([^<]*)<', text
    )
    return found.group(1)


def test_public_counts_pass_disclosure_control(trust, client):
    last_month = queries.public_counts_cut_off() - timedelta(days=3)
    for _ in range(7):
        receive(trust, ethnic_group="black-african")
    receive(trust, ethnic_group="asian-indian")
    FeedbackSubmission.objects.update(created_at=last_month)
    text = client.get(reverse("feedback:you_said_we_did")).content.decode()
    assert _group_cell(text, "Black or Black British") == "5"
    assert _group_cell(text, "Asian or Asian British") == "*"


def test_public_counts_change_once_a_month_so_no_one_is_picked_out(trust, client):
    # Someone who sends feedback and watches the table must not learn exact small numbers:
    # one Black person's feedback last month; four more sent now would turn "*" into 5.
    cut_off = queries.public_counts_cut_off()
    receive(trust, ethnic_group="black-african")
    FeedbackSubmission.objects.update(created_at=cut_off - timedelta(days=1))
    for _ in range(4):
        receive(trust, ethnic_group="black-african")
    text = client.get(reverse("feedback:you_said_we_did")).content.decode()
    assert _group_cell(text, "Black or Black British") == "*"
    up_to = formats.date_format(cut_off.date() - timedelta(days=1), "DATE_FORMAT")
    assert f"Feedback received up to {up_to}." in text
    # next month the five are counted, with whatever else came in that month
    counts = queries.public_feedback_counts(trust, now=cut_off + timedelta(days=40))
    shown = {row["label"]: row["count"] for row in counts["by_group"]}
    assert shown["Black or Black British"] == 5 and counts["total"] == 5


def test_exports_are_safe_from_formula_injection_and_audited(trust, make_staff, signed_in):
    formula = '=HYPERLINK("http://evil.example","click")'
    receive(trust, text=formula)
    analyst = make_staff(trust, Role.ANALYST)
    client = signed_in(analyst)
    response = client.get(reverse("feedback_staff:export", args=["csv"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][rows[0].index("text")] == "'" + formula
    xlsx = client.get(reverse("feedback_staff:export", args=["xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    exports = AuditEntry.objects.filter(action="feedback.exported")
    assert sorted((e.context["format"], e.context["rows"]) for e in exports) == [
        ("csv", 1),
        ("xlsx", 1),
    ]
    assert "email" not in rows[0]


def test_retention_deletes_contact_details_and_keeps_the_feedback(trust, officer):
    submission = receive(
        trust, wants_reply=True, preferred_method="phone", phone="0116 000 0000", consent=True
    )
    services.set_status(submission, "closed", by=officer)
    assert services.apply_retention(now=timezone.now() + timedelta(days=30), days=90) == []
    deleted = services.apply_retention(now=timezone.now() + timedelta(days=91), days=90)
    assert deleted == [submission.reference]
    assert not ContactDetails.objects.exists()
    assert FeedbackSubmission.objects.get().text == "The ward was noisy."
    assert AuditEntry.objects.filter(
        action="feedback.contact_details_deleted", system_actor="retention"
    ).exists()
