"""Board and public reports: made by the real worker with WeasyPrint, drawn to PNG and read back
with pypdfium2, their figures checked against the results table they were built from."""

import datetime as dt
import hashlib
import html
import re
import time
from pathlib import Path

import pyarrow.parquet as pq
import pypdfium2 as pdfium
import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from pcref.analytics.metrics.catalogue import CATALOGUE, is_proportion
from pcref.core.models import AuditEntry
from pcref.core.roles import Role
from pcref.feedback import services as feedback_services
from pcref.feedback.models import Theme, YouSaidWeDidEntry
from pcref.insights import files, publication, reports
from pcref.insights.dashboard import VARIATIONS, figure, ratio_figure
from pcref.insights.models import Report

# The worker runs in this process on the real database backend, which commits.
pytestmark = pytest.mark.django_db(transaction=True)

PERIOD = "2025/26"  # the synthetic extract's latest financial year
MONTHS = [f"2025-{month:02d}" for month in range(4, 13)] + [f"2026-{m:02d}" for m in (1, 2, 3)]
IN_PERIOD = dt.datetime(2025, 9, 10, 12, 0)
A4_POINTS = (595.28, 841.89)  # 210 by 297 mm
A4_AT_72_DPI = (596, 842)  # pixels, rounded up
# (form answer, overall experience, how many): small groups on purpose, to be hidden.
FEEDBACK = [
    ("white-british", "very_good", 9),
    ("white-british", "poor", 3),
    ("asian-indian", "good", 6),
    ("black-african", "poor", 2),
    ("mixed-white-and-asian", "good", 1),
    ("prefer-not-to-say", "neither", 1),
]
MONTH_NAMES = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)


@pytest.fixture
def feedback_in_year(trust, give_feedback):
    """Feedback inside the year, and one "You said, we did" change published in it."""
    for group, overall, times in FEEDBACK:
        for _ in range(times):
            give_feedback(
                trust, group, overall, text="The ward was noisy at night.", when=IN_PERIOD
            )


@pytest.fixture
def change_made(trust, make_staff):
    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER, username="pxo")
    entry = feedback_services.draft_you_said_we_did(
        organisation=trust,
        submissions=[],
        theme=Theme.objects.filter(is_active=True).first(),
        service_team=None,
        you_said="Wards were too noisy at night.",
        we_did="We fitted quiet-close doors on every ward.",
        by=officer,
    )
    feedback_services.publish_you_said_we_did(entry, by=officer)
    YouSaidWeDidEntry.objects.filter(pk=entry.pk).update(
        published_at=timezone.make_aware(dt.datetime(2025, 11, 3, 9, 0))
    )
    return entry


def ask_for(client, run, kind="board", period=PERIOD):
    return client.post(
        reverse("insights_staff:report_new"), {"kind": kind, "run": str(run.pk), "period": period}
    )


def pdf_text(path) -> str:
    document = pdfium.PdfDocument(str(path))
    text = " ".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    # PDFium marks a hyphen that ends a line as U+FFFE; lines join with a space.
    return re.sub(r"\s+", " ", text.replace("\ufffe", "-"))


def whole_trust_rows(run) -> list[dict]:
    table = pq.read_table(files.results_dir(run) / "results.parquet")
    return [r for r in table.to_pylist() if r["organisation"] == r["service"] == "all"]


def shown(count) -> str:
    """A count as a public output shows it, written out here: "*" below 5, else nearest 5."""
    if count < 5:
        return "*"
    return f"{int(5 * ((count + 2.5) // 5)):,}"


def segments(text: str, metrics: list[str]) -> dict[str, str]:
    """Each metric's table row in the PDF text: from "(metric)" to the next metric's marker."""
    places = sorted((text.index(f"({metric})"), metric) for metric in metrics)
    ends = [start for start, _ in places[1:]] + [len(text)]
    return {metric: text[start:end] for (start, metric), end in zip(places, ends, strict=True)}


