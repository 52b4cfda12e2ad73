"""The public sign-up and withdrawal: validation per field, spam control, the private link."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import translation
from markupsafe import escape

from pcref.core.models import AuditEntry
from pcref.feedback.models import SubmissionAttempt
from pcref.involvement import services
from pcref.involvement.forms import SignUpForm
from pcref.involvement.models import InvolvementRegistration, OpportunityMatch

from .conftest import ANSWERS

pytestmark = pytest.mark.django_db

PERSONAL_VALUES = [
    ANSWERS["name"],
    ANSWERS["email"],
    ANSWERS["phone"],
    ANSWERS["communities"],
    ANSWERS["access_needs"],
    ANSWERS["preferred_language"],
]


def post_data(**changes):
    data = {**ANSWERS, "consent": "on", "website": "", **changes}
    return {key: value for key, value in data.items() if value is not None}


def sign_up_url(language="en"):
    with translation.override(language):
        return reverse("involvement:sign_up")


def test_the_start_page_explains_involvement_and_links_to_the_form(client, trust):
    response = client.get("/get-involved/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "What getting involved means" in page
    assert reverse("involvement:sign_up") in page
    assert "one click on it deletes your details" in page


def test_someone_signs_up_and_gets_a_private_link_shown_once(client, trust):
    response = client.post(sign_up_url(), post_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("involvement:signed_up")
    registration = InvolvementRegistration.objects.get()
    assert registration.name == ANSWERS["name"] and registration.email == ANSWERS["email"]
    assert registration.organisation == trust and registration.consented_at is not None
    assert sorted(i.interest for i in registration.interests.all()) == ["events", "steering_group"]
    assert registration.ethnicity_as_given == "black-african"
    assert registration.ethnic_category_code == "N" and registration.ethnicity_mapping_version
    page = client.get(response["Location"]).content.decode()
    link = next(part for part in page.split('"') if "/get-involved/withdraw/" in part)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    # Only a hash is stored; the token itself is nowhere in the database row.
    assert registration.withdrawal_token_hash == services.token_hash(token)
    assert token not in json.dumps(list(InvolvementRegistration.objects.values()), default=str)
    again = client.get(reverse("involvement:signed_up")).content.decode()
    assert "/get-involved/withdraw/" not in again  # shown once, then forgotten
    entry = AuditEntry.objects.get(action="involvement.signed_up")
    assert entry.system_actor == "public-form"
    assert not any(value in json.dumps(entry.changes) for value in PERSONAL_VALUES)


def test_a_sign_up_sent_twice_signs_up_once_and_keeps_the_link(client, trust):
    page = client.get(sign_up_url()).content.decode()
    key = re.search(r'name="once" value="([0-9a-f-]{36})"', page).group(1)
    first = client.post(sign_up_url(), post_data(once=key))
    second = client.post(sign_up_url(), post_data(once=key))  # a double click
    assert first["Location"] == second["Location"] == reverse("involvement:signed_up")
    assert InvolvementRegistration.objects.count() == 1
    assert AuditEntry.objects.filter(action="involvement.signed_up").count() == 1
    shown = client.get(reverse("involvement:signed_up")).content.decode()
    assert "/get-involved/withdraw/" in shown  # the first send's link, not lost


def test_signing_up_in_urdu_keeps_the_language(client, trust):
    response = client.post(sign_up_url("ur"), post_data())
    assert response["Location"] == "/ur/get-involved/signed-up/"
    assert InvolvementRegistration.objects.get().interface_language == "ur"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Enter your name"),
        ({"name": "   "}, "name", "Enter your name"),
        ({"name": "x" * 201}, "name", "Enter a name of 200 characters or fewer"),
        (
            {"email": "", "phone": ""},
            "email",
            "Enter an email address or a phone number, so that we can contact you",
        ),
        ({"email": "not-an-email"}, "email", "Enter an email address like name@example.com"),
        ({"phone": "call me"}, "phone", "Enter a phone number, like 0116 000 0000"),
        ({"interests": None}, "interests", "Choose at least one thing you would like to do"),
        (
            {"interests": ["juggling"]},
            "interests",
            "Choose from the list of things you would like to do",
        ),
        ({"ethnic_group": "martian"}, "ethnic_group", "Choose an ethnic group from the list"),
        (
            {"ethnic_group": "black-african", "ethnic_group_details": "West African"},
            "ethnic_group_details",
            'Choose an "any other" ethnic group to describe it, or leave this empty',
        ),
        ({"communities": "x" * 20_001}, "communities", "Write 20000 characters or fewer"),
        ({"preferred_language": "x" * 101}, "preferred_language", "at most 100 characters"),
        ({"consent": None}, "consent", "Tick the box to agree that we may keep your details"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(client, trust, changes, field, message):
    form = SignUpForm(post_data(**changes))
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])
    response = client.post(sign_up_url(), post_data(**changes))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="#id_{field}' in page  # the error summary links to the field
    assert str(escape(message)) in page
    assert not InvolvementRegistration.objects.exists()
    assert not AuditEntry.objects.filter(action="involvement.signed_up").exists()


def test_either_email_or_phone_is_enough(client, trust):
    assert SignUpForm(post_data(email="")).is_valid()
    assert SignUpForm(post_data(phone="")).is_valid()


def test_the_service_refuses_a_sign_up_without_consent_or_interests(trust):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as problem:
        services.sign_up({**ANSWERS, "consent": False}, organisation=trust, interface_language="en")
    assert "consent" in problem.value.message_dict
    with pytest.raises(ValidationError) as problem:
        services.sign_up({**ANSWERS, "interests": []}, organisation=trust, interface_language="en")
    assert "interests" in problem.value.message_dict
    assert not InvolvementRegistration.objects.exists()


def test_a_bad_value_the_form_missed_saves_nothing(trust):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as problem:
        services.sign_up(
            {**ANSWERS, "email": "not-an-email"}, organisation=trust, interface_language="en"
        )
    assert "email" in problem.value.message_dict
    assert not InvolvementRegistration.objects.exists()


def test_the_honeypot_gets_the_same_page_and_nothing_is_stored(client, trust):
    response = client.post(sign_up_url(), post_data(website="http://spam.example"))
    assert response["Location"] == reverse("involvement:signed_up")
    page = client.get(response["Location"]).content.decode()
    assert "You have signed up" in page and "/get-involved/withdraw/" not in page
    assert not InvolvementRegistration.objects.exists()


def test_the_feedback_rate_limit_applies_to_sign_ups(client, trust, settings):
    settings.FEEDBACK_SUBMISSIONS_PER_HOUR = 2
    for _ in range(2):
        assert client.post(sign_up_url(), post_data()).status_code == 302
    assert SubmissionAttempt.objects.count() == 2
    response = client.post(sign_up_url(), post_data())
    assert response.status_code == 429
    assert InvolvementRegistration.objects.count() == 2


def test_withdrawing_asks_first_and_get_changes_nothing(client, sign_up):
    registration, token = sign_up()
    url = reverse("involvement:withdraw", args=[token])
    response = client.get(url)
    assert response.status_code == 200
    assert "Leave and delete my details" in response.content.decode()
    registration.refresh_from_db()
    assert registration.name == ANSWERS["name"] and not registration.is_withdrawn


def test_withdrawing_deletes_every_personal_value_and_keeps_a_tombstone(
    client, sign_up, trust, make_staff
):
    from pcref.core.roles import Role

    registration, token = sign_up()
    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER)
    opportunity = services.add_opportunity(
        {
            "title": "Steering group",
            "description": "Two hours every two months.",
            "kind": "steering_group",
            "takes_place_on": "2027-01-14",
        },
        organisation=trust,
        by=officer,
    )
    services.invite(opportunity, [registration], by=officer)
    response = client.post(reverse("involvement:withdraw", args=[token]))
    assert response["Location"] == reverse("involvement:withdrawn")
    assert "Your details have been deleted" in client.get(response["Location"]).content.decode()
    registration.refresh_from_db()
    assert registration.is_withdrawn and registration.withdrawn_at is not None
    for field in services.PERSONAL_FIELDS:
        assert getattr(registration, field) == "", field
    row = json.dumps(list(InvolvementRegistration.objects.values()), default=str)
    assert not any(value in row for value in PERSONAL_VALUES)
    assert not OpportunityMatch.objects.exists()
    # The anonymous record still counts: organisation, dates, what they wanted to do.
    assert registration.organisation == trust and registration.interests.count() == 2
    entries = AuditEntry.objects.filter(target_id=str(registration.pk))
    assert not any(
        value in json.dumps(list(entries.values()), default=str) for value in PERSONAL_VALUES
    )
    withdrawn = entries.get(action="involvement.withdrawn")
    assert withdrawn.system_actor == "public-form"
    assert withdrawn.context["matches_removed"] == 1


def test_withdrawing_twice_is_harmless(client, sign_up):
    registration, token = sign_up()
    url = reverse("involvement:withdraw", args=[token])
    client.post(url)
    second = client.post(url)
    assert second.status_code == 200
    assert "You had already left the register" in second.content.decode()
    assert "You had already left the register" in client.get(url).content.decode()
    services.withdraw(registration, by="public-form")
    assert AuditEntry.objects.filter(action="involvement.withdrawn").count() == 1


def test_a_link_works_only_for_its_own_person_and_cannot_be_guessed(client, sign_up):
    first, first_token = sign_up()
    second, second_token = sign_up(name="Harjit Kaur", email="harjit@example.com")
    assert first_token != second_token and len(first_token) >= 40
    for guess in (first_token[:-1] + ("A" if first_token[-1] != "A" else "B"), "x", str(first.pk)):
        assert client.get(reverse("involvement:withdraw", args=[guess])).status_code == 404
        assert client.post(reverse("involvement:withdraw", args=[guess])).status_code == 404
    client.post(reverse("involvement:withdraw", args=[first_token]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_withdrawn and not second.is_withdrawn
    assert second.name == "Harjit Kaur"


def test_the_withdrawn_page_without_withdrawing_goes_back_to_the_start(client, trust):
    response = client.get(reverse("involvement:withdrawn"))
    assert response["Location"] == reverse("involvement:start")
    response = client.get(reverse("involvement:signed_up"))
    assert response["Location"] == reverse("involvement:start")


def test_retention_withdraws_old_sign_ups_only(sign_up, settings):
    from datetime import timedelta

    from django.utils import timezone

    registration, _token = sign_up()
    later = timezone.now() + timedelta(days=settings.INVOLVEMENT_RETENTION_DAYS + 1)
    assert services.apply_retention(now=timezone.now()) == []
    assert services.apply_retention(now=later, dry_run=True) == [registration.reference]
    registration.refresh_from_db()
    assert not registration.is_withdrawn
    assert services.apply_retention(now=later) == [registration.reference]
    registration.refresh_from_db()
    assert registration.is_withdrawn and registration.name == ""
    assert AuditEntry.objects.get(action="involvement.withdrawn").system_actor == "retention"
