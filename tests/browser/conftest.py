"""Browser tests: Debian's Chromium driven by Playwright, axe-core from npm, against live_server."""

import os
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django_otp.oath import totp
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
    # Nothing outside this machine: a page's NHS.UK fonts (assets.nhs.uk) fail at once, as
    # offline, instead of after a connection attempt of seconds, and no test reaches out.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
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
def worker(settings, tmp_path, live_server, batch_worker):
    """worker(): the real database worker (`db_worker --batch --max-tasks 1`, again and again)
    in a thread, until the queue is empty.

    An in-memory SQLite test database lives on one connection, which the live server's thread
    shares with this test; the worker shares it too, so the worker and the server take turns
    (one lock) instead of talking over each other on it. Other databases work the same way.
    """
    from django_tasks_db.models import DBTaskResult

    settings.INSIGHTS_DIR = tmp_path / "insights"
    settings.INSIGHTS_REFRESH_SECONDS = 1
    turn = threading.RLock()
    server = live_server.thread.httpd
    app = server.get_app()

    def one_at_a_time(environ, start_response):
        with turn:
            response = app(environ, start_response)
            try:
                body = b"".join(response)
            finally:
                getattr(response, "close", lambda: None)()
        return [body]

    server.set_app(one_at_a_time)
    connection = connections["default"]
    shared = connection.vendor == "sqlite" and connection.is_in_memory_db()
    threads = []

    def drain():
        if shared:
            connections["default"] = connection
        try:
            while True:
                with turn:
                    if not DBTaskResult.objects.ready().exists():
                        return
                    batch_worker("browser-test-worker", max_tasks=1).run()
                time.sleep(0.3)  # let the browser's requests in between tasks
        finally:
            if not shared:
                connections.close_all()

    def start():
        if shared:
            connection.inc_thread_sharing()
        thread = threading.Thread(target=drain, daemon=True)
        thread.start()
        threads.append(thread)

    yield start
    for thread in threads:
        thread.join(timeout=120)
        if shared:
            connection.dec_thread_sharing()


@pytest.fixture
def sign_in():
    """sign_in(page, username): through the real sign-in page, with the demo's password and a
    code from the user's authenticator."""
    return sign_in_with_code


def sign_in_with_code(page, username):
    page.goto("/staff/insights/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pcref-demo-2026")
    page.get_by_role("button", name="Continue").click()
    device = TOTPDevice.objects.get(user__username=username)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    page.get_by_label("Security code").fill(code)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def check_page():
    """check_page(page): wait for <main>; run axe where scripts run."""
    return check_accessibility


def check_accessibility(page) -> None:
    """Wait for <main>, then, where scripts run, fail on any axe WCAG 2.2 AA violation."""
    page.wait_for_selector("main#maincontent", state="attached")
    if not page.javascript_enabled:
        return  # axe is itself a script; the same page is checked in a context with scripts
    # Evaluated, not added as a <script>: the site's Content-Security-Policy refuses inline
    # scripts, and DevTools' evaluation is not a page script.
    page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    # Every rule still runs; resultTypes only spares axe the details (selectors) of what
    # passed, and only the violations come back to Python.
    found = page.evaluate(
        """async (tags) => (await axe.run(document, {
            runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
        })).violations""",
        WCAG_22_AA,
    )
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in found
    ]
    assert not violations, f"axe found on {page.url}:\n" + "\n".join(violations)