def may_show(row, other=None, people=None) -> bool:
    """D3, and D4 for restrictive interventions per bed days (people and bed days); a
    proportion's value also needs 5 or more in the rest of its whole."""
    counts = [row["numerator"], row["denominator"]]
    if other is not None:
        counts += [other["numerator"], other["denominator"]]
    elif is_proportion(row["metric"]) and None not in counts:
        counts.append(row["denominator"] - row["numerator"])
    if any(count is None or count < 5 for count in counts):
        return False
    if row["metric"].startswith("RI1."):
        bed_days = [row["denominator"]] + ([other["denominator"]] if other else [])
        return all(days >= 100 for days in bed_days) and all(
            p is not None and p >= 5 for p in people
        )
    return True


def test_a_board_report_is_made_by_the_worker_and_shows_the_figures_of_its_results(
    analyst, signed_in, finished_run, run_worker, feedback_in_year, change_made, tmp_path
):
    client = signed_in(analyst)
    response = ask_for(client, finished_run)
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("insights_staff:report_detail", args=[report.pk])
    assert (report.status, report.version, report.created_by) == ("queued", 1, analyst)
    waiting = client.get(response["Location"])
    assert waiting["Refresh"] == "3"
    assert "Waiting for the report to start" in waiting.content.decode()

    started = time.perf_counter()
    run_worker()
    seconds = time.perf_counter() - started

    report.refresh_from_db()
    assert report.status == "done", report.failure
    pdf = files.organisation_dir(analyst.organisation) / "reports/board-2025-26-v001/report.pdf"
    assert report.pdf_path == str(pdf) and pdf.is_file()
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert report.bytes == len(data) and report.sha256 == hashlib.sha256(data).hexdigest()
    assert report.disclosure_rules.startswith("pcref-disclosure-v2")
    print(
        f"\nboard report: {seconds:.2f} s in the worker, {len(data):,} bytes, {report.pages} pages"
    )

    document = pdfium.PdfDocument(str(pdf))
    assert len(document) == report.pages >= 4
    for number, page in enumerate(document, 1):
        assert page.get_size() == pytest.approx(A4_POINTS, abs=0.01)
        image = page.render(scale=1).to_pil().convert("L")
        assert image.size == A4_AT_72_DPI
        inked = sum(image.histogram()[:128])  # pixels darker than mid-grey
        assert inked > 500, f"page {number} is blank"
        image.save(tmp_path / f"page-{number}.png")
    document.close()

    text = pdf_text(pdf)
    for words in (
        "Test Partnership NHS Trust",
        "board report",
        "Financial year 2025/26 (1 April 2025 to 31 March 2026)",
        "v0001",
        "Official – for board",
        "Page 2 of",
        "Test Analyst",
        "Delivery plan progress",
        "There is no PCREF delivery plan for 2025/26 yet",
        "We fitted quiet-close doors on every ward.",
    ):
        assert words in text, words

    rows = whole_trust_rows(finished_run)
    everyone = {}
    for row in rows:
        if row["group_scheme"] == "all" and (
            (row["period_type"] == "financial_year" and row["period"] == PERIOD)
            or (row["period_type"] == "extract" and row["metric"] not in everyone)
        ):
            everyone[row["metric"]] = row
    assert len(everyone) > 30
    in_text = segments(text, list(everyone))
    checked = {"shown": 0, "hidden": 0, "ratios": 0, "spc": 0}
    for metric, row in everyone.items():
        segment = in_text[metric]
        assert f"{CATALOGUE[metric].title} ({metric})" in text, metric
        period = (row["period_type"], row["period"])
        people = [
            r["numerator"]
            for r in rows
            if r["metric"] == metric.replace("RI1.", "RI2.", 1)
            and (r["period_type"], r["period"]) == period
            and r["group_scheme"] == "all"
        ]
        if row["value"] is None:
            assert "No value" in segment, metric
        elif may_show(row, people=people):
            value = f"{figure(row['value'])} ({figure(row['lower'])} to {figure(row['upper'])})"
            assert value in segment, (metric, value, segment)
            checked["shown"] += 1
        else:
            assert "* (hidden: a count below 5)" in segment, metric
            checked["hidden"] += 1
        counted = f"{shown(row['numerator'])} of {shown(row['denominator'])}"
        assert counted in segment, (metric, counted)

        white = next(
            (
                r
                for r in rows
                if r["metric"] == metric
                and (r["period_type"], r["period"]) == period
                and r["group_scheme"] == "broad"
                and r["group"] == "White"
                and r["comparison_group"] == "White"
            ),
            None,
        )
        candidates = []
        for r in rows:
            if (
                r["metric"] == metric
                and (r["period_type"], r["period"]) == period
                and r["group_scheme"] == "broad"
                and r["group"] != "White"
                and r["comparison_group"] == "White"
                and r["ratio"] is not None
            ):
                sides = [
                    next(
                        (
                            p["numerator"]
                            for p in rows
                            if p["metric"] == metric.replace("RI1.", "RI2.", 1)
                            and (p["period_type"], p["period"]) == period
                            and p["group"] == group
                            and p["group_scheme"] == "broad"
                        ),
                        None,
                    )
                    for group in (r["group"], "White")
                ]
                if may_show(r, white, people=sides):
                    candidates.append(r)
        if candidates:
            top = max(candidates, key=lambda r: (r["ratio"], r["group"]))
            expected = (
                f"{top['group']}: {ratio_figure(top['ratio'])} "
                f"({ratio_figure(top['ratio_lower'])} to {ratio_figure(top['ratio_upper'])})"
            )
            assert expected in segment, (metric, expected, segment)
            checked["ratios"] += 1
        else:
            assert "None that may be shown" in segment, metric

        variations = sorted(
            (r["period"], r["spc_variation"])
            for r in rows
            if r["metric"] == metric
            and r["period_type"] == "month"
            and r["period"] in MONTHS
            and r["group_scheme"] == "all"
            and r["spc_variation"]
        )
        if variations and row["period_type"] == "financial_year":
            assert str(VARIATIONS[variations[-1][1]][0]) in segment, metric
            checked["spc"] += 1
    assert min(checked.values()) > 0, checked  # every kind of figure was compared

    quality = text[text.index("2. Data quality") : text.index("3. Experience and feedback")]
    tables = [
        r
        for r in rows
        if r["metric"] == "DQ1"
        and r["group_scheme"] == "dataset"
        and (r["period"] == PERIOD or r["period_type"] == "extract")
    ]
    assert len(tables) >= 5
    for r in tables:
        assert f"{shown(r['denominator'])} " in quality, r["group"]
        if may_show(r):
            completeness = f"{figure(r['value'])} ({figure(r['lower'])} to {figure(r['upper'])})"
            assert completeness in quality, (r["group"], completeness)

    detail = client.get(reverse("insights_staff:report_detail", args=[report.pk]))
    assert "Refresh" not in detail
    body = detail.content.decode()
    assert "The report is ready" in body and report.sha256 in body
    download = client.get(reverse("insights_staff:report_file", args=[report.pk, "pdf"]))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == data
    actions = list(
        AuditEntry.objects.filter(target_id=str(report.pk))
        .order_by("occurred_at")
        .values_list("action", "actor_label")
    )
    assert actions == [
        ("insights.report_queued", "analyst"),
        ("insights.report_running", "system:report"),
        ("insights.report_done", "system:report"),
    ]


