"""Events, co-production and payments in Chromium: a steering group member records an event with
counts by community and a payment by reference, an administrator sets a rate, and everyone sees
totals per person per financial year (with and without JavaScript); axe on every page."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pcref.core.models import User
from pcref.demo import load_everything
from pcref.involvement.models import (
    EngagementEvent,
    InvolvementPayment,
    InvolvementRegistration,
    PaymentRate,
)
from pcref.involvement.services import financial_year

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_event_and_a_payment_are_recorded_and_totalled(
    live_server, new_page, check_page, javascript
):
    load_everything(insights=False)
    steering = User.objects.get(username="steering")
    page = new_page(javascript=javascript, base_url=live_server.url, user=steering)
    page.goto("/staff/involvement/")
    page.get_by_role("link", name="Events and co-production").click()
    check_page(page)
    expect(page.locator("tbody tr")).to_have_count(3)  # the demo's three
    page.get_by_role("link", name="Record an event").click()
    check_page(page)
    page.locator("input[name=kind][value=listening]").check()
    page.locator("input[name=title]").fill("Listening session at the gurdwara")
    page.locator("input[name=held_on]").fill("2026-03-05")
    page.locator("select[name=partner]").select_option(label="Jamila's Legacy")
    page.locator("textarea[name=participation]").fill("Sikh, 15\nCarers: 4\nSikh, 2")
    page.locator("textarea[name=heard]").fill("Families want information in Punjabi.")
    page.get_by_role("button", name="Record event").click()  # a community twice: refused
    check_page(page)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        'Line 3: "Sikh" is already on line 1'
    )
    assert not EngagementEvent.objects.filter(title="Listening session at the gurdwara").exists()
    page.locator("textarea[name=participation]").fill("Sikh, 15\nCarers: 4")
    page.locator("textarea[name=led_to]").fill("A Punjabi leaflet about the crisis line.")
    page.locator("input[name=actions]").first.check()
    page.get_by_role("button", name="Record event").click()
    check_page(page)
    event = EngagementEvent.objects.get(title="Listening session at the gurdwara")
    assert sorted((p.community, p.people) for p in event.participation.all()) == [
        ("Carers", 4),
        ("Sikh", 15),
    ]
    assert event.actions.count() == 1
    expect(page.locator("main table")).to_contain_text("Sikh")
    expect(page.locator("main table")).to_contain_text("19")  # the total
    expect(page.locator("main")).to_contain_text("5 March 2026")
    page.get_by_role("link", name="Change this event").click()
    check_page(page)

    page.goto("/staff/involvement/")
    page.get_by_role("link", name="Payments and recognition").click()
    check_page(page)
    page.get_by_role("link", name="Payment rates").click()
    check_page(page)
    expect(page.locator("main")).to_contain_text("Administrators set the rates.")
    page.goto("/staff/involvement/payments/")
    page.get_by_role("link", name="Record a payment or recognition").click()
    check_page(page)
    person = InvolvementRegistration.objects.filter(status="active").order_by("created_at").last()
    select = page.locator("select[name=registration]")
    expect(select).not_to_contain_text(person.name)  # a steering group member sees references
    select.select_option(str(person.pk))
    page.locator("input[name=kind][value=payment]").check()
    today = timezone.localdate()
    page.locator("input[name=activity_on]").fill(today.isoformat())
    page.locator("input[name=description]").fill("Reviewing the Easy Read leaflet")
    page.locator("select[name=rate]").select_option(
        label=page.locator("select[name=rate] option", has_text="Involvement activity")
        .first.inner_text()
        .strip()
    )
    page.locator("input[name=units]").fill("1.555")  # too many decimal places: refused
    page.get_by_role("button", name="Record").click()
    check_page(page)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("no more than 2 decimal places")
    assert not InvolvementPayment.objects.filter(registration=person).exists()
    page.locator("input[name=units]").fill("1.5")
    page.get_by_role("button", name="Record").click()
    check_page(page)
    payment = InvolvementPayment.objects.get(registration=person)
    assert payment.amount_pence == 3000 and payment.rate.name == "Involvement activity"
    totals = page.locator("main table").first
    row = totals.locator("tr", has_text=person.reference)
    expect(row).to_contain_text(financial_year(today))
    expect(row).to_contain_text("£30.00")
    expect(page.locator("main")).not_to_contain_text(person.name)


def test_an_administrator_changes_a_rate(live_server, new_page, check_page):
    load_everything(insights=False)
    admin = User.objects.get(username="admin")
    page = new_page(base_url=live_server.url, user=admin)
    page.goto("/staff/involvement/payments/rates/")
    check_page(page)
    page.locator("input[name=name]").fill("Steering group meeting")
    page.locator("input[name=unit][value=session]").check()
    page.locator("input[name=amount]").fill("-55")
    page.locator("input[name=valid_from]").fill("2026-04-01")
    page.get_by_role("button", name="Save rate").click()
    check_page(page)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("cannot be negative")
    page.locator("input[name=amount]").fill("55.00")
    page.get_by_role("button", name="Save rate").click()
    check_page(page)
    rates = PaymentRate.objects.filter(name="Steering group meeting").order_by("valid_from")
    assert [(r.amount_pence, str(r.valid_until)) for r in rates] == [
        (5000, "2026-03-31"),
        (5500, "None"),
    ]
    expect(page.locator("main table")).to_contain_text("£55.00")
    page.goto("/staff/involvement/payments/")
    check_page(page)
    page.goto("/staff/involvement/payments/new/")
    check_page(page)  # names shown to administrators
