"""Public pages: in every language, right-to-left where needed, with no sign-in and no script."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def html_tag(response) -> str:
    return re.search(r"<html[^>]*>", response.content.decode()).group()


def url_in(language: str, name: str) -> str:
    with translation.override(language):
        return reverse(name)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_public_page_renders_in_every_language(client, trust, public_page_names, language):
    direction = "rtl" if language in ("ur", "ar") else "ltr"
    for name in public_page_names:
        url = url_in(language, name)
        if language != "en":
            assert url.startswith(f"/{language}/"), url
        response = client.get(url)
        assert response.status_code == 200, url
        assert html_tag(response) == f'<html lang="{language}" dir="{direction}">', url
        assert 'name="robots"' not in response.content.decode()


def test_urdu_and_arabic_pages_are_right_to_left_and_translated(client, trust):
    urdu = client.get("/ur/")
    assert html_tag(urdu) == '<html lang="ur" dir="rtl">'
    assert "Skip to main content" not in urdu.content.decode()
    assert html_tag(client.get("/ar/privacy/")) == '<html lang="ar" dir="rtl">'


def test_the_language_switcher_links_to_the_same_page_in_each_language(client, trust):
    text = client.get("/ur/accessibility/").content.decode()
    for code in LANGUAGES:
        expected = "/accessibility/" if code == "en" else f"/{code}/accessibility/"
        assert f'href="{expected}" hreflang="{code}"' in text or f'lang="{code}" dir=' in text


def test_home_page_explains_pcref_and_links_to_the_ways_in(client, trust):
    text = client.get("/").content.decode()
    assert "Patient and Carer Race Equality Framework" in text
    for name in ("feedback:start", "involvement:start", "core:published_data"):
        assert f'href="{reverse(name)}"' in text
    assert "Need help now?" in text and 'href="tel:999"' in text
    assert settings.TRUST_NAME in text


def test_our_data_page_leads_to_the_figures_and_the_yearly_report(client, trust):
    text = client.get(reverse("core:published_data")).content.decode()
    for name in ("insights:data", "insights:annual_report"):
        assert f'href="{reverse(name)}"' in text
    assert client.get(reverse("insights:annual_report")).status_code == 200


def test_pages_work_without_javascript_and_use_the_nhs_design_system(client, trust):
    text = client.get("/").content.decode()
    assert 'class="nhsuk-skip-link"' in text and 'href="#maincontent"' in text
    assert "nhsuk-frontend.min.css" in text
    # Scripts only enhance: the one script is a module loaded after the content.
    assert text.count("<script") == 2 and 'type="module"' in text
    assert '<main class="nhsuk-main-wrapper" id="maincontent"' in text


def test_contact_details_come_from_the_trust_organisation(client, trust):
    text = client.get(reverse("feedback:start")).content.decode()
    assert 'href="mailto:px@example.nhs.uk"' in text


def test_front_end_assets_are_served(client):
    for path in (
        "/static/nhsuk/nhsuk-frontend.min.css",
        "/static/pcref/init.mjs",
        "/static/nhsuk/nhsuk-frontend.min.js",
    ):
        response = client.get(path)
        assert response.status_code == 200, path


def test_unknown_pages_get_a_helpful_404_in_the_visitors_language(client):
    response = client.get("/ur/no-such-page/")
    assert response.status_code == 404
    assert html_tag(response) == '<html lang="ur" dir="rtl">'


def test_staff_pages_are_not_indexed(client):
    text = client.get(reverse("core_staff:sign_in")).content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in text


def test_only_strictly_necessary_cookies_are_set_on_public_pages(client, trust, public_page_names):
    for name in public_page_names:
        response = client.get(reverse(name))
        assert set(response.cookies) <= {"csrftoken", "sessionid"}, name
    # a first visit to the home page (no form, no journey yet) sets no cookie at all
    assert not Client().get("/").cookies


@pytest.mark.parametrize("name", ["core:home", "feedback:start", "feedback:easy_read_start"])
def test_headings_of_cards_and_callouts_are_said_once(client, trust, name):
    """nhsuk-frontend-jinja prints a translated (escaped) heading string both as text and as
    HTML; templates pass {"text": ...} so a screen reader hears each heading once."""
    page = client.get(reverse(name)).content.decode()
    assert page.count("Need help now?") == 1
    if name == "core:home":
        assert page.count('class="nhsuk-card__description"') == 3
