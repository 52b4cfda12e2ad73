"""A full disk (issue #8, item 2 "Faults": fill the disk for an upload): a real full disk, a small
tmpfs mounted for the test and filled to the last byte. Whatever the server could not keep, the
person is told so in plain words, no record is left half-made, no half-written file stays on the
disk, and the same action succeeds once there is room again.

Mounting needs root (or CAP_SYS_ADMIN), as here and in CI; elsewhere these tests skip, saying why.
"""

from __future__ import annotations

import contextlib
import errno
import html
import re
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pcref.analytics.extract.load import ingest, list_datasets
from pcref.core import storage
from pcref.core.models import AuditEntry
from pcref.governance import meetings
from pcref.governance.models import EvidenceFile, MeetingPaper, ProgressUpdate
from pcref.insights import files
from pcref.insights.models import ExtractUpload, MetricRun, Report

NO_ROOM = (
    "The server has no room to keep {what} just now, so nothing was saved. "
    "Try again later, or tell your system administrator."
)
FILLER = "filler"


@dataclass
class Disk:
    """A mounted tmpfs: `fill()` writes a filler file until the disk refuses another byte."""

    path: Path

    def fill(self) -> None:
        with (self.path / FILLER).open("ab", buffering=0) as handle:
            for size in (1 << 20, 1 << 12, 1):  # write() takes what fits, then refuses
                with contextlib.suppress(OSError):
                    while handle.write(b"\0" * size):
                        pass
        with pytest.raises(OSError) as refused:
            (self.path / "one-more-byte").write_bytes(b"\0")
        assert refused.value.errno == errno.ENOSPC
        (self.path / "one-more-byte").unlink()

    def free(self) -> None:
        (self.path / FILLER).unlink()

    def files(self) -> set[str]:
        """Every file on the disk but the filler (folders are not counted)."""
        return {
            str(path.relative_to(self.path))
            for path in self.path.rglob("*")
            if path.is_file() and path.name != FILLER
        }


@pytest.fixture
def disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", str(mount)],
            check=True,
            capture_output=True,
            text=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        reason = getattr(error, "stderr", "") or str(error)
        pytest.skip(f"cannot mount a small tmpfs to fill (needs root): {reason.strip()}")
    try:
        yield Disk(mount)
    finally:
        done = subprocess.run(["umount", str(mount)], check=False, capture_output=True)
        if done.returncode:  # something still holds a file open: detach it all the same
            subprocess.run(["umount", "--lazy", str(mount)], check=False)


@pytest.fixture
def insights_on_disk(disk, settings):
    settings.INSIGHTS_DIR = disk.path / "insights"
    return disk


@pytest.fixture
def governance_on_disk(disk, settings):
    settings.GOVERNANCE_DIR = disk.path / "governance"
    return disk


def post_extract(client, folder: Path):
    handles = [path.open("rb") for path in sorted(folder.iterdir())]
    try:
        return client.post(reverse("insights_staff:upload_new"), {"files": handles})
    finally:
        for handle in handles:
            handle.close()


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def field_error(response, field) -> str:
    """The message shown on a form field (the error summary links to it)."""
    page = html.unescape(response.content.decode())
    assert f'href="#id_{field}"' in page, page
    hidden = r'<span class="nhsuk-u-visually-hidden">Error:\s*</span>'
    error = re.search(rf'id="id_{field}-error">\s*{hidden}(.*?)</span>', page, re.S)
    assert error, page
    return re.sub(r"\s+", " ", error.group(1)).strip()


def rows() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            ExtractUpload,
            MetricRun,
            Report,
            ProgressUpdate,
            EvidenceFile,
            MeetingPaper,
            AuditEntry,
            DBTaskResult,
        )
    }


# Requests: the upload page, and the governance files.


