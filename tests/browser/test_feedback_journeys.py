"""The feedback journeys in Chromium: public (English and Urdu, with and without JavaScript;
standard and Easy Read) and staff (inbox to a published "You said, we did" entry), with axe on
every page."""

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from pcref.core.models import User
from pcref.demo import load_everything
from pcref.feedback.models import FeedbackSubmission, YouSaidWeDidEntry

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = {
    "en": "Nobody asked about my son's diet. <script>alert(1)</script>",
    "ur": "میرے بیٹے کے کھانے کے بارے میں کسی نے نہیں پوچھا۔ <script>alert(1)</script>",
}


@pytest.mark.parametrize("language", ["en", "ur"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_carer_gives_feedback(live_server, new_page, check_page, language, javascript):
    load_everything(insights=False)
    prefix = "" if language == "en" else f"/{language}"
    page = new_page(javascript=javascript, base_url=live_server.url)
    page.goto(f"{prefix}/feedback/")
    check_page(page)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ur" else "ltr")
    page.locator("a.nhsuk-button").click()

    def continue_():
        page.locator("form button.nhsuk-button").click()
        check_page(page)

    check_page(page)
    page.locator("input[name=respondent_type][value=carer]").check()
    continue_()
    page.locator("select[name=service_team]").select_option(index=1)
    continue_()
    continue_()  # nothing written: the error is shown, and the page still passes axe
    assert page.title().startswith("Error:" if language == "en" else "")
    page.locator("textarea[name=text]").fill(WORDS[language])
    continue_()
    page.locator("textarea[name=cultural_needs]").fill("Halal food was not offered.")
    continue_()
    page.locator("input[name=overall_experience][value=poor]").check()
    continue_()
    page.locator("input[name=wants_reply][value=yes]").check()
    continue_()
    page.locator("input[name=preferred_method][value=email]").check()
    page.locator("input[name=email]").fill("carer@example.com")
    page.locator("input[name=consent]").check()
    continue_()
    page.locator("input[name=ethnic_group][value=asian-pakistani]").check()
    continue_()
    assert "/feedback/check/" in page.url
    expect(page.locator("main")).to_contain_text("carer@example.com")
    page.locator("form button.nhsuk-button").click()
    assert page.url.endswith(f"{prefix}/feedback/sent/")
    check_page(page)
    submission = FeedbackSubmission.objects.get(text=WORDS[language])
    expect(page.locator(".nhsuk-panel")).to_contain_text(submission.reference)
    assert submission.interface_language == language
    assert submission.contact_details.email == "carer@example.com"


@pytest.mark.parametrize("language", ["en", "ur"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_someone_gives_feedback_in_easy_read(
    live_server, new_page, check_page, language, javascript
):
    load_everything(insights=False)
    prefix = "" if language == "en" else f"/{language}"
    page = new_page(javascript=javascript, base_url=live_server.url)
    page.goto(f"{prefix}/feedback/")
    page.locator(f"main a[href='{prefix}/feedback/easy-read/']").click()
    check_page(page)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ur" else "ltr")
    expect(page.locator("main a[href='tel:999']")).to_be_visible()
    page.locator("a.nhsuk-button").click()

    def continue_():
        page.locator("form button.nhsuk-button").click()
        check_page(page)

    def easy(words):
        with translation.override(language):
            return gettext(words)

    check_page(page)
    expect(page.locator("main")).to_contain_text(easy("I care for someone"))
    page.locator("input[name=respondent_type][value=carer]").check()
    continue_()
    expect(page.locator("h1")).to_contain_text(easy("Which service was it?"))
    page.locator("select[name=service_team]").select_option(index=1)
    continue_()
    continue_()  # nothing written: the error is shown, and the page still passes axe
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(easy("Tell us what happened"))
    page.locator("textarea[name=text]").fill(WORDS[language])
    continue_()
    expect(page.locator("h1")).to_contain_text(easy("3 more questions"))
    continue_()
    page.locator("input[name=overall_experience][value=neither]").check()
    continue_()
    page.locator("input[name=wants_reply][value=yes]").check()
    continue_()
    page.locator("input[name=preferred_method][value=phone]").check()
    page.locator("input[name=phone]").fill("0116 000 0000")
    page.locator("input[name=consent]").check()
    continue_()
    expect(page.locator("input[name=religion]")).to_have_count(0)  # fewer questions
    page.locator("input[name=ethnic_group][value=asian-pakistani]").check()
    page.locator("input[name=disability][value=prefer_not_to_say]").check()
    continue_()
    assert "/feedback/check/" in page.url
    expect(page.locator("main")).to_contain_text(easy("Here are your answers."))
    expect(page.locator("main")).to_contain_text(easy("OK"))
    page.locator("form button.nhsuk-button").click()
    assert page.url.endswith(f"{prefix}/feedback/sent/")
    check_page(page)
    expect(page.locator("main")).to_contain_text(easy("Thank you for telling us."))
    submission = FeedbackSubmission.objects.get(text=WORDS[language])
    expect(page.locator(".nhsuk-panel")).to_contain_text(submission.reference)
    assert (
        submission.interface_language == language and submission.disability == "prefer_not_to_say"
    )
    assert submission.overall_experience == "neither"
    assert submission.contact_details.phone == "0116 000 0000"


def test_staff_journey_from_inbox_to_a_published_change(live_server, new_page, check_page):
    load_everything(insights=False)
    officer = User.objects.get(username="pxo")
    page = new_page(base_url=live_server.url, user=officer)
    page.goto("/staff/feedback/")
    check_page(page)
    page.locator("table a").first.click()
    check_page(page)
    submission = FeedbackSubmission.objects.get(
        reference=page.locator("h1").inner_text().split()[1]
    )
    page.locator("input[name=triage-sentiment][value=negative]").check()
    if not page.locator("input[name=triage-themes]:checked").count():
        page.locator("input[name=triage-themes]").first.check()
    page.get_by_role("button", name="Save triage").click()
    check_page(page)
    page.get_by_role("button", name="Save", exact=True).click()
    check_page(page)
    page.get_by_role("link", name='Write a "You said, we did" entry from this feedback').click()
    check_page(page)
    page.locator("textarea[name=you_said]").fill(
        "People told us the crisis team did not call back."
    )
    page.locator("textarea[name=we_did]").fill(
        "The crisis team now calls everyone back within 4 hours."
    )
    page.get_by_role("button", name="Save draft and check").click()
    check_page(page)
    page.get_by_role("button", name="I have checked it: publish").click()
    check_page(page)
    entry = YouSaidWeDidEntry.objects.get(we_did__startswith="The crisis team now calls")
    assert entry.status == "published" and submission in entry.submissions.all()
    page.goto("/you-said-we-did/")
    check_page(page)
    expect(page.locator("main")).to_contain_text("within 4 hours")
