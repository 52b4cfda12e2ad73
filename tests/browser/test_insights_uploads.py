"""An analyst uploads extracts in a real browser: a broken one gives a report, a good one
becomes a dataset version and results; the progress page reloads itself without JavaScript."""

import csv
import shutil
import zipfile

import pytest
from playwright.sync_api import expect

from pcref.core.demo import load_demo
from pcref.core.models import User

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def extracts(write_extract, tmp_path):
    """A good synthetic extract zipped, and the same extract broken, as separate files."""
    good = write_extract(tmp_path / "good")
    archive = tmp_path / "extract.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        for path in sorted(good.iterdir()):
            handle.write(path, path.name)
    broken = tmp_path / "broken"
    shutil.copytree(good, broken)
    patients = broken / "mhs001_patients.csv"
    with patients.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["sex"] = "Q"  # not a code of sex
    with patients.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[c for c in rows[0] if c != "area_code"])
        writer.writeheader()
        writer.writerows({k: v for k, v in row.items() if k != "area_code"} for row in rows)
    return archive, sorted(broken.iterdir())


def test_an_analyst_uploads_a_broken_then_a_good_extract(
    live_server, new_page, check_page, extracts, worker, sign_in
):
    load_demo()
    archive, broken_files = extracts
    page = new_page(base_url=live_server.url)
    analyst = User.objects.get(username="analyst")
    plain = new_page(javascript=False, user=analyst, base_url=live_server.url)
    sign_in(page, "analyst")
    expect(page.get_by_role("heading", name="Data uploads")).to_be_visible()
    check_page(page)
    page.goto("/staff/insights/dashboard/")  # before any upload: no results to show
    expect(page.get_by_text("There are no metric results yet")).to_be_visible()
    page.get_by_role("link", name="Upload an extract").click()
    check_page(page)

    # A broken extract: the page waits for the worker, then shows the report.
    page.get_by_label("Extract files").set_input_files(broken_files)
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("status").filter(has_text="Waiting for the checks")).to_be_visible()
    upload_url = page.url
    page.goto(upload_url + "?refresh=off")  # axe needs a page that stays put
    check_page(page)
    worker()
    page.goto(upload_url)
    expect(page.get_by_text("The extract was not loaded")).to_be_visible(timeout=30_000)
    check_page(page)
    page.get_by_role("link", name="See the validation report").click()
    expect(page.get_by_role("heading", name="mhs001_patients: area_code")).to_be_visible()
    expect(page.get_by_role("heading", name="mhs001_patients: sex")).to_be_visible()
    expect(page.get_by_role("cell", name="Q", exact=True)).to_be_visible()
    check_page(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the report (CSV)").click()
    assert "missing_column" in open(download.value.path(), encoding="utf-8").read()

    # A good extract, without JavaScript: the page reloads itself until the results are ready.
    plain.goto("/staff/insights/uploads/new/")
    plain.get_by_label("Extract files").set_input_files(archive)
    plain.get_by_role("button", name="Upload and check").click()
    status = plain.locator("#insights-progress[role=status]")
    expect(status).to_contain_text("Waiting for the checks to start")
    worker()  # from here the test only waits: each new state arrives by the page's own reload
    expect(status).to_contain_text("The metrics are ready", timeout=90_000)
    expect(
        plain.get_by_text("The extract is valid and is now dataset version v0001")
    ).to_be_visible()
    good_url = plain.url
    plain.get_by_role("link", name="See the results of dataset version v0001").click()
    expect(
        plain.get_by_role("heading", name="Metric results: dataset version v0001")
    ).to_be_visible()
    expect(plain.get_by_role("cell", name="DQ1", exact=True).first).to_be_visible()
    results_url = plain.url

    # The same pages with scripts, for axe; the history shows both uploads and the run.
    for url in (good_url, results_url, live_server.url + "/staff/insights/"):
        page.goto(url)
        check_page(page)
    expect(page.get_by_role("link", name="Dataset version v0001", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Metrics on dataset version v0001")).to_be_visible()

    # The dashboards now show the new results, with and without scripts.
    for browser_page in (plain, page):
        browser_page.goto(live_server.url + "/staff/insights/dashboard/")
        expect(browser_page.locator("#metric-DQ1")).to_contain_text("%")
        expect(browser_page.locator("[id='metric-ACC1.people'] .pcref-ratio")).to_be_visible()
    check_page(page)
