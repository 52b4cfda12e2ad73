"""Who reaches which staff page: sign-in, second factor, roles and organisation scoping."""

import pytest
from django.urls import reverse

from pcref.core import services
from pcref.core.models import ServiceTeam
from pcref.core.roles import Role

pytestmark = pytest.mark.django_db


def pages_needing_sign_in(staff_urls, trust, team, person):
    """Every core staff page except signing out, which anyone may reach."""
    return [url for url in staff_urls(trust, team, person) if url != reverse("core_staff:sign_out")]


@pytest.fixture
def ward(trust):
    return services.add_service_team(
        trust, {"name": "Ashby Ward", "kind": ServiceTeam.Kind.INPATIENT_WARD}, by="demo"
    )


def test_anonymous_visitors_are_sent_to_sign_in(client, trust, ward, make_staff, staff_urls):
    admin = make_staff(trust, Role.ADMINISTRATOR)
    for url in pages_needing_sign_in(staff_urls, trust, ward, admin):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("core_staff:sign_in") + "?next="), url


def test_staff_without_a_second_factor_must_set_one_up(client, trust, ward, make_staff, staff_urls):
    admin = make_staff(trust, Role.ADMINISTRATOR, authenticator=False)
    client.force_login(admin)
    for url in pages_needing_sign_in(staff_urls, trust, ward, admin):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("core_staff:two_factor_setup")), url


def test_staff_with_an_unverified_second_factor_must_enter_a_code(
    client, trust, ward, make_staff, staff_urls
):
    admin = make_staff(trust, Role.ADMINISTRATOR)
    client.force_login(admin)  # password only: the second factor is not verified
    for url in pages_needing_sign_in(staff_urls, trust, ward, admin):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("core_staff:verify")), url


def test_a_password_alone_cannot_replace_the_authenticator(client, trust, make_staff):
    admin = make_staff(trust, Role.ADMINISTRATOR)
    client.force_login(admin)
    response = client.get(reverse("core_staff:two_factor_setup"))
    assert response["Location"].startswith(reverse("core_staff:verify"))


def test_administrator_reaches_every_core_staff_page(
    trust, ward, make_staff, signed_in, staff_urls
):
    admin = make_staff(trust, Role.ADMINISTRATOR)
    client = signed_in(admin)
    for url in staff_urls(trust, ward, admin):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "role",
    [Role.PATIENT_EXPERIENCE_OFFICER, Role.ANALYST, Role.STEERING_GROUP_MEMBER, Role.BOARD_VIEWER],
)
def test_staff_who_are_not_administrators_cannot_change_or_see_the_audit_log(
    role, trust, ward, make_staff, signed_in
):
    person = make_staff(trust, role)
    client = signed_in(person)
    assert client.get(reverse("core_staff:organisation_detail", args=[trust.pk])).status_code == 200
    for url in [
        reverse("core_staff:organisation_edit", args=[trust.pk]),
        reverse("core_staff:service_team_add", args=[trust.pk]),
        reverse("core_staff:service_team_edit", args=[ward.pk]),
        reverse("core_staff:staff_list"),
        reverse("core_staff:audit_log"),
    ]:
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("core_staff:service_team_edit", args=[ward.pk]),
        {"name": "Renamed", "kind": "crisis", "is_active": "on"},
    )
    assert response.status_code == 403
    ward.refresh_from_db()
    assert ward.name == "Ashby Ward"


def test_partner_user_never_sees_another_organisations_records(
    trust, ward, partner_organisation, make_staff, signed_in
):
    partner = make_staff(partner_organisation, Role.PARTNER_USER, Role.ADMINISTRATOR)
    client = signed_in(partner)
    for url in [
        reverse("core_staff:organisation_detail", args=[trust.pk]),
        reverse("core_staff:organisation_edit", args=[trust.pk]),
        reverse("core_staff:service_team_add", args=[trust.pk]),
        reverse("core_staff:service_team_edit", args=[ward.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    listing = client.get(reverse("core_staff:organisation_list")).content.decode()
    assert partner_organisation.name in listing
    assert trust.name not in listing
    own = client.get(reverse("core_staff:organisation_detail", args=[partner_organisation.pk]))
    assert own.status_code == 200


def test_administrator_of_another_trust_gets_404_for_our_records(
    trust, other_trust, ward, make_staff, signed_in
):
    outsider = make_staff(other_trust, Role.ADMINISTRATOR)
    client = signed_in(outsider)
    assert client.get(reverse("core_staff:service_team_edit", args=[ward.pk])).status_code == 404
    assert client.get(reverse("core_staff:organisation_edit", args=[trust.pk])).status_code == 404
    ours_admin = make_staff(trust, Role.ADMINISTRATOR)
    assert client.get(reverse("core_staff:staff_roles", args=[ours_admin.pk])).status_code == 404


def test_programme_partners_see_each_other_but_not_each_others_teams(
    trust, other_trust, ward, make_staff, signed_in
):
    services.create_programme("Together Against Racism", "", [trust, other_trust], by="demo")
    outsider = make_staff(other_trust, Role.BOARD_VIEWER)
    client = signed_in(outsider)
    page = client.get(reverse("core_staff:organisation_detail", args=[trust.pk]))
    assert page.status_code == 200
    assert "Ashby Ward" not in page.content.decode()