@pytest.mark.django_db
def test_an_extract_upload_on_a_full_disk_is_refused_in_plain_words_and_keeps_nothing(
    insights_on_disk, analyst, signed_in, good_extract
):
    disk, client = insights_on_disk, signed_in(analyst)
    disk.fill()
    before = rows()

    response = post_extract(client, good_extract)

    assert response.status_code == 200
    assert field_error(response, "files") == NO_ROOM.format(what="these files")
    assert rows() == before
    assert disk.files() == set()

    disk.free()
    response = post_extract(client, good_extract)
    upload = ExtractUpload.objects.get()
    assert response["Location"] == reverse("insights_staff:upload", args=[upload.pk])
    assert {f"{name}" for name in disk.files()} == {
        str((files.upload_dir(upload) / "extract" / path.name).relative_to(disk.path))
        for path in good_extract.iterdir()
    }


@pytest.mark.django_db
def test_a_full_upload_temporary_folder_gives_a_clear_page_not_a_server_error(
    disk, settings, analyst, signed_in, good_extract
):
    """Django streams a file over FILE_UPLOAD_MAX_MEMORY_SIZE to FILE_UPLOAD_TEMP_DIR while it
    reads the request; that folder is full here (the upload folder itself has room)."""
    settings.FILE_UPLOAD_TEMP_DIR = str(disk.path)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # every extract file goes to a temporary file
    client = signed_in(analyst)
    disk.fill()
    before = rows()

    response = post_extract(client, good_extract)

    assert response.status_code == 507
    page = text(response)
    assert "Sorry, the server is full" in page
    assert NO_ROOM.format(what="the file you sent") in page
    assert rows() == before
    assert disk.files() == set()  # the half-written temporary file is gone

    disk.free()
    response = post_extract(client, good_extract)
    upload = ExtractUpload.objects.get()
    assert response["Location"] == reverse("insights_staff:upload", args=[upload.pk])
    assert disk.files() == set()  # moved into the upload's folder


@pytest.fixture
def action(add_action):
    return add_action()


@pytest.fixture
def meeting(plan, steering, trust):
    group = meetings.create_group(
        {"name": "PCREF steering group", "kind": "steering_group", "plan": plan},
        organisation=trust,
        by=steering,
    )
    return meetings.create_meeting(
        group,
        {"held_on": timezone.localdate() - timedelta(days=30), "agenda": "1. Welcome"},
        by=steering,
    )


def a_document() -> SimpleUploadedFile:
    return SimpleUploadedFile("register.pdf", b"%PDF-1.4 " + b"trained " * 8_000)


@pytest.mark.django_db
def test_an_evidence_file_on_a_full_disk_is_refused_and_the_update_is_not_saved(
    governance_on_disk, action, steering, signed_in
):
    disk, client = governance_on_disk, signed_in(steering)
    url = reverse("governance_staff:progress_new", args=[action.pk])
    data = {"text": "Four of nine wards trained.", "recorded_on": timezone.localdate()}
    disk.fill()
    before = rows()

    response = client.post(url, {**data, "file": a_document()})

    assert response.status_code == 400
    assert field_error(response, "file") == NO_ROOM.format(what="this evidence file")
    assert rows() == before
    assert disk.files() == set()

    disk.free()
    response = client.post(url, {**data, "file": a_document()})
    assert response["Location"] == reverse("governance_staff:action", args=[action.pk])
    stored = EvidenceFile.objects.get()
    assert disk.files() == {f"governance/{stored.file.name}"}
    assert stored.update == ProgressUpdate.objects.get()


@pytest.mark.django_db
def test_a_meeting_paper_on_a_full_disk_is_refused_and_not_saved(
    governance_on_disk, meeting, steering, signed_in
):
    disk, client = governance_on_disk, signed_in(steering)
    url = reverse("governance_staff:paper_new", args=[meeting.pk])
    disk.fill()
    before = rows()

    response = client.post(url, {"title": "Terms of reference", "file": a_document()})

    assert response.status_code == 400
    assert field_error(response, "file") == NO_ROOM.format(what="this meeting paper")
    assert rows() == before
    assert disk.files() == set()

    disk.free()
    response = client.post(url, {"title": "Terms of reference", "file": a_document()})
    assert response["Location"] == reverse("governance_staff:meeting", args=[meeting.pk])
    assert disk.files() == {f"governance/{MeetingPaper.objects.get().file.name}"}


