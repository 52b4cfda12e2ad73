"""The CQC evidence pack: built from the whole demo, every item's source address resolves and
shows the record to the demo administrator; the zip holds the PDF, an index row per item and the
stored files; the PDF names every item; readers only, of their own organisation; bad periods
named; every download audited."""

import csv
import datetime as dt
import html
import io
import json
import re
import zipfile
from urllib.parse import urlparse

import pypdfium2 as pdfium
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import resolve, reverse
from django.utils import timezone

from pcref.core.models import AuditEntry, User
from pcref.core.roles import Role
from pcref.feedback import services as feedback_services
from pcref.feedback.models import Theme
from pcref.governance import services
from pcref.governance.evidence_pack import (
    KIND_LABELS,
    build_pack,
    current_financial_year,
    participation_words,
)
from pcref.governance.models import DeliveryPlan

pytestmark = pytest.mark.django_db

BASE = "http://testserver"


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    text = " ".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    # PDFium marks a hyphen that ends a line as U+FFFE; lines join with a space.
    return re.sub(r"\s+", " ", text.replace("\ufffe", "-"))


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def period_query(start, end) -> str:
    return f"?start={start.isoformat()}&end={end.isoformat()}"


def test_the_demo_pack_links_every_item_to_a_page_that_shows_it(signed_in):
    from pcref.demo import load_everything

    load_everything(insights=True)
    admin = User.objects.get(username="admin")
    today = timezone.localdate()
    start, end = dt.date(today.year - 2, 4, 1), today
    pack = build_pack(admin.organisation, start, end, viewer=admin)
    items = pack.items

    # Every kind of evidence is there (plan, progress, meetings, metrics, feedback, co-production).
    missing = set(KIND_LABELS) - pack.kinds()  # asserted last, once the rest is checked
    assert [section.component for section in pack.sections] == [
        "leadership_governance",
        "data",
        "feedback",
    ]
    assert all(section.items for section in pack.sections)

    client = signed_in(admin)
    pages = {}  # each address fetched once: many items are on one page (a metric, a plan)

    def get(url):
        if url not in pages:
            pages[url] = client.get(url)
        return pages[url]

    for item in items:
        match = resolve(urlparse(item.url).path)
        assert match.url_name, item.url
        response = get(item.url)
        assert response.status_code == 200, (item.kind, item.title, item.url)
        if item.file is not None:  # a download: the file itself
            assert item.file.name in response["Content-Disposition"], item.url
            continue
        page = words(html.unescape(response.content.decode()))
        assert words(item.identifying_text) in page, (item.kind, item.identifying_text, item.url)
        for text, related in item.links:  # a decision's action, an event's actions, ...
            if related.startswith("/"):
                assert get(related).status_code == 200, (item.kind, text, related)

    # The zip: the PDF, one index row per item with the same addresses, the items, the files.
    response = client.get(reverse("governance_staff:evidence_pack_zip") + period_query(start, end))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"pack.pdf", "index.csv", "items.json"} <= names
    rows = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert len(rows) == len(items)
    assert [row["source URL"] for row in rows] == [BASE + item.url for item in items]
    assert [row["source record"] for row in rows] == [item.source for item in items]
    stored = [item for item in items if item.file is not None]
    assert len([name for name in names if name.startswith("files/")]) == len(stored)
    for item in stored:
        row = rows[items.index(item)]
        assert row["file"] in names
        with item.file.file.open("rb") as handle:
            assert archive.read(row["file"]) == handle.read()
    listed = json.loads(archive.read("items.json"))
    assert [entry["url"] for entry in listed["items"]] == [BASE + item.url for item in items]
    assert listed["start"] == start.isoformat() and listed["end"] == end.isoformat()

    # The PDF names every item and its source address.
    text = pdf_text(archive.read("pack.pdf"))
    for item in items:
        assert words(item.title) in text, (item.kind, item.title)
    assert "fewer than 5" in text or all(
        "fewer than 5" not in " ".join(item.details) for item in items
    )

    response = client.get(reverse("governance_staff:evidence_pack_pdf") + period_query(start, end))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")

    exports = AuditEntry.objects.filter(action="governance.evidence_pack_exported")
    assert exports.count() == 2
    assert {entry.context["format"] for entry in exports} == {"pdf", "zip"}
    for entry in exports:
        assert entry.context["start"] == start.isoformat()
        assert entry.context["end"] == end.isoformat()
        assert entry.context["items"] == len(items)
        assert entry.actor == admin

    # No one's own words or names leave the trust in the pack.
    from pcref.feedback.models import FeedbackSubmission
    from pcref.governance.models import GroupMember

    everything = json.dumps(listed, ensure_ascii=False)
    for submission in FeedbackSubmission.objects.all()[:20]:
        assert submission.text not in everything
    for member in GroupMember.objects.all():
        assert member.name not in everything

    assert not missing, f"kinds of item absent from the demo pack: {sorted(missing)}"
    assert stored, "no evidence files or meeting papers in the demo pack"


