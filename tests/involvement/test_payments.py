"""Involvement payments and recognition: the payment policy's rates, payments by register
reference, amounts fixed when recorded, totals per person per financial year, the CSV for
finance, withdrawal, who may do what, two trusts, bad input and audit."""

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from pcref.core import services as core_services
from pcref.core.models import AuditEntry
from pcref.core.roles import Role
from pcref.involvement import queries, services
from pcref.involvement.models import InvolvementPayment, PaymentRate

from .conftest import ANSWERS

pytestmark = pytest.mark.django_db

PAYMENT_ROLES = [Role.ADMINISTRATOR, Role.PATIENT_EXPERIENCE_OFFICER, Role.STEERING_GROUP_MEMBER]
NAME_ROLES = [Role.ADMINISTRATOR, Role.PATIENT_EXPERIENCE_OFFICER]


@pytest.fixture
def admin(trust, make_staff):
    return make_staff(trust, Role.ADMINISTRATOR)


@pytest.fixture
def set_rate(trust, admin):
    def make(organisation=None, by=None, **changes):
        data = {
            "name": "Steering group meeting",
            "unit": "hour",
            "amount_pence": 2500,
            "valid_from": date(2025, 4, 1),
            **changes,
        }
        return services.set_rate(data, organisation=organisation or trust, by=by or admin)

    return make


@pytest.fixture
def person(sign_up):
    return sign_up()[0]


@pytest.fixture
def pay(trust, steering, person):
    def make(organisation=None, by=None, **changes):
        data = {
            "registration": person,
            "kind": "payment",
            "activity_on": date(2025, 6, 10),
            "description": "Steering group meeting",
            "rate": None,
            "units": Decimal("2"),
            "amount_pence": None,
            "event": None,
            "meeting": None,
            "paid_on": None,
            **changes,
        }
        return services.record_payment(data, organisation=organisation or trust, by=by or steering)

    return make


# Money ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pence"),
    [("25.00", 2500), ("25", 2500), ("£25.5", 2550), (" 1,234.56 ", 123456), ("0.01", 1)],
)
def test_amounts_in_pounds_and_pence_are_read_as_pence(text, pence):
    assert services.pence_from_pounds(text, field="amount") == pence


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter the amount in pounds and pence"),
        ("-5.00", "cannot be negative: you entered -5.00"),
        ("25.005", "no more than 2 decimal places, like 25.00: you entered 25.005"),
        ("twenty", "you entered twenty"),
        ("0.00", "more than 0.00"),
    ],
)
def test_bad_amounts_are_refused_naming_the_field(text, message):
    with pytest.raises(ValidationError) as refused:
        services.pence_from_pounds(text, field="amount")
    assert message in refused.value.message_dict["amount"][0]


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2026, 3, 31), "2025/26"),
        (date(2026, 4, 1), "2026/27"),
        (date(2026, 1, 1), "2025/26"),
        (date(1999, 4, 1), "1999/00"),
    ],
)
def test_financial_years_run_from_1_april_to_31_march(day, year):
    assert services.financial_year(day) == year


# Rates -----------------------------------------------------------------------------------------


def test_a_new_amount_is_a_new_rate_from_a_date_and_the_old_one_ends(admin, set_rate):
    old = set_rate()
    new = set_rate(name="steering group meeting", amount_pence=2750, valid_from=date(2026, 4, 1))
    old.refresh_from_db()
    assert old.valid_until == date(2026, 3, 31) and new.valid_until is None
    assert AuditEntry.objects.filter(action="involvement.rate_set").count() == 2
    ended = AuditEntry.objects.get(action="involvement.rate_ended")
    assert ended.target_id == str(old.pk) and ended.changes["valid_until"][1] == "2026-03-31"


def test_a_new_rate_must_start_after_the_current_one(set_rate):
    set_rate()
    for day in (date(2025, 4, 1), date(2024, 1, 1)):
        with pytest.raises(ValidationError) as refused:
            set_rate(amount_pence=3000, valid_from=day)
        assert "already starts on 1 April 2025" in refused.value.message_dict["valid_from"][0]
    assert PaymentRate.objects.count() == 1 and PaymentRate.objects.get().valid_until is None


