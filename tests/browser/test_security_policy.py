"""The site's own Content-Security-Policy in a real browser (issue #8, hardening): public pages,
the feedback form, the public data page and a staff metric page with charts, with JavaScript
on. Nothing is refused, the NHS.UK template's inline script runs with its nonce, charts become
interactive, and axe still runs; a script or style the policy does not allow is refused.

(It lives here, not in tests/security/, because it needs this folder's browser fixtures.)"""

import re

import pytest
from playwright.sync_api import expect

from pcref.core.demo import load_demo
from pcref.core.models import User
from pcref.insights import publication

pytestmark = pytest.mark.django_db(transaction=True)

POLICY_MESSAGE = re.compile(r"Content.Security.Policy|Refused to|Permissions.Policy", re.I)


@pytest.fixture
def site(finish_a_run, settings, tmp_path):
    """The demo with a finished, published metric run of the real engine."""
    settings.INSIGHTS_DIR = tmp_path / "insights"
    load_demo()
    analyst = User.objects.get(username="analyst")
    run = finish_a_run(analyst.organisation)
    publication.publish(run, by=analyst)
    return analyst


def watch(page) -> list[str]:
    """Every console error or warning and uncaught exception of the page, as text. Chromium
    reports what a policy refuses as a console error ("… violates the following Content
    Security Policy directive …") and a header it cannot read as one too."""
    messages = []
    page.on(
        "console",
        lambda message: (
            messages.append(f"{message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    return messages


def policy_problems(messages: list[str]) -> list[str]:
    return [m for m in messages if POLICY_MESSAGE.search(m) or m.startswith("pageerror")]


def open_page(page, url: str, check_page) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy, url
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
    # the NHS.UK template's inline script ran: it carries the nonce the policy names
    expect(page.locator("body")).to_have_class(re.compile(r"\bjs-enabled\b"))
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert page.locator("body > script").first.get_attribute("nonce") is not None
    assert page.evaluate("document.querySelector('body > script').nonce") == nonce
    check_page(page)


def test_public_pages_run_under_the_policy_without_a_refusal(
    site, live_server, new_page, check_page
):
    page = new_page(base_url=live_server.url)
    messages = watch(page)
    open_page(page, "/", check_page)
    open_page(page, "/feedback/", check_page)
    page.locator("a.nhsuk-button").click()  # start: the first question of the form
    expect(page.locator("input[name=respondent_type]").first).to_be_attached()
    open_page(page, page.url, check_page)
    open_page(page, "/data/", check_page)
    expect(page.get_by_role("heading", name="Published figures on race equality")).to_be_visible()
    open_page(page, "/staff/sign-in/", check_page)
    assert not policy_problems(messages), messages


def test_a_metric_page_with_charts_is_interactive_under_the_policy(
    site, live_server, new_page, check_page
):
    page = new_page(user=site, base_url=live_server.url)
    messages = watch(page)
    page.goto("/staff/insights/dashboard/")
    page.get_by_role("link", name="People detained under the Mental Health Act").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("People detained")
    page.wait_for_load_state("load")  # every figure parsed before they are counted
    figures = page.locator("figure.pcref-chart__figure")
    count = figures.count()
    assert count >= 3
    # every chart became Vega's own view (scripts from 'self', expressions without eval)
    expect(page.locator("figure[data-pcref-interactive='true']")).to_have_count(count)
    expect(page.locator(".pcref-chart__interactive svg.marks")).to_have_count(count)
    chart = page.locator("#by-group .pcref-chart__interactive")
    chart.locator("path[aria-roledescription='point']").last.hover()
    expect(chart).to_have_attribute("title", re.compile(r"Group: .+95% interval: .+ to .+", re.S))
    open_page(page, page.url, check_page)  # again, with the policy's checks and axe
    expect(page.locator("figure[data-pcref-interactive='true']")).to_have_count(count)
    assert not policy_problems(messages), messages


def test_the_policy_refuses_what_it_does_not_allow(trust, live_server, new_page):
    """The watch above can fail: an inline script without the nonce, a style attribute and
    an image from elsewhere are each refused, and reported."""
    page = new_page(base_url=live_server.url)
    messages = watch(page)
    page.goto("/")
    page.evaluate(
        """() => {
            const script = document.createElement('script');
            script.textContent = 'document.body.dataset.injected = "ran"';
            document.body.append(script);
            document.body.insertAdjacentHTML('beforeend',
                '<p id="styled" style="color: rgb(255, 0, 0)">x</p>' +
                '<img alt="" src="https://example.com/pixel.png">');
        }"""
    )
    expect(page.locator("#styled")).to_be_attached()
    assert page.evaluate("document.body.dataset.injected") is None
    assert page.evaluate("getComputedStyle(document.getElementById('styled')).color") != (
        "rgb(255, 0, 0)"
    )

    def refused(directive):
        return any(directive in message for message in policy_problems(messages))

    for _ in range(50):  # console messages arrive on their own: wait for all three
        if all(refused(directive) for directive in ("script-src", "style-src", "img-src")):
            break
        page.wait_for_timeout(100)
    assert refused("script-src"), messages
    assert refused("style-src"), messages
    assert refused("img-src"), messages