@pytest.fixture
def reader(trust, make_staff):
    return make_staff(trust, Role.BOARD_VIEWER)


@pytest.fixture
def this_year():
    return current_financial_year(timezone.localdate())


def test_the_page_shows_the_current_financial_year_by_default(
    signed_in, reader, add_action, steering, this_year
):
    action = add_action(title="Cultural awareness training for ward staff")
    services.add_progress_update(
        action, {"text": "Two wards trained.", "recorded_on": timezone.localdate()}, by=steering
    )
    response = signed_in(reader).get(reverse("governance_staff:evidence_pack"))
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    start, end = this_year
    assert f'value="{start.isoformat()}"' in page and f'value="{end.isoformat()}"' in page
    assert action.title in page
    assert reverse("governance_staff:action", args=[action.pk]) in page
    assert reverse("governance_staff:evidence_pack_pdf") + period_query(start, end) in page.replace(
        "&amp;", "&"
    )
    plans = signed_in(reader).get(reverse("governance_staff:plans")).content.decode()
    assert reverse("governance_staff:evidence_pack") in plans


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?start=2026-13-01&end=2026-12-31", "From: enter a real date"),
        ("?start=2026-04-01&end=tomorrow", "To: enter a real date"),
        ("?start=&end=2026-12-31", "From: enter the first day of the period"),
        ("?start=2026-04-01&end=2026-03-31", "The last day (31 March 2026) must be on or after"),
        ("?start=1999-04-01&end=2026-03-31", "From: enter a date from 2000 to 2099"),
    ],
)
def test_a_bad_period_is_named_and_nothing_is_exported(signed_in, reader, plan, query, message):
    client = signed_in(reader)
    for name in ("evidence_pack", "evidence_pack_pdf", "evidence_pack_zip"):
        response = client.get(reverse(f"governance_staff:{name}") + query)
        assert response.status_code == 400
        page = html.unescape(response.content.decode())
        assert "There is a problem" in page
        assert message in page
    assert not AuditEntry.objects.filter(action="governance.evidence_pack_exported").exists()


def test_a_plan_year_saved_before_years_were_checked_does_not_break_the_pack(reader, trust):
    # a plan for "0000/01" (no such date in Python) once made the whole pack a 500
    DeliveryPlan.objects.bulk_create(
        [DeliveryPlan(organisation=trust, year="0000/01", title="x", created_by=reader)]
    )
    pack = build_pack(trust, dt.date(2026, 4, 1), dt.date(2026, 11, 1), viewer=reader)
    assert "0000/01" not in json.dumps([item.title for item in pack.items])


def test_the_service_refuses_a_period_that_ends_before_it_starts(reader, trust):
    with pytest.raises(ValidationError) as refused:
        build_pack(trust, dt.date(2026, 4, 1), dt.date(2026, 3, 1), viewer=reader)
    assert "end" in refused.value.error_dict


