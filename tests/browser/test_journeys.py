"""Journeys in a real browser, with and without JavaScript: languages, and staff sign-in with a
code from the authenticator."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from pcref.core.demo import load_demo

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_accessibility_check_fails_on_a_real_violation(live_server, new_page, check_page):
    page = new_page(base_url=live_server.url)
    page.set_content(
        '<html lang="en"><body><main id="maincontent"><img src="x.png"></main></body></html>'
    )
    with pytest.raises(AssertionError, match="image-alt"):
        check_page(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_visitor_switches_to_urdu_and_finds_the_ways_in(
    live_server, new_page, check_page, javascript
):
    load_demo()
    page = new_page(javascript=javascript, base_url=live_server.url)
    page.goto("/")
    check_page(page)
    page.locator(".pcref-language-switcher").get_by_role("link", name="اردو").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ur")
    assert page.url.endswith("/ur/")
    check_page(page)
    page.locator("a[href='/ur/feedback/']").first.click()
    assert page.url.endswith("/ur/feedback/")
    expect(page.locator("a[href^='mailto:']").first).to_be_visible()
    check_page(page)


@pytest.mark.parametrize("language", ["en", "ur", "ar"])
def test_each_radio_circle_is_drawn_over_its_input_beside_its_label(
    live_server, new_page, language
):
    """nhsuk-frontend draws radios from the left; right to left, they must move with the input."""
    load_demo()
    page = new_page(base_url=live_server.url)
    prefix = "" if language == "en" else f"/{language}"
    page.goto(f"{prefix}/feedback/")
    page.goto(f"{prefix}/feedback/who/")
    geometry = page.evaluate(
        """() => [...document.querySelectorAll('.nhsuk-radios__item')].map(item => {
            const box = item.getBoundingClientRect();
            const input = item.querySelector('input').getBoundingClientRect();
            const label = item.querySelector('label').getBoundingClientRect();
            const circle = getComputedStyle(item.querySelector('label'), '::before');
            const left = circle.left === 'auto'
                ? box.right - parseFloat(circle.right) - parseFloat(circle.width)
                : box.left + parseFloat(circle.left);
            return {input: [input.left, input.right], circle: left, label: [label.left, label.right]};
        })"""
    )
    assert geometry
    for item in geometry:
        input_left, input_right = item["input"]
        assert input_left - 4 <= item["circle"] <= input_right  # the circle covers the input
        if language == "en":
            assert item["label"][0] >= input_right - 1  # label after the circle
        else:
            assert item["label"][1] <= input_left + 1  # right to left: label before it


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_staff_sign_in_with_password_and_authenticator_code(
    live_server, new_page, check_page, javascript
):
    load_demo()
    page = new_page(javascript=javascript, base_url=live_server.url)
    page.goto("/staff/accounts/")
    assert "/staff/sign-in/" in page.url
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("pcref-demo-2026")
    page.get_by_role("button", name="Continue").click()
    assert "/staff/sign-in/verify/" in page.url
    device = TOTPDevice.objects.get(user__username="admin")
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    page.get_by_label("Security code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/staff/accounts/")
    expect(page.get_by_role("heading", name="Staff accounts")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign out").click()
    assert "/staff/sign-in/" in page.url
    page.goto("/staff/")
    assert "/staff/sign-in/" in page.url