def test_each_report_is_a_new_version_and_no_file_is_ever_overwritten(
    analyst, signed_in, finished_run, run_worker, trust, tmp_path
):
    client = signed_in(analyst)
    for period in (PERIOD, PERIOD, "2024/25"):
        assert ask_for(client, finished_run, period=period).status_code == 302
    run_worker()
    made = list(Report.objects.order_by("created_at"))
    assert [(r.period, r.version, r.status) for r in made] == [
        (PERIOD, 1, "done"),
        (PERIOD, 2, "done"),
        ("2024/25", 1, "done"),
    ]
    assert [Path(r.pdf_path).parent.name for r in made] == [
        "board-2025-26-v001",
        "board-2025-26-v002",
        "board-2024-25-v001",
    ]
    first = made[0]
    kept = Path(first.pdf_path).read_bytes()
    assert hashlib.sha256(kept).hexdigest() == first.sha256

    # A folder already in the way of the next version: the report fails, the folder stays.
    in_the_way = files.organisation_dir(trust) / "reports" / "board-2025-26-v003"
    in_the_way.mkdir()
    (in_the_way / "report.pdf").write_bytes(b"not ours")
    ask_for(client, finished_run)
    run_worker()
    third = Report.objects.get(period=PERIOD, version=3)
    assert third.status == "failed"
    assert "board-2025-26-v003 already exists; a report version is never overwritten" in (
        third.failure
    )
    assert (in_the_way / "report.pdf").read_bytes() == b"not ours"
    assert sorted(p.name for p in (files.organisation_dir(trust) / "reports").iterdir()) == [
        "board-2024-25-v001",
        "board-2025-26-v001",
        "board-2025-26-v002",
        "board-2025-26-v003",
    ]  # no scratch folder left behind
    assert Path(first.pdf_path).read_bytes() == kept
    with pytest.raises(IntegrityError):
        Report.objects.create(
            organisation=trust,
            kind="board",
            run=finished_run,
            period=PERIOD,
            period_start=dt.date(2025, 4, 1),
            period_end=dt.date(2026, 3, 31),
            version=1,
            created_by=analyst,
        )

    listed = client.get(reverse("insights_staff:reports")).content.decode()
    for report in made:
        assert reverse("insights_staff:report_file", args=[report.pk, "pdf"]) in listed
        assert reverse("insights_staff:report_file", args=[report.pk, "html"]) in listed
    assert f"Board report {PERIOD}, version 2" in listed
    assert "Board report 2024/25, version 1" in listed
    assert listed.count("Dataset version v0001") == 4 and "Test Analyst" in listed


