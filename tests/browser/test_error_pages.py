"""The pages shown when something outside the site fails: the database away (503) and a full
disk (507). They cannot be reached on purpose in a live server, so each is made by its real
handler, for a real error, then shown in the browser at the site's address (so its styles load)
and checked with axe, in English and in a right-to-left language."""

import pytest
from django.db import OperationalError
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext

from pcref.core.storage import no_room
from pcref.core.views.errors import server_error

pytestmark = pytest.mark.django_db


def _database_away_page(language: str) -> tuple[str, str]:
    request = RequestFactory().get(f"/{language}/feedback/check/")
    with translation.override(language):
        try:
            raise OperationalError("connection refused")
        except OperationalError:
            response = server_error(request)
        title = gettext("Sorry, the service is not available just now")
    assert response.status_code == 503 and response["Retry-After"]
    return response.content.decode(), title


def _disk_full_page(language: str) -> tuple[str, str]:
    from django.shortcuts import render

    request = RequestFactory().post("/staff/insights/uploads/new/")
    with translation.override(language):
        response = render(
            request, "core/errors/507.jinja", {"message": no_room("the file you sent")}, status=507
        )
        title = gettext("Sorry, the server is full")
    return response.content.decode(), title


@pytest.mark.parametrize("language", ["en", "ur"])
@pytest.mark.parametrize("make_page", [_database_away_page, _disk_full_page])
def test_error_pages_pass_axe(live_server, new_page, check_page, language, make_page):
    html, title = make_page(language)
    page = new_page(base_url=live_server.url)
    page.goto("/")  # the site's address, so the page's styles and pictures load
    page.set_content(html)
    check_page(page)
    assert page.locator("h1").inner_text() == title
    if language == "ur":
        assert page.locator("html").get_attribute("dir") == "rtl"