@pytest.mark.parametrize(
    "role", [Role.STEERING_GROUP_MEMBER, Role.PATIENT_EXPERIENCE_OFFICER, Role.BOARD_VIEWER]
)
def test_only_administrators_set_rates(trust, make_staff, set_rate, role):
    with pytest.raises(PermissionDenied):
        set_rate(by=make_staff(trust, role))


def test_an_administrator_of_another_trust_cannot_set_this_trusts_rates(
    trust, other_trust, make_staff, set_rate
):
    with pytest.raises(PermissionDenied):
        set_rate(by=make_staff(other_trust, Role.ADMINISTRATOR))


RATE_FORM = {
    "name": "Co-production workshop",
    "unit": "day",
    "amount": "150.00",
    "valid_from": "2025-04-01",
}


def test_an_administrator_sets_a_rate_on_the_rates_page(admin, signed_in):
    client = signed_in(admin)
    response = client.post(reverse("involvement_staff:rates"), RATE_FORM)
    assert response.status_code == 302
    rate = PaymentRate.objects.get()
    assert rate.amount_pence == 15000 and rate.unit == "day" and rate.created_by == admin
    page = client.get(reverse("involvement_staff:rates")).content.decode()
    assert "Co-production workshop" in page and "£150.00" in page and "1 April 2025" in page


def _once_key(page: str) -> str:
    match = re.search(r'name="once" value="([0-9a-f-]{36})"', page)
    assert match, "the form carries no one-time key"
    return match.group(1)


def test_a_payment_form_sent_twice_records_one_payment(steering, signed_in, person, set_rate):
    rate = set_rate()
    client = signed_in(steering)
    url = reverse("involvement_staff:payment_new")
    key = _once_key(client.get(url).content.decode())
    assert _once_key(client.get(url).content.decode()) != key  # each showing has its own
    data = {**PAYMENT_FORM, "registration": str(person.pk), "rate": str(rate.pk), "once": key}
    # A refused send does not use the key up: the corrected form goes through once.
    refused = client.post(url, {**data, "units": "0"})
    assert refused.status_code == 400 and _once_key(refused.content.decode()) == key
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)
    assert again.status_code == 400
    assert "nothing was recorded a second time" in again.content.decode()
    assert InvolvementPayment.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": ""}, "amount", "Enter the amount in pounds and pence"),
        ({"amount": "-150"}, "amount", "cannot be negative"),
        ({"amount": "150.001"}, "amount", "no more than 2 decimal places"),
        ({"name": ""}, "name", "Enter the activity the rate is for"),
        ({"unit": "week"}, "unit", "Select a valid choice"),
        ({"valid_from": "2025-02-30"}, "valid_from", "Enter a real date"),
    ],
)
def test_bad_rates_are_refused_naming_the_field(admin, signed_in, changes, field, message):
    response = signed_in(admin).post(reverse("involvement_staff:rates"), {**RATE_FORM, **changes})
    assert response.status_code == 400
    page = response.content.decode()
    assert f'href="#id_{field}' in page and message in page
    assert not PaymentRate.objects.exists()


def test_the_steering_group_sees_rates_but_cannot_set_them(steering, signed_in, set_rate):
    set_rate()
    client = signed_in(steering)
    page = client.get(reverse("involvement_staff:rates")).content.decode()
    assert "Steering group meeting" in page and "Save rate" not in page
    assert client.post(reverse("involvement_staff:rates"), RATE_FORM).status_code == 403
    assert PaymentRate.objects.count() == 1


# Recording payments ------------------------------------------------------------------------------