def test_a_report_on_results_that_have_gone_fails_clearly_and_leaves_nothing(
    analyst, signed_in, finished_run, run_worker, trust
):
    client = signed_in(analyst)
    ask_for(client, finished_run)
    report = Report.objects.get()
    (files.results_dir(finished_run) / "results.parquet").unlink()
    run_worker()

    report.refresh_from_db()
    assert report.status == "failed"
    assert report.failure.startswith(
        "The results of the metric run on dataset version v0001 are missing (no results.parquet"
    )
    assert report.failure.endswith("Run the metrics again, then make the report again.")
    assert (report.html_path, report.pdf_path, report.bytes, report.sha256) == ("", "", 0, "")
    folder = files.organisation_dir(trust) / "reports"
    assert not folder.exists() or not any(folder.iterdir())
    page = client.get(reverse("insights_staff:report_detail", args=[report.pk]))
    assert "Refresh" not in page
    body = html.unescape(page.content.decode())
    assert "The report could not be made" in body and report.failure in body
    assert (
        client.get(reverse("insights_staff:report_file", args=[report.pk, "pdf"])).status_code
        == 404
    )
    failed = AuditEntry.objects.get(target_id=str(report.pk), action="insights.report_failed")
    assert failed.context["failure"] == report.failure

    # Those results can no longer be chosen.
    again = client.post(
        reverse("insights_staff:report_new"),
        {"kind": "board", "run": str(finished_run.pk), "period": PERIOD},
    )
    assert again.status_code == 200
    assert "There are no finished metric results to report on yet" in again.content.decode()
    assert Report.objects.count() == 1


