"""Partner organisations' contacts and agreements: scoping, roles, bad input, audit without values."""

import json

import pytest
from django.urls import reverse

from pcref.core.models import AuditEntry
from pcref.core.roles import Role
from pcref.involvement import services
from pcref.involvement.models import PartnerAgreement, PartnerContact

pytestmark = pytest.mark.django_db

CONTACT = {
    "contact-name": "Kwame Mensah",
    "contact-job_title": "Community engagement lead",
    "contact-email": "kwame@example.org",
    "contact-phone": "",
}
AGREEMENT = {
    "agreement-title": "Listening events grant",
    "agreement-kind": "grant",
    "agreement-starts_on": "2026-04-01",
    "agreement-ends_on": "2027-03-31",
    "agreement-link": "",
}


def test_an_officer_adds_and_removes_a_contact_and_adds_an_agreement(
    trust, partner_organisation, make_staff, signed_in
):
    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER)
    client = signed_in(officer)
    page = reverse("involvement_staff:partner", args=[partner_organisation.pk])
    response = client.post(
        reverse("involvement_staff:partner_contact_add", args=[partner_organisation.pk]), CONTACT
    )
    assert response["Location"] == page
    contact = PartnerContact.objects.get()
    assert (contact.organisation, contact.partner, contact.email) == (
        trust,
        partner_organisation,
        "kwame@example.org",
    )
    response = client.post(
        reverse("involvement_staff:partner_agreement_add", args=[partner_organisation.pk]),
        AGREEMENT,
    )
    assert response["Location"] == page
    assert PartnerAgreement.objects.get().kind == "grant"
    shown = client.get(page).content.decode()
    assert "Kwame Mensah" in shown and "Listening events grant" in shown
    listing = client.get(reverse("involvement_staff:partners")).content.decode()
    assert partner_organisation.name in listing
    client.post(
        reverse(
            "involvement_staff:partner_contact_remove", args=[partner_organisation.pk, contact.pk]
        )
    )
    assert not PartnerContact.objects.exists()
    entries = AuditEntry.objects.filter(action__startswith="involvement.partner_")
    assert {e.action for e in entries} == {
        "involvement.partner_contact_added",
        "involvement.partner_contact_viewed",  # the page showed the contact
        "involvement.partner_contact_removed",
        "involvement.partner_agreement_added",
    }
    logged = json.dumps(list(entries.values()), default=str)
    assert "Kwame" not in logged and "kwame@example.org" not in logged


@pytest.mark.parametrize(
    ("url_name", "data", "field", "message"),
    [
        (
            "partner_contact_add",
            {**CONTACT, "contact-name": ""},
            "contact-name",
            "Enter the person's name",
        ),
        (
            "partner_contact_add",
            {**CONTACT, "contact-email": "", "contact-phone": ""},
            "contact-email",
            "Enter an email address or a phone number",
        ),
        (
            "partner_contact_add",
            {**CONTACT, "contact-email": "kwame"},
            "contact-email",
            "Enter an email address like name@example.com",
        ),
        (
            "partner_agreement_add",
            {**AGREEMENT, "agreement-ends_on": "2026-01-01"},
            "agreement-ends_on",
            "The end date must be on or after the start date",
        ),
        (
            "partner_agreement_add",
            {**AGREEMENT, "agreement-starts_on": "someday"},
            "agreement-starts_on",
            "Enter a real date, like 2027-03-14",
        ),
        (
            "partner_agreement_add",
            {**AGREEMENT, "agreement-kind": ""},
            "agreement-kind",
            "Choose the kind of agreement",
        ),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(
    trust, partner_organisation, make_staff, signed_in, url_name, data, field, message
):
    client = signed_in(make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER))
    response = client.post(
        reverse(f"involvement_staff:{url_name}", args=[partner_organisation.pk]), data
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page.replace("&#39;", "'") and f'href="#id_{field}' in page
    assert not PartnerContact.objects.exists() and not PartnerAgreement.objects.exists()


def test_an_nhs_trust_is_not_a_partner(trust, other_trust, make_staff):
    from django.core.exceptions import ValidationError

    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER)
    with pytest.raises(ValidationError):
        services.add_partner_contact(
            other_trust, {"name": "Someone", "email": "a@b.org"}, by=officer
        )
    assert not PartnerContact.objects.exists()


def test_each_trust_sees_only_its_own_records_and_partner_users_none(
    trust, other_trust, partner_organisation, make_staff, signed_in
):
    ours = make_staff(trust, Role.STEERING_GROUP_MEMBER)
    contact = services.add_partner_contact(
        partner_organisation, {"name": "Kwame Mensah", "email": "kwame@example.org"}, by=ours
    )
    page = reverse("involvement_staff:partner", args=[partner_organisation.pk])
    assert "Kwame Mensah" in signed_in(ours).get(page).content.decode()
    theirs = signed_in(make_staff(other_trust, Role.ADMINISTRATOR))
    assert "Kwame Mensah" not in theirs.get(page).content.decode()
    remove = reverse(
        "involvement_staff:partner_contact_remove", args=[partner_organisation.pk, contact.pk]
    )
    assert theirs.post(remove).status_code == 404
    for role in (Role.PARTNER_USER, Role.ANALYST, Role.BOARD_VIEWER):
        client = signed_in(
            make_staff(partner_organisation if role == Role.PARTNER_USER else trust, role)
        )
        assert client.get(page).status_code == 403, role
        assert client.get(reverse("involvement_staff:partners")).status_code == 403, role
        assert client.post(remove).status_code == 403, role
    assert PartnerContact.objects.filter(pk=contact.pk).exists()