def test_a_payment_is_the_rate_times_the_units_and_is_audited_by_reference(
    steering, person, set_rate, pay
):
    rate = set_rate()
    payment = pay(rate=rate, units=Decimal("1.5"), description="Meeting on 10 June =1+1")
    assert payment.amount_pence == 3750 and payment.created_by == steering
    entry = AuditEntry.objects.get(action="involvement.payment_recorded")
    logged = str(entry.changes) + str(entry.context) + entry.target_label
    assert person.reference in logged and "3750" in logged
    assert ANSWERS["name"] not in logged and "10 June" not in logged


def test_rates_apply_only_on_the_dates_they_are_valid(set_rate, pay):
    old = set_rate()
    new = set_rate(amount_pence=3000, valid_from=date(2026, 4, 1))
    assert pay(rate=old, activity_on=date(2025, 4, 1)).amount_pence == 5000
    assert pay(rate=old, activity_on=date(2026, 3, 31)).amount_pence == 5000
    assert pay(rate=new, activity_on=date(2026, 4, 1)).amount_pence == 6000
    for rate, day in ((old, date(2025, 3, 31)), (old, date(2026, 4, 1)), (new, date(2026, 3, 31))):
        with pytest.raises(ValidationError) as refused:
            pay(rate=rate, activity_on=day)
        assert "does not apply on" in refused.value.message_dict["rate"][0]
    assert InvolvementPayment.objects.count() == 3


def test_a_payment_is_for_an_activity_that_happened_and_paid_after_it(set_rate, pay):
    rate, today = set_rate(), timezone.localdate()
    for changes, field, said in (
        ({"activity_on": today + timedelta(days=1)}, "activity_on", "cannot be in the future"),
        ({"paid_on": date(2025, 6, 9)}, "paid_on", "cannot be before the activity"),
        ({"paid_on": today + timedelta(days=1)}, "paid_on", "cannot be in the future"),
    ):
        with pytest.raises(ValidationError) as refused:
            pay(rate=rate, **changes)
        assert said in refused.value.message_dict[field][0], changes
    assert not InvolvementPayment.objects.exists()
    payment = pay(rate=rate, paid_on=date(2025, 6, 10))  # paid on the day: fine
    with pytest.raises(ValidationError):
        services.mark_paid(payment, date(2025, 6, 1), by=payment.created_by)


def test_a_later_change_of_rate_never_changes_a_recorded_payment(set_rate, pay):
    payment = pay(rate=set_rate(), activity_on=date(2025, 10, 1))
    set_rate(amount_pence=9900, valid_from=date(2025, 11, 1))
    payment.refresh_from_db()
    assert payment.amount_pence == 5000


def test_recognition_has_no_rate_and_no_amount(set_rate, pay):
    recognition = pay(kind="recognition", units=None, description="Certificate of thanks")
    assert recognition.amount_pence == 0 and recognition.rate is None
    with pytest.raises(ValidationError) as refused:
        pay(kind="recognition", rate=set_rate(), units=Decimal("1"))
    assert "no rate" in refused.value.message_dict["rate"][0]


def test_expenses_are_the_amount_spent_without_a_rate(set_rate, pay):
    expenses = pay(kind="expenses", units=None, amount_pence=1240, description="Bus fares")
    assert expenses.amount_pence == 1240 and expenses.rate is None
    with pytest.raises(ValidationError) as refused:
        pay(kind="expenses", amount_pence=None, units=None)
    assert "amount" in refused.value.message_dict
    with pytest.raises(ValidationError):
        pay(kind="expenses", rate=set_rate(), amount_pence=500)


def test_a_payment_needs_a_rate_and_units(set_rate, pay):
    with pytest.raises(ValidationError) as refused:
        pay(rate=None)
    assert "rate" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        pay(rate=set_rate(), units=None)
    assert "units" in refused.value.message_dict


def test_nobody_withdrawn_or_of_another_trust_can_be_paid(
    trust, other_trust, sign_up, set_rate, pay, person
):
    rate = set_rate()
    theirs = sign_up(organisation=other_trust)[0]
    with pytest.raises(ValidationError) as refused:
        pay(registration=theirs, rate=rate)
    assert "registration" in refused.value.message_dict
    services.withdraw(person, by="retention")
    with pytest.raises(ValidationError) as refused:
        pay(rate=rate)
    assert person.reference in refused.value.message_dict["registration"][0]
    assert not InvolvementPayment.objects.exists()


