"""Browser tests: Debian's Chromium driven by Playwright, axe-core from npm, against live_server."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

# Playwright's sync API keeps an event loop in the test thread; the ORM calls in the tests are
# still synchronous, so Django's async-safety guard would refuse them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("PCREF_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_SCRIPT = Path(settings.NODE_MODULES_DIR) / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make chromium` (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """new_page(javascript=True, user=None, base_url=None): a page in a fresh context."""
    contexts = []

    def make(javascript: bool = True, user=None, base_url: str | None = None):
        context = browser.new_context(java_script_enabled=javascript, base_url=base_url)
        if user is not None:
            context.add_cookies([signed_in_cookie(user, base_url)])
        contexts.append(context)
        page = context.new_page()
        page.javascript_enabled = javascript
        return page

    yield make
    for context in contexts:
        context.close()


def signed_in_cookie(user, base_url: str) -> dict:
    """A session cookie for the user with the second factor verified (the real sign-in page
    has its own test)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = TOTPDevice.objects.get(user=user, confirmed=True).persistent_id
    session.save()
    return {"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base_url}


@pytest.fixture
def check_page():
    """check_page(page): wait for <main>; run axe where scripts run."""
    return check_accessibility


def check_accessibility(page) -> None:
    """Wait for <main>, then, where scripts run, fail on any axe WCAG 2.2 AA violation."""
    page.wait_for_selector("main#maincontent", state="attached")
    if not page.javascript_enabled:
        return  # axe is itself a script; the same page is checked in a context with scripts
    page.add_script_tag(path=str(AXE_SCRIPT))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_22_AA,
    )
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
    ]
    assert not violations, f"axe found on {page.url}:\n" + "\n".join(violations)
