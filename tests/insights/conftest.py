"""Fixtures for insights: a broken synthetic extract (the good one, the engine's results on it
and the finished metric run are in tests/conftest.py), analysts, and the real worker."""

import csv
import shutil
import zipfile

import pytest


@pytest.fixture
def broken_extract(good_extract, tmp_path):
    """The good extract with mhs001_patients missing its area_code column and a referral with
    source of referral "ZZ", which is not a code."""
    folder = tmp_path / "broken"
    shutil.copytree(good_extract, folder)
    _rewrite(folder / "mhs001_patients.csv", drop="area_code")
    _rewrite(folder / "mhs101_referrals.csv", set_first=("source_of_referral", "ZZ"))
    return folder


def _rewrite(path, drop=None, set_first=None):
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    fields = [name for name in rows[0] if name != drop]
    if set_first:
        rows[0][set_first[0]] = set_first[1]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def zip_folder(folder, target, prefix=""):
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, prefix + path.name)
    return target


@pytest.fixture
def make_zip():
    return zip_folder


@pytest.fixture(autouse=True)
def insights_dir(tmp_path, settings):
    settings.INSIGHTS_DIR = tmp_path / "insights"
    return settings.INSIGHTS_DIR


@pytest.fixture
def post_files():
    """post_files(client, paths): upload files through the real upload page."""
    from django.urls import reverse

    def post(client, paths):
        handles = [open(path, "rb") for path in paths]  # noqa: SIM115
        try:
            return client.post(reverse("insights_staff:upload_new"), {"files": handles})
        finally:
            for handle in handles:
                handle.close()

    return post
