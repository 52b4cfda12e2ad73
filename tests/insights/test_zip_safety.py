"""Zip uploads are unpacked safely: every hazard is refused, naming the member, leaving nothing."""

import stat
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pcref.insights import files
from pcref.insights.files import UploadRefused
from pcref.insights.models import ExtractUpload

HEADER = b"person_id,organisation_code,ethnic_category,sex,year_of_birth,area_code\n"


def make_zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:  # a name, or a ZipInfo for special members
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("member", "message"),
    [
        ("../mhs001_patients.csv", "points outside the extract"),
        ("extract/../../mhs001_patients.csv", "points outside the extract"),
        ("/etc/mhs001_patients.csv", "points outside the extract"),
        ("C:/temp/mhs001_patients.csv", "points outside the extract"),
        ("patients.csv", "not an extract table"),
        ("a/b/mhs001_patients.csv", "not an extract table"),
        ("mhs001_patients.csv.exe", "not an extract table"),
    ],
)
def test_a_dangerous_or_unknown_member_is_refused_by_name(tmp_path, member, message):
    archive = make_zip(tmp_path / "upload.zip", [(member, HEADER)])
    target = tmp_path / "extract"
    with pytest.raises(UploadRefused, match=message) as refusal:
        files.extract_zip(archive, target)
    assert member in str(refusal.value)
    assert not any(target.rglob("*")) if target.exists() else True
    assert not (tmp_path / "mhs001_patients.csv").exists()


def test_a_link_is_refused(tmp_path):
    info = zipfile.ZipInfo("mhs001_patients.csv")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = make_zip(tmp_path / "upload.zip", [(info, "/etc/passwd")])
    with pytest.raises(UploadRefused, match="mhs001_patients.csv in the zip is a link"):
        files.extract_zip(archive, tmp_path / "extract")


def test_a_zip_bomb_is_refused_before_anything_is_written(tmp_path):
    archive = make_zip(tmp_path / "upload.zip", [("mhs201_care_contacts.csv", b"0" * 50_000_000)])
    target = tmp_path / "extract"
    with pytest.raises(UploadRefused, match="mhs201_care_contacts.csv in the zip expands"):
        files.extract_zip(archive, target)
    assert not target.exists() or not any(target.iterdir())


def test_a_zip_over_the_size_limit_is_refused(tmp_path, settings):
    settings.INSIGHTS_MAX_UPLOAD_BYTES = 1_000
    archive = make_zip(tmp_path / "upload.zip", [("mhs001_patients.csv", HEADER * 40)])
    with pytest.raises(UploadRefused, match="more than the"):
        files.extract_zip(archive, tmp_path / "extract")


def test_a_table_given_twice_is_refused(tmp_path):
    archive = make_zip(
        tmp_path / "upload.zip",
        [("mhs001_patients.csv", HEADER), ("copy/mhs001_patients.csv", HEADER)],
    )
    with pytest.raises(UploadRefused, match="mhs001_patients.csv: the same file was given twice"):
        files.extract_zip(archive, tmp_path / "extract")


def test_a_good_zip_in_a_folder_unpacks_and_skips_zip_tool_noise(tmp_path):
    archive = make_zip(
        tmp_path / "upload.zip",
        [
            ("extract/", b""),
            ("extract/mhs001_patients.csv", HEADER),
            ("__MACOSX/extract/._mhs001_patients.csv", b"junk"),
        ],
    )
    received = files.extract_zip(archive, tmp_path / "extract")
    assert [(f.name, f.bytes) for f in received] == [("mhs001_patients.csv", len(HEADER))]
    assert (tmp_path / "extract" / "mhs001_patients.csv").read_bytes() == HEADER
    assert not archive.exists()


def test_something_that_is_not_a_zip_is_refused_by_the_name_it_was_given(tmp_path):
    uploaded = SimpleUploadedFile("march extract.zip", b"not a zip")
    with pytest.raises(UploadRefused, match="^march extract.zip is not a zip file"):
        files.save_files([uploaded], tmp_path / "extract")
    assert not list((tmp_path / "extract").iterdir())


@pytest.mark.django_db
def test_the_upload_page_names_the_refused_member_and_saves_nothing(
    analyst, signed_in, tmp_path, insights_dir
):
    archive = make_zip(tmp_path / "extract.zip", [("../../evil.csv", HEADER)])
    with archive.open("rb") as handle:
        response = signed_in(analyst).post(reverse("insights_staff:upload_new"), {"files": handle})
    assert response.status_code == 200
    body = response.content.decode()
    assert "../../evil.csv in the zip points outside the extract" in body
    assert "There is a problem" in body
    assert not ExtractUpload.objects.exists()
    assert not any(insights_dir.rglob("*.csv")) if insights_dir.exists() else True


@pytest.mark.django_db
def test_unknown_file_names_are_refused_by_name(analyst, signed_in, tmp_path):
    good, bad = tmp_path / "mhs001_patients.csv", tmp_path / "notes.txt"
    good.write_bytes(HEADER)
    bad.write_bytes(b"hello")
    with good.open("rb") as one, bad.open("rb") as two:
        response = signed_in(analyst).post(
            reverse("insights_staff:upload_new"), {"files": [one, two]}
        )
    assert "notes.txt: not an extract table" in response.content.decode()
    assert not ExtractUpload.objects.exists()


@pytest.mark.django_db
def test_a_zip_with_other_files_is_refused(analyst, signed_in, tmp_path):
    archive = make_zip(tmp_path / "extract.zip", [("mhs001_patients.csv", HEADER)])
    table = tmp_path / "population.csv"
    table.write_bytes(b"x\n")
    with archive.open("rb") as one, table.open("rb") as two:
        response = signed_in(analyst).post(
            reverse("insights_staff:upload_new"), {"files": [one, two]}
        )
    assert "Upload one zip file on its own" in response.content.decode()


@pytest.mark.django_db
def test_no_files_is_an_error_naming_the_field(analyst, signed_in):
    response = signed_in(analyst).post(reverse("insights_staff:upload_new"), {})
    assert "Choose the extract&#39;s files, or a zip file of them" in response.content.decode()


def test_a_large_upload_is_moved_into_place_not_read_into_memory(tmp_path, settings):
    from django.core.files.uploadedfile import TemporaryUploadedFile

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    uploaded = TemporaryUploadedFile("mhs201_care_contacts.csv", "text/csv", 0, "utf-8")
    uploaded.write(b"x" * 3_000_000)
    uploaded.flush()
    temporary = uploaded.temporary_file_path()
    received = files.save_files([uploaded], tmp_path / "extract")
    assert [(f.name, f.bytes) for f in received] == [("mhs201_care_contacts.csv", 3_000_000)]
    assert not Path(temporary).exists()  # moved (a rename on the same disk)
    uploaded.close()  # Django closes it after the request: a moved file is not an error