def test_bad_choices_are_refused_naming_the_value(analyst, signed_in, finished_run, trust):
    client = signed_in(analyst)
    response = ask_for(client, finished_run, period="2019/20")
    assert response.status_code == 200
    assert "Choose one of the financial years listed" in response.content.decode()
    with pytest.raises(reports.ReportRefused, match="has no results for 2019/20; it has 2025/26"):
        reports.queue_report(
            organisation=trust, kind="board", run=finished_run, period="2019/20", by=analyst
        )
    with pytest.raises(reports.ReportRefused, match="2025-26 is not a financial year"):
        reports.queue_report(
            organisation=trust, kind="board", run=finished_run, period="2025-26", by=analyst
        )
    with pytest.raises(reports.ReportRefused, match="annual is not a kind of report"):
        reports.queue_report(
            organisation=trust, kind="annual", run=finished_run, period=PERIOD, by=analyst
        )
    response = ask_for(client, finished_run, kind="public")
    body = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert (
        "A public report uses published figures only: the metric run on dataset version "
        "v0001 is not published" in body
    )
    assert not Report.objects.exists()


@pytest.fixture
def queued_report(trust, analyst, finished_run):
    return reports.queue_report(
        organisation=trust, kind="board", run=finished_run, period=PERIOD, by=analyst
    )


def staff_pages(report):
    return [
        reverse("insights_staff:reports"),
        reverse("insights_staff:report_new"),
        reverse("insights_staff:report_detail", args=[report.pk]),
        reverse("insights_staff:report_file", args=[report.pk, "pdf"]),
    ]


def test_board_viewers_read_reports_but_may_not_make_or_publish_them(
    trust, make_staff, signed_in, queued_report, finished_run
):
    board = make_staff(trust, Role.BOARD_VIEWER)
    client = signed_in(board)
    listed = client.get(reverse("insights_staff:reports"))
    assert listed.status_code == 200
    assert "Board report 2025/26, version 1" in listed.content.decode()
    assert "Make a report" not in listed.content.decode()
    detail = client.get(reverse("insights_staff:report_detail", args=[queued_report.pk]))
    assert detail.status_code == 200
    assert client.get(reverse("insights_staff:report_new")).status_code == 403
    assert ask_for(client, finished_run).status_code == 403
    publish = reverse("insights_staff:report_publish", args=[queued_report.pk])
    assert client.post(publish).status_code == 403
    with pytest.raises(PermissionDenied):
        reports.queue_report(
            organisation=trust, kind="board", run=finished_run, period=PERIOD, by=board
        )
    assert Report.objects.count() == 1


@pytest.mark.parametrize("role", [Role.PATIENT_EXPERIENCE_OFFICER])
def test_other_roles_are_refused(role, trust, make_staff, signed_in, queued_report):
    client = signed_in(make_staff(trust, role))
    for url in staff_pages(queued_report):
        assert client.get(url).status_code in (403, 404), url


def test_partner_users_other_trusts_and_the_public_see_no_report(
    partner_organisation, other_trust, make_staff, signed_in, queued_report, client
):
    partner = make_staff(partner_organisation, Role.PARTNER_USER, Role.BOARD_VIEWER)
    outsider = make_staff(other_trust, Role.ANALYST)
    for url in staff_pages(queued_report):
        assert signed_in(partner).get(url).status_code in (403, 404), url
        response = client.get(url)
        assert response.status_code == 302 and "/staff/" in response["Location"], url
    as_outsider = signed_in(outsider)
    for url in staff_pages(queued_report)[2:]:
        assert as_outsider.get(url).status_code == 404, url
    listed = as_outsider.get(reverse("insights_staff:reports")).content.decode()
    assert "version 1" not in listed
    assert not Report.objects.visible_to(outsider).exists()
    assert not Report.objects.visible_to(partner).exists()


def small_whole_numbers(text: str) -> list[str]:
    """Whole numbers 1 to 4 standing alone in text, once dates and page numbers are taken out:
    in a public report, such a number could only be an unsuppressed count."""
    text = re.sub(rf"\b\d{{1,2}} ({MONTH_NAMES}) \d{{4}}\b", " ", text)
    text = re.sub(r"\bPage \d+ of \d+\b", " ", text)
    return re.findall(r"(?<![\w.,/:%*-])[1-4](?![\w.,/:%-])", text)


