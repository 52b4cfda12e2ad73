"""Staff pages of the involvement register: who sees what, audited looks, opportunities, matching."""

import json

import pytest
from django.urls import reverse

from pcref.core import services as core_services
from pcref.core.models import AuditEntry
from pcref.core.roles import Role
from pcref.involvement import services
from pcref.involvement.models import InvolvementOpportunity, OpportunityMatch

from .conftest import ANSWERS

pytestmark = pytest.mark.django_db

REGISTER_ROLES = [Role.ADMINISTRATOR, Role.PATIENT_EXPERIENCE_OFFICER, Role.STEERING_GROUP_MEMBER]
CONTACT_ROLES = [Role.ADMINISTRATOR, Role.PATIENT_EXPERIENCE_OFFICER]


@pytest.fixture
def opportunity(trust, make_staff):
    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER, username="opportunity-maker")
    return services.add_opportunity(
        {
            "title": "Review the Easy Read leaflet",
            "description": "About an hour at home.",
            "kind": "review_documents",
            "takes_place_on": "2027-02-01",
        },
        organisation=trust,
        by=officer,
    )


def staff_pages(registration, opportunity):
    return [
        reverse("involvement_staff:register"),
        reverse("involvement_staff:person", args=[registration.pk]),
        reverse("involvement_staff:opportunities"),
        reverse("involvement_staff:opportunity_new"),
        reverse("involvement_staff:opportunity", args=[opportunity.pk]),
    ]


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_what_it_should(
    trust, partner_organisation, make_staff, signed_in, sign_up, opportunity, role
):
    registration, _token = sign_up()
    # The partner role is for people of partner organisations (a trust's account refuses it).
    own = partner_organisation if role == Role.PARTNER_USER else trust
    client = signed_in(make_staff(own, role))
    lists = {
        reverse("involvement_staff:register"),
        reverse("involvement_staff:opportunities"),
        reverse("involvement_staff:opportunity_new"),
    }
    for url in staff_pages(registration, opportunity):
        if role in REGISTER_ROLES:
            expected = 200
        elif role == Role.PARTNER_USER and url not in lists:
            expected = 404  # visible_to gives a partner user no register at all
        else:
            expected = 403
        assert client.get(url).status_code == expected, url
    contact = client.get(reverse("involvement_staff:contact", args=[registration.pk]))
    withdraw = client.get(reverse("involvement_staff:withdraw", args=[registration.pk]))
    if role in CONTACT_ROLES:
        assert contact.status_code == 200 and withdraw.status_code == 200
        assert ANSWERS["email"] in contact.content.decode()
    else:
        assert contact.status_code in (403, 404) and withdraw.status_code in (403, 404)
    assert AuditEntry.objects.filter(action="involvement.contact_details_viewed").count() == (
        1 if role in CONTACT_ROLES else 0
    )


@pytest.mark.parametrize("role", REGISTER_ROLES)
def test_register_and_person_pages_never_show_contact_details(
    trust, make_staff, signed_in, sign_up, role
):
    registration, _token = sign_up()
    client = signed_in(make_staff(trust, role))
    for url in (
        reverse("involvement_staff:register"),
        reverse("involvement_staff:person", args=[registration.pk]),
    ):
        page = client.get(url).content.decode()
        assert registration.reference in page
        for value in (ANSWERS["name"], ANSWERS["email"], ANSWERS["phone"]):
            assert value not in page, (url, value)
    person = client.get(reverse("involvement_staff:person", args=[registration.pk])).content
    assert ("See name and contact details" in person.decode()) == (role in CONTACT_ROLES)
    assert not AuditEntry.objects.filter(action="involvement.contact_details_viewed").exists()


def test_each_look_at_contact_details_is_audited(trust, make_staff, signed_in, sign_up):
    registration, _token = sign_up()
    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER)
    client = signed_in(officer)
    url = reverse("involvement_staff:contact", args=[registration.pk])
    client.get(url)
    client.get(url)
    looks = AuditEntry.objects.filter(action="involvement.contact_details_viewed")
    assert looks.count() == 2
    assert {entry.actor for entry in looks} == {officer}
    assert {entry.target_id for entry in looks} == {str(registration.pk)}
    assert ANSWERS["name"] not in json.dumps(list(looks.values()), default=str)