def test_a_rate_of_another_trust_cannot_be_used(trust, other_trust, make_staff, set_rate, pay):
    theirs = set_rate(organisation=other_trust, by=make_staff(other_trust, Role.ADMINISTRATOR))
    with pytest.raises(ValidationError) as refused:
        pay(rate=theirs)
    assert "rate" in refused.value.message_dict


def test_withdrawal_keeps_payments_under_the_anonymous_reference(person, set_rate, pay):
    payment = pay(rate=set_rate())
    services.withdraw(person, by="retention")
    payment.refresh_from_db()
    person.refresh_from_db()
    assert person.is_withdrawn and person.name == "" and payment.registration == person
    assert payment.amount_pence == 5000
    rows = queries.totals(InvolvementPayment.objects.all())
    assert rows == [
        {
            "year": "2025/26",
            "reference": person.reference,
            "registration_pk": person.pk,
            "paid": 5000,
            "expenses": 0,
            "recognitions": 0,
            "total": 5000,
        }
    ]


def test_totals_per_person_per_financial_year_at_the_31_march_1_april_edge(
    sign_up, person, set_rate, pay
):
    rate = set_rate()
    other = sign_up(name="Harjit Kaur")[0]
    pay(rate=rate, activity_on=date(2026, 3, 31), units=Decimal("1"))
    pay(kind="expenses", activity_on=date(2026, 3, 31), units=None, amount_pence=340)
    pay(rate=rate, activity_on=date(2026, 4, 1), units=Decimal("2"))
    pay(kind="recognition", activity_on=date(2026, 4, 1), units=None)
    pay(registration=other, rate=rate, activity_on=date(2025, 4, 1), units=Decimal("3"))
    rows = {
        (r["year"], r["reference"]): r for r in queries.totals(InvolvementPayment.objects.all())
    }
    assert set(rows) == {
        ("2025/26", person.reference),
        ("2026/27", person.reference),
        ("2025/26", other.reference),
    }
    assert rows["2025/26", person.reference]["total"] == 2840
    assert rows["2025/26", person.reference]["expenses"] == 340
    assert rows["2026/27", person.reference]["paid"] == 5000
    assert rows["2026/27", person.reference]["recognitions"] == 1
    assert rows["2025/26", other.reference]["total"] == 7500


# Pages --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_the_payment_pages_it_should(
    trust, partner_organisation, make_staff, signed_in, set_rate, pay, role
):
    payment = pay(rate=set_rate())
    own = partner_organisation if role == Role.PARTNER_USER else trust
    client = signed_in(make_staff(own, role, username=f"someone-{role}"))
    for name in ("payments", "payment_new", "rates", "payments_csv"):
        expected = 200 if role in PAYMENT_ROLES else 403
        assert client.get(reverse(f"involvement_staff:{name}")).status_code == expected, name
    response = client.post(
        reverse("involvement_staff:payment_paid", args=[payment.pk]), {"paid_on": "2025-07-01"}
    )
    if role in PAYMENT_ROLES:
        assert response.status_code == 302
    else:
        assert response.status_code == (404 if role == Role.PARTNER_USER else 403)
    payment.refresh_from_db()
    assert (payment.paid_on == date(2025, 7, 1)) == (role in PAYMENT_ROLES)
    assert AuditEntry.objects.filter(action="involvement.payment_paid").count() == (
        1 if role in PAYMENT_ROLES else 0
    )


@pytest.mark.parametrize("role", PAYMENT_ROLES)
def test_names_are_shown_only_to_those_who_may_see_contact_details(
    trust, make_staff, signed_in, person, role
):
    user = make_staff(trust, role, username=f"someone-{role}")
    page = signed_in(user).get(reverse("involvement_staff:payment_new"))
    content = page.content.decode()
    assert person.reference in content
    assert (ANSWERS["name"] in content) == (role in NAME_ROLES)
    assert AuditEntry.objects.filter(action="involvement.names_listed").count() == (
        1 if role in NAME_ROLES else 0
    )


