"""The involvement register in Chromium: a member of the public signs up and withdraws (with
and without JavaScript, in English and Urdu), and an officer matches people to an opportunity;
axe on every page."""

import pytest
from playwright.sync_api import expect

from pcref.core.models import AuditEntry, User
from pcref.demo import load_everything
from pcref.involvement.models import InvolvementOpportunity, InvolvementRegistration

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["en", "ur"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_someone_signs_up_and_then_withdraws(
    live_server, new_page, check_page, language, javascript
):
    load_everything(insights=False)
    prefix = "" if language == "en" else f"/{language}"
    page = new_page(javascript=javascript, base_url=live_server.url)
    page.goto(f"{prefix}/")
    page.locator(f"main a[href='{prefix}/get-involved/']").first.click()
    check_page(page)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ur" else "ltr")
    page.locator(f"main a[href='{prefix}/get-involved/sign-up/']").click()
    check_page(page)
    page.locator("form button.nhsuk-button").click()  # nothing filled in: errors, still axe-clean
    check_page(page)
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert not InvolvementRegistration.objects.filter(name="Layla Hassan").exists()
    page.locator("input[name=name]").fill("Layla Hassan")
    page.locator("input[name=phone]").fill("0116 000 0042")
    page.locator("input[name=interests][value=share_experiences]").check()
    page.locator("input[name=interests][value=review_documents]").check()
    page.locator("textarea[name=communities]").fill("Somali community, Highfields")
    page.locator("input[name=ethnic_group][value=black-african]").check()
    page.locator("textarea[name=access_needs]").fill("Somali interpreter")
    page.locator("input[name=preferred_language]").fill("Somali")
    page.locator("input[name=consent]").check()
    page.locator("form button.nhsuk-button").click()
    assert page.url.endswith(f"{prefix}/get-involved/signed-up/")
    check_page(page)
    registration = InvolvementRegistration.objects.get(name="Layla Hassan")
    assert registration.interface_language == language and registration.phone == "0116 000 0042"
    link = page.locator(".pcref-withdraw-link a")
    expect(link).to_be_visible()
    link.click()
    assert "/get-involved/withdraw/" in page.url
    check_page(page)
    registration.refresh_from_db()
    assert not registration.is_withdrawn  # opening the link only asks
    page.locator("form button.nhsuk-button").click()
    assert page.url.endswith(f"{prefix}/get-involved/withdrawn/")
    check_page(page)
    registration.refresh_from_db()
    assert registration.is_withdrawn
    assert (registration.name, registration.phone, registration.communities) == ("", "", "")
    assert registration.access_needs == "" and registration.preferred_language == ""


def test_an_officer_matches_people_to_an_opportunity(live_server, new_page, check_page):
    load_everything(insights=False)
    officer = User.objects.get(username="pxo")
    page = new_page(base_url=live_server.url, user=officer)
    page.goto("/staff/involvement/")
    check_page(page)
    page.locator("select[name=interest]").select_option("training")
    page.get_by_role("button", name="Apply filters").click()
    check_page(page)
    expect(page.locator("tbody tr")).to_have_count(1)
    page.locator("tbody a").first.click()
    check_page(page)
    person = InvolvementRegistration.objects.get(pk=page.url.rstrip("/").rsplit("/", 1)[-1])
    page.get_by_role("link", name="See name and contact details (your look is recorded)").click()
    check_page(page)
    expect(page.locator("main")).to_contain_text(person.name)
    assert AuditEntry.objects.filter(
        action="involvement.contact_details_viewed", actor=officer, target_id=str(person.pk)
    ).exists()
    page.goto("/staff/involvement/opportunities/")
    check_page(page)
    page.get_by_role("link", name="Add an opportunity").click()
    check_page(page)
    page.get_by_role("button", name="Add opportunity").click()  # errors pass axe too
    check_page(page)
    page.locator("input[name=title]").fill("Co-produce cultural awareness training")
    page.locator("textarea[name=description]").fill("Three workshops with our training team.")
    page.locator("input[name=kind][value=training]").check()
    page.locator("input[name=takes_place_on]").fill("2027-04-20")
    page.get_by_role("button", name="Add opportunity").click()
    check_page(page)
    opportunity = InvolvementOpportunity.objects.get(title__startswith="Co-produce")
    page.locator(f"input[name=people][value='{person.pk}']").check()
    page.get_by_role("button", name="Invite").click()
    check_page(page)
    page.locator("select[name$='-status']").first.select_option("taking_part")
    page.get_by_role("button", name="Save").first.click()
    check_page(page)
    match = opportunity.matches.get()
    assert match.registration == person and match.status == "taking_part"
    page.get_by_role("link", name="Back to opportunities").click()
    page.get_by_role("link", name="Partner organisations").click()
    check_page(page)
    page.get_by_role("link", name="Jamila's Legacy").click()
    check_page(page)
    expect(page.locator("main")).to_contain_text("Fatima Ahmed")  # from the demo
    page.get_by_role("button", name="Add contact").click()  # nothing filled in: errors, axe-clean
    check_page(page)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter the person's name")
    page.locator("input[name=contact-name]").fill("Samira Yusuf")
    page.locator("input[name=contact-email]").fill("samira@example.org")
    page.get_by_role("button", name="Add contact").click()
    check_page(page)
    expect(page.locator("main")).to_contain_text("Samira Yusuf")