def test_partner_users_officers_and_other_trusts_are_refused(
    signed_in, make_staff, trust, other_trust, partner_organisation, add_action, this_year
):
    action = add_action(
        title="A race equality objective in every appraisal", due_on=timezone.localdate()
    )
    start, end = this_year
    own = build_pack(trust, start, end, viewer=make_staff(trust, Role.ADMINISTRATOR))
    assert str(action.pk) in {item.source_pk for item in own.items}
    for user in (
        make_staff(partner_organisation, Role.PARTNER_USER),
        make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER),
    ):
        client = signed_in(user)
        for name in ("evidence_pack", "evidence_pack_pdf", "evidence_pack_zip"):
            response = client.get(reverse(f"governance_staff:{name}") + period_query(start, end))
            assert response.status_code == 403
        with pytest.raises(PermissionDenied):
            build_pack(user.organisation, start, end, viewer=user)
    outsider = make_staff(other_trust, Role.ADMINISTRATOR)
    with pytest.raises(PermissionDenied):
        build_pack(trust, start, end, viewer=outsider)
    theirs = build_pack(other_trust, start, end, viewer=outsider)
    assert str(action.pk) not in {item.source_pk for item in theirs.items}
    page = signed_in(outsider).get(reverse("governance_staff:evidence_pack")).content.decode()
    assert action.title not in html.unescape(page)
    # Their pages of the trust's records answer 404, so a leaked address shows nothing.
    response = signed_in(outsider).get(reverse("governance_staff:action", args=[action.pk]))
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="governance.evidence_pack_exported").exists()


def test_a_board_viewer_exports_and_the_export_is_audited(
    signed_in, reader, add_action, steering, this_year
):
    action = add_action(title='=HYPERLINK("http://example.com","Training")')
    services.add_progress_update(
        action,
        {"text": "Four of nine wards trained.", "recorded_on": timezone.localdate()},
        by=steering,
    )
    start, end = this_year
    client = signed_in(reader)
    response = client.get(reverse("governance_staff:evidence_pack_zip") + period_query(start, end))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    rows = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    titles = [row["title"] for row in rows]
    assert "'" + action.title in titles  # a formula is never run by a spreadsheet
    assert action.title not in titles
    kinds = {row["kind"] for row in rows}
    assert {"Delivery plan", "Board view", "Plan action", "Progress update"} <= kinds
    entry = AuditEntry.objects.get(action="governance.evidence_pack_exported")
    assert entry.actor == reader
    assert entry.context == {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "items": len(rows),
        "format": "zip",
    }
    text = pdf_text(archive.read("pack.pdf"))
    assert "Four of nine wards trained." in text
    assert action.title in text


def test_updates_outside_the_period_are_left_out(reader, add_action, steering, trust):
    action = add_action()
    services.add_progress_update(
        action, {"text": "Trained the first ward.", "recorded_on": dt.date(2025, 5, 1)}, by=steering
    )
    services.add_progress_update(
        action,
        {"text": "Trained the second ward.", "recorded_on": dt.date(2025, 9, 1)},
        by=steering,
    )
    pack = build_pack(trust, dt.date(2025, 8, 1), dt.date(2025, 10, 31), viewer=reader)
    updates = [item.summary for item in pack.items if item.kind == "progress_update"]
    assert updates == ["Trained the second ward."]


def test_feedback_counts_are_counts_only_with_small_ones_hidden(
    reader, trust, plan, give_feedback, make_staff, this_year
):
    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER)
    theme = Theme.objects.filter(is_active=True).order_by("key").first()
    for _count in range(3):
        submission = give_feedback(trust, "white-british", "poor", text="The ward was noisy.")
        feedback_services.confirm_triage(
            submission,
            {
                "themes": [theme],
                "sentiment": "negative",
                "safeguarding": False,
                "formal_complaint": False,
            },
            by=officer,
        )
    start, end = this_year
    pack = build_pack(trust, start, end, viewer=reader)
    (counts,) = [item for item in pack.items if item.kind == "feedback_counts"]
    assert counts.details == [f"{theme.name}: fewer than 5"]
    assert "noisy" not in counts.summary + " ".join(counts.details)


def test_participation_hides_small_counts_and_the_total_that_would_give_them_away():
    assert participation_words([("Somali", 12), ("Polish", 3)]) == (
        "At least 12 people took part",
        ["Somali: 12", "Polish: fewer than 5"],
    )
    assert participation_words([("Somali", 12), ("Polish", 6)]) == (
        "18 people took part",
        ["Somali: 12", "Polish: 6"],
    )