def test_two_trusts_in_a_programme_see_only_their_own_payments(
    trust, other_trust, make_staff, signed_in, sign_up, set_rate, pay, person
):
    core_services.create_programme("Together Against Racism", "", [trust, other_trust], by="demo")
    pay(rate=set_rate())
    their_admin = make_staff(other_trust, Role.ADMINISTRATOR)
    theirs = sign_up(organisation=other_trust)[0]
    their_rate = set_rate(organisation=other_trust, by=their_admin, name="Their rate")
    their_payment = pay(
        organisation=other_trust, by=their_admin, registration=theirs, rate=their_rate
    )
    client = signed_in(make_staff(trust, Role.ADMINISTRATOR, username="our-admin"))
    page = client.get(reverse("involvement_staff:payments")).content.decode()
    assert person.reference in page and theirs.reference not in page
    rates = client.get(reverse("involvement_staff:rates")).content.decode()
    assert "Their rate" not in rates
    form = client.get(reverse("involvement_staff:payment_new")).content.decode()
    assert theirs.reference not in form and "Their rate" not in form
    exported = client.get(reverse("involvement_staff:payments_csv")).content.decode("utf-8-sig")
    assert person.reference in exported and theirs.reference not in exported
    response = client.post(
        reverse("involvement_staff:payment_paid", args=[their_payment.pk]),
        {"paid_on": "2025-07-01"},
    )
    assert response.status_code == 404
    # Their rate or person cannot be slipped into our form either.
    response = client.post(
        reverse("involvement_staff:payment_new"),
        {**PAYMENT_FORM, "registration": str(theirs.pk), "rate": str(their_rate.pk)},
    )
    assert response.status_code == 400
    assert InvolvementPayment.objects.filter(organisation=trust).count() == 1


PAYMENT_FORM = {
    "kind": "payment",
    "activity_on": "2025-06-10",
    "description": "Steering group meeting",
    "units": "2",
    "amount": "",
    "event": "",
    "meeting": "",
    "paid_on": "",
}


