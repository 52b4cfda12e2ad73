"""A partner user is someone of a partner organisation with that one role."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pcref.core import services
from pcref.core.models import User
from pcref.core.roles import Role

pytestmark = pytest.mark.django_db


def test_the_partner_role_is_refused_on_a_trust_account_and_beside_other_roles(
    trust, partner_organisation, make_staff, signed_in
):
    admin = make_staff(trust, Role.ADMINISTRATOR)
    account = {
        "username": "qa1",
        "email": "qa1@example.nhs.uk",
        "first_name": "Q",
        "last_name": "A",
        "roles": ["partner_user", "administrator"],
    }
    response = signed_in(admin).post(reverse("core_staff:staff_add"), account)
    assert response.status_code in (200, 400)
    assert "Partner user is for people of partner organisations" in response.content.decode()
    assert not User.objects.filter(username="qa1").exists()
    with pytest.raises(ValidationError, match="A partner user has no other role"):
        services.create_staff_user(
            partner_organisation,
            username="qa2",
            email="qa2@example.org",
            first_name="Q",
            last_name="A",
            roles=[Role.PARTNER_USER, Role.ANALYST],
            password=None,
            by=admin,
        )
    partner = make_staff(partner_organisation, Role.PARTNER_USER)
    with pytest.raises(ValidationError):
        services.set_roles(partner, [Role.PARTNER_USER, Role.ADMINISTRATOR], by=admin)
    assert set(User.objects.get(pk=partner.pk).roles) == {Role.PARTNER_USER}