# The worker: a dataset version, and a report.


def test_the_engine_leaves_no_half_written_dataset_version_and_says_the_disk_is_full(
    disk, good_extract
):
    """DuckDB reports a full disk in words, not as an OSError: it is still recognised."""
    disk.fill()
    with pytest.raises(Exception) as refused:
        ingest(good_extract, disk.path / "datasets")
    assert "No space left on device" in str(refused.value)
    assert storage.is_disk_full(refused.value)
    assert disk.files() == set() and not (disk.path / "datasets").exists()


@pytest.mark.django_db(transaction=True)
def test_an_upload_checked_on_a_full_disk_fails_in_plain_words_and_keeps_nothing(
    insights_on_disk, analyst, signed_in, good_extract, run_worker, trust
):
    disk, client = insights_on_disk, signed_in(analyst)
    post_extract(client, good_extract)
    upload = ExtractUpload.objects.get()
    disk.fill()

    run_worker()

    upload.refresh_from_db()
    message = NO_ROOM.format(what="this upload as a dataset version")
    assert (upload.status, upload.failure) == ("failed", message)
    assert (upload.dataset_number, upload.report_path) == (None, "")
    assert not MetricRun.objects.exists()
    assert list_datasets(files.datasets_dir(trust)) == []
    assert disk.files() == set()  # no extract, report, dataset version or scratch file
    page = client.get(reverse("insights_staff:upload", args=[upload.pk]))
    assert message in text(page)
    failed = AuditEntry.objects.get(target_id=str(upload.pk), action="insights.extract_failed")
    assert failed.context["failure"] == message

    disk.free()
    post_extract(client, good_extract)
    run_worker()
    again = ExtractUpload.objects.exclude(pk=upload.pk).get()
    assert (again.status, again.dataset_number) == ("valid", 1), again.failure
    assert [version.number for version in list_datasets(files.datasets_dir(trust))] == [1]
    assert MetricRun.objects.get().status == "done"


@pytest.fixture
def run_on_disk(insights_on_disk, finished_run):
    """A finished metric run whose results are on the small disk."""
    return finished_run


@pytest.mark.django_db(transaction=True)
def test_a_report_made_on_a_full_disk_fails_in_plain_words_and_can_be_made_again(
    insights_on_disk, run_on_disk, analyst, signed_in, run_worker, trust
):
    disk, client = insights_on_disk, signed_in(analyst)
    ask = {"kind": "board", "run": str(run_on_disk.pk), "period": "2025/26"}
    response = client.post(reverse("insights_staff:report_new"), ask)
    report = Report.objects.get()
    assert response["Location"] == reverse("insights_staff:report_detail", args=[report.pk])
    results = disk.files()
    disk.fill()

    run_worker()

    report.refresh_from_db()
    message = NO_ROOM.format(what="this report")
    assert (report.status, report.failure) == ("failed", message)
    assert (report.html_path, report.pdf_path, report.bytes) == ("", "", 0)
    assert disk.files() == results  # no report file, whole or half-written
    page = text(client.get(reverse("insights_staff:report_detail", args=[report.pk])))
    assert "The report could not be made" in page and message in page

    disk.free()
    client.post(reverse("insights_staff:report_new"), ask)
    run_worker()
    again = Report.objects.exclude(pk=report.pk).get()
    assert (again.status, again.version) == ("done", 2), again.failure
    assert Path(again.pdf_path).is_file()
    assert Path(again.pdf_path).is_relative_to(disk.path)


def test_a_refusal_that_quotes_a_chosen_file_name_is_not_taken_for_a_full_disk():
    """Only the system's own errors say the disk is full: a name anyone may choose does not."""
    quoted = files.UploadRefused("No space left on device.csv: not an extract table")
    assert not storage.is_disk_full(quoted)
    assert not storage.is_disk_full(FileNotFoundError(2, "No such file", "Disk quota exceeded"))
    assert storage.is_disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as error:
            raise files.UploadRefused("refused") from error
    except files.UploadRefused as refused:
        assert storage.is_disk_full(refused)
