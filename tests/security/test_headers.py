"""Security headers (issue #8, hardening): every public page and a sample of staff pages send
the Content-Security-Policy (no 'unsafe-inline', no 'unsafe-eval'), Permissions-Policy,
Cross-Origin-Opener-Policy, Referrer-Policy, X-Content-Type-Options and X-Frame-Options; pages
hold nothing the policy would refuse (inline scripts without the nonce, style attributes,
<style> elements, event-handler attributes). The browser's view of the same policy is
tests/browser/test_security_policy.py."""

import re

import pytest
from django.urls import reverse

from pcref.core import services
from pcref.core.models import ServiceTeam
from pcref.core.roles import Role
from pcref.core.security import content_security_policy
from pcref.insights import publication

pytestmark = pytest.mark.django_db

PAGE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'nonce-…'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "font-src": ["'self'", "https://assets.nhs.uk"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
FILE_POLICY = {"default-src": ["'none'"], "frame-ancestors": ["'none'"], "sandbox": []}
REFUSED_FEATURES = ["camera", "microphone", "geolocation", "payment", "usb"]

NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]{22,})'")
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
TAG = re.compile(r"<[a-zA-Z][^<>]*>")
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)
EVENT_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=", re.I)


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        assert name not in parsed, f"{name} twice in {policy}"
        parsed[name] = sources
    return parsed


def page_nonce(response, url: str) -> str:
    """The response's policy is the page policy; its nonce."""
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
    assert "unsafe-hashes" not in policy and "*" not in policy, url
    nonce = NONCE.search(policy).group(1)
    shape = directives(NONCE.sub("'nonce-…'", policy))
    assert shape == PAGE_POLICY, url
    return nonce


def assert_common_headers(response, url: str, *, static: bool = False) -> None:
    features = dict(
        item.strip().split("=", 1) for item in response["Permissions-Policy"].split(",")
    )
    for feature in REFUSED_FEATURES:
        assert features.get(feature) == "()", (url, feature)
    assert set(features.values()) == {"()"}, url  # every feature named is refused
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", url
    assert response["Referrer-Policy"] == "same-origin", url
    assert response["X-Content-Type-Options"] == "nosniff", url
    if not static:  # WhiteNoise answers before Django's clickjacking middleware; every
        # policy has frame-ancestors 'none', which browsers follow instead
        assert response["X-Frame-Options"] == "DENY", url
    assert "Strict-Transport-Security" not in response, url  # production only (test_deploy)


def assert_page_is_within_the_policy(response, url: str) -> None:
    """Headers, and markup the policy would not refuse."""
    assert response["Content-Type"].startswith("text/html"), url
    assert_common_headers(response, url)
    nonce = page_nonce(response, url)
    html = response.content.decode()
    scripts = SCRIPT_TAG.findall(html)
    assert scripts, url  # the NHS.UK template's inline script, at least
    for attributes in scripts:
        if "src=" in attributes or 'type="application/json"' in attributes:
            continue  # our own files, and data the browser does not run
        assert f'nonce="{nonce}"' in attributes, (url, attributes)
    assert "<style" not in html.lower(), url
    for tag in TAG.findall(html):
        assert not STYLE_ATTRIBUTE.search(tag), (url, tag)
        assert not EVENT_ATTRIBUTE.search(tag), (url, tag)
    assert "javascript:" not in html.lower(), url


def test_every_public_page_sends_the_headers(client, trust, public_page_names):
    for name in public_page_names:
        url = reverse(name)
        response = client.get(url)
        assert response.status_code == 200, url
        assert_page_is_within_the_policy(response, url)
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert_page_is_within_the_policy(missing, "/no-such-page/")


def test_each_response_has_its_own_nonce(client, trust):
    nonces = {page_nonce(client.get("/"), "/") for _ in range(3)}
    assert len(nonces) == 3


def test_the_sign_in_page_and_its_redirects_send_the_headers(client, trust):
    response = client.get(reverse("core_staff:staff_home"))
    assert response.status_code == 302  # to sign in
    assert_common_headers(response, "redirect")
    sign_in = client.get(response["Location"])
    assert sign_in.status_code == 200
    assert_page_is_within_the_policy(sign_in, response["Location"])


def test_staff_pages_send_the_headers(
    trust, make_staff, signed_in, staff_urls, finish_a_run, settings, tmp_path
):
    """A sample of staff pages in every app, and a metric page with its charts (static SVG
    inlined in the page: no style attributes there either)."""
    settings.INSIGHTS_DIR = tmp_path / "insights"
    team = services.add_service_team(
        trust, {"name": "Ashby Ward", "kind": ServiceTeam.Kind.INPATIENT_WARD}, by="demo"
    )
    user = make_staff(
        trust,
        Role.ADMINISTRATOR,
        Role.ANALYST,
        Role.PATIENT_EXPERIENCE_OFFICER,
        Role.STEERING_GROUP_MEMBER,
        username="everyone",
    )
    run = finish_a_run(trust)
    client = signed_in(user)
    pages = [
        *(url for url in staff_urls(trust, team, user) if url != reverse("core_staff:sign_out")),
        reverse("feedback_staff:inbox"),
        reverse("insights_staff:dashboard"),
        reverse("insights_staff:metric", args=["MHA1.people"]),
        reverse("insights_staff:history"),
        reverse("involvement_staff:register"),
        reverse("governance_staff:plans"),
        reverse("governance_staff:groups"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_page_is_within_the_policy(response, url)
    metric = client.get(reverse("insights_staff:metric", args=["MHA1.people"])).content.decode()
    assert metric.count('class="pcref-chart__svg"') >= 3  # the charts were there to check

    # Not pages: downloads and files get a policy under which nothing runs or loads.
    publication.publish(run, by=user)
    for url in (
        reverse("insights:data_csv"),
        reverse("insights:data_json"),
        "/static/pcref/init.mjs",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert directives(response["Content-Security-Policy"]) == FILE_POLICY, url
        assert_common_headers(response, url, static=url.startswith("/static/"))


def test_each_kind_of_response_gets_its_policy():
    assert directives(content_security_policy("text/html; charset=utf-8", "n0nce")) == {
        **PAGE_POLICY,
        "script-src": ["'self'", "'nonce-n0nce'"],
    }
    # Chrome shows a PDF in an <embed> with inline styles: only framing is limited
    assert content_security_policy("application/pdf", "n0nce") == "frame-ancestors 'none'"
    for other in ("image/svg+xml", "text/csv; charset=utf-8", "application/json", ""):
        assert directives(content_security_policy(other, "n0nce")) == FILE_POLICY, other