def test_a_payment_is_recorded_through_the_form_and_totalled(steering, signed_in, person, set_rate):
    rate = set_rate()
    client = signed_in(steering)
    response = client.post(
        reverse("involvement_staff:payment_new"),
        {**PAYMENT_FORM, "registration": str(person.pk), "rate": str(rate.pk)},
    )
    assert response.status_code == 302
    payment = InvolvementPayment.objects.get()
    assert payment.amount_pence == 5000 and payment.registration == person
    page = client.get(reverse("involvement_staff:payments")).content.decode()
    assert "2025/26" in page and person.reference in page and "£50.00" in page
    assert ANSWERS["name"] not in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"registration": ""}, "registration", "Choose the person"),
        ({"kind": "gift"}, "kind", "Choose a payment, voucher, expenses or recognition"),
        ({"activity_on": "2025-13-01"}, "activity_on", "Enter a real date"),
        ({"description": ""}, "description", "Say what it was for"),
        ({"rate": ""}, "rate", "Choose the rate of the payment policy"),
        ({"rate": "nonsense"}, "rate", "Choose a rate from the list"),
        ({"units": "0"}, "units", "Enter at least 0.01 units"),
        ({"units": "0.0001"}, "units", "Enter at least 0.01 units"),
        ({"units": "1.555"}, "units", "no more than 2 decimal places"),
        ({"units": "two"}, "units", "Enter how many units as a number"),
        ({"activity_on": "2025-03-31"}, "rate", "does not apply on 31 March 2025"),
        ({"kind": "expenses", "amount": "-3"}, "amount", "cannot be negative"),
        ({"kind": "expenses", "rate": "", "amount": "3.456"}, "amount", "2 decimal places"),
        ({"paid_on": "yesterday"}, "paid_on", "Enter a real date"),
    ],
)
def test_bad_payments_are_refused_naming_the_field_and_nothing_is_saved(
    steering, signed_in, person, set_rate, changes, field, message
):
    rate = set_rate()
    data = {**PAYMENT_FORM, "registration": str(person.pk), "rate": str(rate.pk), **changes}
    response = signed_in(steering).post(reverse("involvement_staff:payment_new"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'href="#id_{field}' in page and message in page
    assert not InvolvementPayment.objects.exists()


def test_the_csv_for_finance_is_safe_from_formulas_and_names_nobody(
    admin, signed_in, person, set_rate, pay
):
    pay(rate=set_rate(), description='=HYPERLINK("http://evil")')
    pay(kind="expenses", units=None, amount_pence=1240, description="@SUM(A1) taxi")
    response = signed_in(admin).get(reverse("involvement_staff:payments_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["reference"] for row in rows} == {person.reference}
    descriptions = {row["what_for"] for row in rows}
    assert descriptions == {'\'=HYPERLINK("http://evil")', "'@SUM(A1) taxi"}
    assert {row["amount_gbp"] for row in rows} == {"50", "12.4"} or {
        row["amount_gbp"] for row in rows
    } == {"50.00", "12.40"}
    assert ANSWERS["name"] not in text and ANSWERS["email"] not in text
    entry = AuditEntry.objects.get(action="involvement.payments_exported")
    assert entry.actor == admin and entry.context["rows"] == 2


def test_the_payments_page_and_csv_filter_by_financial_year(admin, signed_in, set_rate, pay):
    rate = set_rate()
    pay(rate=rate, activity_on=date(2026, 3, 31), description="March meeting")
    pay(rate=rate, activity_on=date(2026, 4, 1), description="April meeting")
    client = signed_in(admin)
    page = client.get(reverse("involvement_staff:payments"), {"year": "2026/27"}).content.decode()
    assert "April meeting" in page and "March meeting" not in page
    text = client.get(reverse("involvement_staff:payments_csv"), {"year": "2025/26"}).content
    assert b"March meeting" in text and b"April meeting" not in text


def test_recognition_cannot_be_marked_paid(steering, pay):
    recognition = pay(kind="recognition", units=None)
    with pytest.raises(ValidationError):
        services.mark_paid(recognition, date(2025, 7, 1), by=steering)
    recognition.refresh_from_db()
    assert recognition.paid_on is None


def test_the_person_page_lists_their_payments_even_after_they_withdraw(
    admin, signed_in, person, set_rate, pay
):
    pay(rate=set_rate(), description="Steering group meeting in June")
    services.withdraw(person, by="retention")
    page = signed_in(admin).get(reverse("involvement_staff:person", args=[person.pk]))
    content = page.content.decode()
    assert "Steering group meeting in June" in content and "2025/26: £50.00" in content
    totals = signed_in(admin).get(reverse("involvement_staff:payments")).content.decode()
    assert person.reference in totals and "£50.00" in totals


def test_a_payment_links_a_meeting_of_a_group_the_user_can_see(
    trust, other_trust, steering, make_staff, set_rate, pay
):
    from pcref.governance.models import GovernanceGroup, Meeting

    def meeting(organisation, by):
        group = GovernanceGroup.objects.create(
            organisation=organisation,
            name="PCREF steering group",
            kind="steering_group",
            created_by=by,
        )
        return Meeting.objects.create(
            group=group, held_on=date(2025, 6, 10), agenda="Plan", created_by=by
        )

    ours = meeting(trust, steering)
    theirs = meeting(other_trust, make_staff(other_trust, Role.ADMINISTRATOR))
    rate = set_rate()
    assert pay(rate=rate, meeting=ours).meeting == ours
    with pytest.raises(ValidationError) as refused:
        pay(rate=rate, meeting=theirs)
    assert "meeting" in refused.value.message_dict
    assert InvolvementPayment.objects.count() == 1
