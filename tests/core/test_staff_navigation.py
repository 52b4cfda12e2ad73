"""The staff menu marks the item a page belongs to, and only that one."""

import re

import pytest
from django.urls import reverse

from pcref.core.roles import Role

pytestmark = pytest.mark.django_db


def marked_items(html: str) -> list[str]:
    """The menu items shown as the current section (nhsuk header: --current / aria-current)."""
    items = re.findall(
        r'<li class="nhsuk-header__navigation-item([^"]*)"[^>]*>(.*?)</li>', html, re.S
    )
    return [
        re.sub(r"<[^>]+>", "", body).strip()
        for classes, body in items
        if "current" in classes or "aria-current" in body
    ]


@pytest.mark.parametrize(
    ("address", "item"),
    [
        (reverse("insights_staff:dashboard"), "Insights dashboard"),
        (reverse("insights_staff:quality"), "Insights dashboard"),
        (reverse("insights_staff:experience"), "Insights dashboard"),
        (reverse("insights_staff:history"), "Data uploads"),
        (reverse("insights_staff:upload_new"), "Data uploads"),
        (reverse("insights_staff:reports"), "Reports"),
    ],
)
def test_the_page_marks_its_own_menu_item(trust, make_staff, signed_in, address, item):
    analyst = make_staff(trust, Role.ANALYST, username="analyst")
    response = signed_in(analyst).get(address)

    assert response.status_code == 200
    assert marked_items(response.content.decode()) == [item]