def test_a_public_report_appears_once_published_with_rounded_counts_only(
    analyst, signed_in, finished_run, run_worker, feedback_in_year, change_made, client
):
    staff = signed_in(analyst)
    publication.publish(finished_run, by=analyst)
    assert ask_for(staff, finished_run, kind="public").status_code == 302
    run_worker()
    report = Report.objects.get()
    assert (report.kind, report.status) == ("public", "done"), report.failure
    version_url = reverse("insights:annual_report_version", args=["2025-26", 1])
    pdf_url = reverse("insights:annual_report_pdf", args=["2025-26", 1])

    # Made but not published: the public sees nothing of it.
    waiting = client.get(reverse("insights:annual_report"))
    assert waiting.status_code == 200
    assert "We have not published a report yet" in waiting.content.decode()
    assert "What we found" not in waiting.content.decode()
    assert client.get(version_url).status_code == 404
    assert client.get(pdf_url).status_code == 404
    assert client.get("/report/2025/v1/").status_code == 404  # not a financial year

    detail = staff.get(reverse("insights_staff:report_detail", args=[report.pk]))
    assert "Publish on the website" in detail.content.decode()
    published = staff.post(reverse("insights_staff:report_publish", args=[report.pk]))
    assert published.status_code == 302
    report.refresh_from_db()
    assert report.published_at is not None and report.published_by == analyst
    entry = AuditEntry.objects.get(target_id=str(report.pk), action="insights.report_published")
    assert entry.actor_label == "analyst"
    with pytest.raises(reports.ReportRefused, match="already published"):
        reports.publish_report(report, by=analyst)

    page = client.get(reverse("insights:annual_report"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Our Patient and Carer Race Equality Framework report, 2025/26" in body
    for words in ("What we found", "How to read the figures", "quiet-close doors"):
        assert words in body, words
    report_html = body[body.index('<div class="pcref-report"') : body.index("Download this report")]
    assert report_html in client.get(version_url).content.decode()
    counts = re.findall(r'class="pcref-count">([^<]*)<', report_html)
    assert len(counts) > 40
    assert "*" in counts and any(count not in ("*", "–") for count in counts)
    for count in counts:
        if count not in ("*", "–"):
            assert int(count.replace(",", "")) % 5 == 0 and int(count.replace(",", "")) >= 5
    words_only = html.unescape(re.sub(r"<[^>]+>", " ", report_html))
    assert small_whole_numbers(words_only) == []
    # The feedback of the year had groups of 1, 2 and 3 people: none of those counts shows.
    assert "pieces of feedback" in words_only and "20 pieces" not in words_only

    urdu = client.get("/ur/report/")
    assert urdu.status_code == 200
    assert 'dir="rtl"' in urdu.content.decode() and 'lang="en" dir="ltr"' in urdu.content.decode()

    download = client.get(pdf_url)
    assert download["Content-Type"] == "application/pdf"
    data = b"".join(download.streaming_content)
    assert hashlib.sha256(data).hexdigest() == report.sha256
    text = pdf_text(report.pdf_path)
    assert "What we found" in text and "For everyone:" in text
    assert small_whole_numbers(text) == []
    assert "Official" not in text  # the board marking is for board papers only


def test_the_board_reports_ratio_chart_shows_ratios_to_two_places():
    from types import SimpleNamespace

    from pcref.insights.reports import headlines

    row = headlines.Headline(
        metric="M1", title="Detentions", unit="per 100,000", period="2025-26", value="", lower="",
        upper="", counted="", comparison=SimpleNamespace(group="Black"),
        ratio_numbers=(3.456, 2.104, 5.678), variation=None,
    )  # fmt: skip
    chart = headlines._ratio_chart(1, headlines.HeadlineSection(title="Detention", rows=[row]))
    assert chart.table.rows == [
        ["Detentions (Black)", ratio_figure(3.456), ratio_figure(2.104), ratio_figure(5.678)]
    ]
    assert chart.table.rows[0][1:] == ["3.46", "2.10", "5.68"]
