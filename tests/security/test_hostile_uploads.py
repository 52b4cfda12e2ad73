"""Hostile uploads (issue #8, item 4): file names that climb out, sizes over the limit, files that
are not what they say, formulas in an extract, and governance papers a browser would run. Zip
members that climb out, links, zip bombs and encrypted members: tests/insights/test_zip_safety.py.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY
from django.urls import reverse

from pcref.governance import meetings
from pcref.insights.models import ExtractUpload

pytestmark = pytest.mark.django_db

HEADER = b"person_id,organisation_code,ethnic_category,sex,year_of_birth,area_code\n"


def multipart(files: list[tuple[str, bytes]]) -> bytes:
    """A multipart body with the file names exactly as given (the test client would cut them)."""
    parts = []
    for name, content in files:
        parts.append(
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode("utf-8", "surrogateescape")
            + content
            + b"\r\n"
        )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def post_named(client, files):
    return client.post(
        reverse("insights_staff:upload_new"),
        multipart(files),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )


# Written by other things while a test runs (git, Python's byte-code cache, other workers'
# tools), never by an upload: leaving them out keeps the check about uploads.
NOT_UPLOADS = {".git", "node_modules", "__pycache__", ".venv"}


def files_under(folder: Path) -> set[Path]:
    if not folder.exists():
        return set()
    found = set()
    for root, folders, names in os.walk(folder):
        folders[:] = [name for name in folders if name not in NOT_UPLOADS]
        found.update(Path(root) / name for name in names)
    return found


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.csv",
        "..\\..\\x.parquet",
        "/etc/population.csv",
        "C:\\temp\\population.csv",
        "../../population.csv",
        "popul\x00ation.csv",
        "population\n.csv",
        "population.csv\r\nX-Injected: 1",
        "a" * 300 + ".csv",
        "%2e%2e%2fpopulation.csv",
    ],
)
def test_an_upload_name_that_climbs_out_is_refused_or_stored_under_insights_dir(
    analyst, signed_in, tmp_path, settings, name
):
    before = files_under(tmp_path) | files_under(Path.cwd())
    response = post_named(signed_in(analyst), [(name, HEADER)])
    assert response.status_code in (200, 302)
    new = (files_under(tmp_path) | files_under(Path.cwd())) - before
    insights = Path(settings.INSIGHTS_DIR).resolve()
    assert all(path.resolve().is_relative_to(insights) for path in new), new
    if response.status_code == 200:
        page = response.content.decode()
        assert "There is a problem" in page and 'href="#id_files"' in page
        assert not ExtractUpload.objects.exists()
    else:  # the name was cut to population.csv by Django; the file went to its upload's folder
        upload = ExtractUpload.objects.get()
        assert [path.name for path in new if path.suffix == ".csv"] in (["population.csv"], [])
        assert all(str(upload.pk) in str(path) for path in new)


def test_files_over_the_size_limit_are_refused_naming_the_limit(analyst, signed_in, settings):
    settings.INSIGHTS_MAX_UPLOAD_BYTES = 100
    response = post_named(signed_in(analyst), [("mhs001_patients.csv", HEADER * 5)])
    page = response.content.decode()
    assert response.status_code == 200
    assert "The files come to 360\xa0bytes, more than the 100\xa0bytes allowed" in page
    assert not ExtractUpload.objects.exists()
    assert not files_under(Path(settings.INSIGHTS_DIR))


def test_a_zip_that_unpacks_over_the_limit_names_the_limit(analyst, signed_in, settings):
    settings.INSIGHTS_MAX_UPLOAD_BYTES = 2_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mhs001_patients.csv", HEADER * 100)
    response = post_named(signed_in(analyst), [("extract.zip", buffer.getvalue())])
    assert "more than the 2.0\xa0KB allowed" in response.content.decode()
    assert not ExtractUpload.objects.exists()


def test_a_zip_inside_a_zip_is_refused_by_name(analyst, signed_in):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("mhs001_patients.csv", HEADER)
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as archive:
        archive.writestr("inner.zip", inner.getvalue())
    response = post_named(signed_in(analyst), [("extract.zip", outer.getvalue())])
    assert "inner.zip in the zip is not an extract table" in response.content.decode()
    assert not ExtractUpload.objects.exists()


@pytest.mark.django_db(transaction=True)  # the real worker closes its connection
@pytest.mark.parametrize(
    ("case", "table", "rule"),
    [
        ("utf-16", "mhs001_patients.csv", "encoding"),
        ("latin-1", "mhs001_patients.csv", "encoding"),
        ("truncated-parquet", "population.parquet", "unreadable"),
        ("garbage-parquet", "population.parquet", "unreadable"),
    ],
)
def test_a_file_with_a_bad_encoding_or_broken_parquet_gives_a_report_and_no_dataset(
    analyst, signed_in, good_extract, tmp_path, run_worker, case, table, rule
):
    folder = tmp_path / "extract"
    shutil.copytree(good_extract, folder)
    patients = folder / "mhs001_patients.csv"
    if case == "utf-16":
        patients.write_bytes(patients.read_text("utf-8").encode("utf-16"))
    elif case == "latin-1":
        patients.write_bytes(patients.read_bytes() + "Zoë,RX1,A,1,1990,E1\n".encode("latin-1"))
    else:
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        population = folder / "population.csv"
        whole = io.BytesIO()
        pq.write_table(pacsv.read_csv(population), whole)
        population.unlink()
        data = whole.getvalue()
        (folder / table).write_bytes(
            data[: len(data) // 2] if case == "truncated-parquet" else b"PAR1" + b"\xff" * 500
        )
    client = signed_in(analyst)
    response = post_named(
        client, [(path.name, path.read_bytes()) for path in sorted(folder.iterdir())]
    )
    assert response.status_code == 302
    run_worker()
    upload = ExtractUpload.objects.get()
    assert upload.status == ExtractUpload.Status.INVALID
    assert upload.dataset_number is None
    report = client.get(reverse("insights_staff:report", args=[upload.pk]))
    assert report.status_code == 200
    assert rule in b"".join(
        client.get(reverse("insights_staff:report_csv", args=[upload.pk])).streaming_content
    ).decode("utf-8")


@pytest.mark.django_db(transaction=True)  # the real worker closes its connection
def test_a_formula_in_an_extract_is_inert_in_the_report_csv(
    analyst, signed_in, good_extract, tmp_path, run_worker
):
    folder = tmp_path / "extract"
    shutil.copytree(good_extract, folder)
    referrals = folder / "mhs101_referrals.csv"
    rows = list(csv.DictReader(referrals.open(newline="", encoding="utf-8")))
    rows[0]["source_of_referral"] = '=HYPERLINK("http://evil.example","x")'
    with referrals.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    client = signed_in(analyst)
    post_named(client, [(path.name, path.read_bytes()) for path in sorted(folder.iterdir())])
    run_worker()
    upload = ExtractUpload.objects.get()
    body = b"".join(
        client.get(reverse("insights_staff:report_csv", args=[upload.pk])).streaming_content
    ).decode("utf-8")
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert not [cell for cell in cells if cell.lstrip(" \n").startswith(("=", "+", "@"))]
    page = client.get(reverse("insights_staff:report", args=[upload.pk])).content.decode()
    assert "=HYPERLINK(&#34;http://evil.example&#34;" in page or "=HYPERLINK(&quot;" in page


# Governance papers ------------------------------------------------------------------------------


@pytest.fixture
def meeting(trust, steering, plan):
    group = meetings.create_group(
        {"name": "PCREF steering group", "kind": "steering_group", "plan": plan},
        organisation=trust,
        by=steering,
    )
    return meetings.create_meeting(
        group, {"held_on": date(2025, 10, 1), "agenda": "1. Welcome"}, by=steering
    )


@pytest.mark.parametrize(
    "name",
    [
        "page.html",
        "page.htm",
        "drawing.svg",
        "run.exe",
        "notes.pdf.html",
        "script.js",
        "page.xhtml",
        "../../x.html",
        "no-suffix",
    ],
)
def test_a_paper_a_browser_would_run_is_refused(meeting, steering, settings, name):
    with pytest.raises(ValidationError) as refused:
        meetings.add_paper(
            meeting, "Paper", SimpleUploadedFile(name, b"<script>alert(1)</script>"), by=steering
        )
    assert "file" in refused.value.message_dict
    assert "is not a kind of file we keep" in refused.value.message_dict["file"][0]
    assert not files_under(Path(settings.GOVERNANCE_DIR))


@pytest.mark.parametrize(
    "name",
    [
        "../../../../etc/terms.pdf",
        "..\\..\\terms.pdf",
        "/etc/terms.pdf",
        "ter\x00ms.pdf",
        "terms\r\nContent-Type: text/html.pdf",
        "t" * 400 + ".pdf",
    ],
)
def test_a_paper_with_a_climbing_name_is_stored_under_a_server_name_and_downloaded_as_attachment(
    meeting, steering, signed_in, settings, tmp_path, name
):
    before = files_under(tmp_path.parent) | files_under(Path.cwd())
    paper = meetings.add_paper(
        meeting, "Paper", SimpleUploadedFile(name, b"%PDF-1.4 terms"), by=steering
    )
    root = Path(settings.GOVERNANCE_DIR).resolve()
    stored = Path(paper.file.path).resolve()
    assert stored.is_relative_to(root) and stored.name.endswith(".pdf")
    assert "terms" not in stored.name and ".." not in paper.file.name
    new = (files_under(tmp_path.parent) | files_under(Path.cwd())) - before
    assert {path.resolve() for path in new} == {stored}
    assert "/" not in paper.name and "\\" not in paper.name and "\n" not in paper.name
    assert "\x00" not in paper.name and len(paper.name) <= 200
    download = signed_in(steering).get(reverse("governance_staff:paper", args=[paper.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert "\n" not in download["Content-Disposition"]
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == b"%PDF-1.4 terms"
