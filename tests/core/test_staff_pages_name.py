"""Staff pages name the signed-in person's own organisation, not the hosting trust."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from pcref.core.roles import Role

pytestmark = pytest.mark.django_db


def test_a_partner_trusts_staff_see_their_own_trust_in_the_header(
    other_trust, make_staff, signed_in
):
    admin = make_staff(other_trust, Role.ADMINISTRATOR)
    page = signed_in(admin).get(reverse("core_staff:staff_home")).content.decode()
    header = re.search(r"<header.*?</header>", page, re.S).group(0)
    assert "Other NHS Foundation Trust" in header
    assert settings.TRUST_NAME not in header
    assert re.search(r"<title>[^<]*Other NHS Foundation Trust</title>", page)