def test_staff_of_another_trust_and_partner_users_see_nothing_of_our_register(
    trust, other_trust, partner_organisation, make_staff, signed_in, sign_up, opportunity
):
    registration, _token = sign_up()
    # One programme joins them all: it shares a plan, never a register.
    core_services.create_programme(
        "Together Against Racism", "", [trust, other_trust, partner_organisation], by="demo"
    )
    outsiders = [
        make_staff(other_trust, Role.ADMINISTRATOR),
        make_staff(other_trust, Role.PATIENT_EXPERIENCE_OFFICER),
        make_staff(partner_organisation, Role.PARTNER_USER),
        make_staff(
            partner_organisation,
            Role.PARTNER_USER,
            Role.PATIENT_EXPERIENCE_OFFICER,
            username="partner-pxo",
        ),
    ]
    for user in outsiders:
        client = signed_in(user)
        for url in (
            reverse("involvement_staff:person", args=[registration.pk]),
            reverse("involvement_staff:contact", args=[registration.pk]),
            reverse("involvement_staff:withdraw", args=[registration.pk]),
            reverse("involvement_staff:opportunity", args=[opportunity.pk]),
        ):
            assert client.get(url).status_code == 404, (user.username, url)
        register = client.get(reverse("involvement_staff:register"))
        assert registration.reference not in register.content.decode()
        assert (
            client.post(reverse("involvement_staff:withdraw", args=[registration.pk])).status_code
            == 404
        )
    registration.refresh_from_db()
    assert not registration.is_withdrawn
    assert not AuditEntry.objects.filter(action="involvement.contact_details_viewed").exists()


def test_the_register_filters_by_interest_and_status(trust, make_staff, signed_in, sign_up):
    steering, _ = sign_up(interests=["steering_group"])
    reviewer, _ = sign_up(interests=["review_documents"], email="r@example.com")
    gone, _ = sign_up(interests=["review_documents"], email="g@example.com")
    services.withdraw(gone, by="public-form")
    client = signed_in(make_staff(trust, Role.STEERING_GROUP_MEMBER))
    page = client.get(reverse("involvement_staff:register"), {"interest": "review_documents"})
    text = page.content.decode()
    assert reviewer.reference in text and gone.reference in text and steering.reference not in text
    page = client.get(
        reverse("involvement_staff:register"), {"interest": "review_documents", "status": "active"}
    ).content.decode()
    assert reviewer.reference in page and gone.reference not in page


def test_staff_withdraw_someone_at_their_request(trust, make_staff, signed_in, sign_up):
    registration, _token = sign_up()
    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER)
    client = signed_in(officer)
    url = reverse("involvement_staff:withdraw", args=[registration.pk])
    assert client.get(url).status_code == 200
    registration.refresh_from_db()
    assert not registration.is_withdrawn  # a GET asks, nothing more
    response = client.post(url)
    assert response["Location"] == reverse("involvement_staff:register")
    registration.refresh_from_db()
    assert registration.is_withdrawn and registration.email == "" and registration.name == ""
    entry = AuditEntry.objects.get(action="involvement.withdrawn")
    assert entry.actor == officer and entry.context["how"] == "asked staff"
    contact = client.get(reverse("involvement_staff:contact", args=[registration.pk]))
    assert "their details were deleted" in contact.content.decode()


def test_steering_group_members_cannot_withdraw_people(trust, make_staff, signed_in, sign_up):
    registration, _token = sign_up()
    client = signed_in(make_staff(trust, Role.STEERING_GROUP_MEMBER))
    assert (
        client.post(reverse("involvement_staff:withdraw", args=[registration.pk])).status_code
        == 403
    )
    registration.refresh_from_db()
    assert not registration.is_withdrawn


