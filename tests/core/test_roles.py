"""The partner organisation user role is for people of partner organisations, never a trust's."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pcref.core import services
from pcref.core.models import User
from pcref.core.roles import Role

pytestmark = pytest.mark.django_db

REFUSED = "Partner organisation user is for people of partner organisations, not of a trust"


def test_the_partner_role_is_refused_on_a_trust_account(trust, make_staff, signed_in):
    admin = make_staff(trust, Role.ADMINISTRATOR)
    client = signed_in(admin)
    account = {
        "username": "qa1",
        "email": "qa1@example.nhs.uk",
        "first_name": "Q",
        "last_name": "A",
        "roles": ["partner_user", "analyst"],
    }
    response = client.post(reverse("core_staff:staff_add"), account)
    assert REFUSED in response.content.decode()
    assert not User.objects.filter(username="qa1").exists()
    analyst = make_staff(trust, Role.ANALYST)
    url = reverse("core_staff:staff_roles", args=[analyst.pk])
    response = client.post(url, {"roles": ["partner_user", "analyst"]})
    assert REFUSED in response.content.decode()
    assert set(User.objects.get(pk=analyst.pk).roles) == {Role.ANALYST}


def test_a_partner_organisations_account_takes_the_role(partner_organisation, trust, make_staff):
    admin = make_staff(trust, Role.ADMINISTRATOR)
    partner = services.create_staff_user(
        partner_organisation,
        username="partner1",
        email="partner1@example.org",
        first_name="P",
        last_name="U",
        roles=[Role.PARTNER_USER],
        password=None,
        by=admin,
    )
    assert partner.roles == {Role.PARTNER_USER}
    with pytest.raises(ValidationError, match="not of a trust"):
        services.set_roles(make_staff(trust, Role.ANALYST), [Role.PARTNER_USER], by=admin)
