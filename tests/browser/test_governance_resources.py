"""The resources page in Chromium: a steering group member adds a link (a javascript: address
refused first), moves and hides one, and the public sees the page change, in English and in
Arabic; with and without JavaScript, axe on every page."""

import pytest
from playwright.sync_api import expect

from pcref.core.models import AuditEntry, User
from pcref.demo import load_everything
from pcref.governance.models import Resource

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "Mental Health Act Code of Practice: Easy Read version"
ADDRESS = "https://www.gov.uk/government/publications/code-of-practice-mental-health-act-1983"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_staff_keep_the_resources_page_and_the_public_sees_it(
    live_server, new_page, check_page, javascript
):
    load_everything(insights=False)
    steering = User.objects.get(username="steering")
    demo_links = Resource.objects.count()
    assert demo_links >= 6

    public = new_page(javascript=javascript, base_url=live_server.url)
    public.goto("/our-plan/")
    public.get_by_role("link", name="Guidance, Easy Read documents and related programmes").click()
    check_page(public)
    expect(public.get_by_role("heading", name="National guidance")).to_be_visible()
    expect(public.get_by_role("heading", name="Easy Read documents")).to_be_visible()
    expect(public.locator("main")).not_to_contain_text(TITLE)

    page = new_page(javascript=javascript, base_url=live_server.url, user=steering)
    page.goto("/staff/governance/")
    page.get_by_role("link", name="Edit the public resources page").click()
    check_page(page)
    expect(page.get_by_role("heading", name="Resources page", level=1)).to_be_visible()
    page.get_by_role("link", name="Add a resource").click()
    check_page(page)
    page.locator("input[name=title]").fill(TITLE)
    page.locator("input[name=url]").fill("javascript:alert(document.cookie)")
    page.locator("input[name=kind][value=easy_read]").check()
    page.get_by_role("button", name="Add resource").click()
    check_page(page)
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter an address that starts with https:// or http://")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#id_url")
    assert Resource.objects.count() == demo_links
    page.locator("input[name=url]").fill(ADDRESS)
    page.get_by_role("button", name="Add resource").click()
    check_page(page)
    expect(page.locator("main")).to_contain_text("Resource added to the public resources page.")
    added = Resource.objects.get(title=TITLE)
    assert (added.kind, added.url, added.updated_by) == ("easy_read", ADDRESS, steering)

    # Last in its group; moved up one, it comes before the demo's Easy Read link.
    page.get_by_role("button", name=f"Move up {TITLE}").click()
    check_page(page)
    public.goto("/resources/")
    check_page(public)
    easy_read = public.locator("h2#easy_read + ul li")
    expect(easy_read.first).to_contain_text(TITLE)
    expect(easy_read.first).to_contain_text("Easy Read")
    expect(easy_read.first).to_contain_text("External website: www.gov.uk")
    expect(public.get_by_role("link", name=TITLE)).to_have_attribute("href", ADDRESS)

    page.get_by_role("button", name=f"Hide {TITLE}").click()
    check_page(page)
    public.goto("/ar/resources/")
    check_page(public)
    assert public.locator("html").get_attribute("dir") == "rtl"
    expect(public.locator("main")).not_to_contain_text(TITLE)

    page.get_by_role("link", name=f"Remove {TITLE}").click()
    check_page(page)
    page.get_by_role("button", name="Remove resource").click()
    check_page(page)
    assert not Resource.objects.filter(title=TITLE).exists()
    actions = set(
        AuditEntry.objects.filter(target_id=str(added.pk)).values_list("action", flat=True)
    )
    assert actions == {
        "governance.resource_added",
        "governance.resource_moved",
        "governance.resource_hidden",
        "governance.resource_removed",
    }