def test_adding_an_opportunity_and_matching_people(trust, make_staff, signed_in, sign_up):
    reviewer, _ = sign_up(interests=["review_documents"], email="r@example.com")
    steering, _ = sign_up(interests=["steering_group"], email="s@example.com")
    member = make_staff(trust, Role.STEERING_GROUP_MEMBER)
    client = signed_in(member)
    response = client.post(
        reverse("involvement_staff:opportunity_new"),
        {
            "title": "Review the crisis leaflet",
            "description": "An hour at home; we post a large print copy.",
            "kind": "review_documents",
            "takes_place_on": "2027-03-14",
        },
    )
    opportunity = InvolvementOpportunity.objects.get(title="Review the crisis leaflet")
    assert response["Location"] == reverse("involvement_staff:opportunity", args=[opportunity.pk])
    page = client.get(response["Location"]).content.decode()
    # People who would like to review documents are offered first.
    assert page.index(reviewer.reference) < page.index(steering.reference)
    response = client.post(response["Location"], {"people": [str(reviewer.pk)]})
    assert response.status_code == 302
    match = OpportunityMatch.objects.get()
    assert match.registration == reviewer and match.status == "invited"
    response = client.post(
        reverse("involvement_staff:match_status", args=[match.pk]),
        {f"{match.pk}-status": "taking_part", "next": "person"},
    )
    assert response["Location"] == reverse("involvement_staff:person", args=[reviewer.pk])
    match.refresh_from_db()
    assert match.status == "taking_part"
    actions = list(
        AuditEntry.objects.filter(action__startswith="involvement.").values_list(
            "action", flat=True
        )
    )
    for action in (
        "involvement.opportunity_added",
        "involvement.invited",
        "involvement.match_status_changed",
    ):
        assert action in actions
    listing = client.get(reverse("involvement_staff:opportunities")).content.decode()
    assert "Review the crisis leaflet" in listing


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "Enter a title"),
        ({"description": ""}, "description", "Describe what it involves"),
        ({"kind": ""}, "kind", "Choose the kind of involvement"),
        ({"takes_place_on": "2027-02-30"}, "takes_place_on", "Enter a real date, like 2027-03-14"),
        ({"takes_place_on": ""}, "takes_place_on", "Enter the date"),
    ],
)
def test_a_bad_opportunity_names_the_field_and_saves_nothing(
    trust, make_staff, signed_in, changes, field, message
):
    client = signed_in(make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER))
    data = {
        "title": "Listening event",
        "description": "At the Highfields Centre.",
        "kind": "events",
        "takes_place_on": "2027-03-14",
        **changes,
    }
    response = client.post(reverse("involvement_staff:opportunity_new"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and f'href="#id_{field}' in page
    assert not InvolvementOpportunity.objects.exists()


def test_inviting_nobody_or_a_stranger_is_refused(
    trust, other_trust, make_staff, signed_in, sign_up, opportunity
):
    ours, _ = sign_up()
    theirs, _ = sign_up(organisation=other_trust, email="t@example.com")
    client = signed_in(make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER))
    url = reverse("involvement_staff:opportunity", args=[opportunity.pk])
    response = client.post(url, {"people": []})
    assert (
        response.status_code == 400
        and "Choose at least one person to invite" in response.content.decode()
    )
    response = client.post(url, {"people": [str(theirs.pk)]})
    assert response.status_code == 400
    assert f"Choose people from the list: {theirs.pk} is not on it" in response.content.decode()
    assert not OpportunityMatch.objects.exists()
    gone, _ = sign_up(email="gone@example.com")
    services.withdraw(gone, by="public-form")
    response = client.post(url, {"people": [str(gone.pk)]})
    assert response.status_code == 400
    assert not OpportunityMatch.objects.exists()


def test_a_bad_match_status_changes_nothing(trust, make_staff, signed_in, sign_up, opportunity):
    registration, _ = sign_up()
    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER)
    [match] = services.invite(opportunity, [registration], by=officer)
    client = signed_in(officer)
    client.post(
        reverse("involvement_staff:match_status", args=[match.pk]), {f"{match.pk}-status": "maybe"}
    )
    match.refresh_from_db()
    assert match.status == "invited"
    assert not AuditEntry.objects.filter(action="involvement.match_status_changed").exists()


def test_the_staff_menu_shows_involvement_to_those_who_may_see_it(trust, make_staff, signed_in):
    for role, shown in [
        (Role.PATIENT_EXPERIENCE_OFFICER, True),
        (Role.STEERING_GROUP_MEMBER, True),
        (Role.ANALYST, False),
        (Role.BOARD_VIEWER, False),
    ]:
        page = signed_in(make_staff(trust, role)).get(reverse("core_staff:staff_home"))
        assert (reverse("involvement_staff:register") in page.content.decode()) == shown, role
