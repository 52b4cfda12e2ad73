"""Involvement addresses: the public sign-up (every language) and the staff register."""

from django.urls import path

from pcref.involvement.views import events, partners, payments, public, staff

public_urlpatterns = (
    [
        path("get-involved/", public.start, name="start"),
        path("get-involved/sign-up/", public.sign_up, name="sign_up"),
        path("get-involved/signed-up/", public.signed_up, name="signed_up"),
        path("get-involved/withdraw/<str:token>/", public.withdraw, name="withdraw"),
        path("get-involved/withdrawn/", public.withdrawn, name="withdrawn"),
    ],
    "involvement",
)

staff_urlpatterns = (
    [
        path("", staff.register, name="register"),
        path("people/<uuid:pk>/", staff.person, name="person"),
        path("people/<uuid:pk>/contact/", staff.contact, name="contact"),
        path("people/<uuid:pk>/withdraw/", staff.withdraw, name="withdraw"),
        path("opportunities/", staff.opportunities, name="opportunities"),
        path("opportunities/new/", staff.opportunity_new, name="opportunity_new"),
        path("opportunities/<uuid:pk>/", staff.opportunity, name="opportunity"),
        path("matches/<uuid:pk>/status/", staff.match_status, name="match_status"),
        path("partners/", partners.partners, name="partners"),
        path("partners/<uuid:pk>/", partners.partner, name="partner"),
        path("partners/<uuid:pk>/contacts/", partners.contact_add, name="partner_contact_add"),
        path(
            "partners/<uuid:pk>/contacts/<uuid:contact_pk>/remove/",
            partners.contact_remove,
            name="partner_contact_remove",
        ),
        path(
            "partners/<uuid:pk>/agreements/", partners.agreement_add, name="partner_agreement_add"
        ),
        path("events/", events.events, name="events"),
        path("events/new/", events.event_new, name="event_new"),
        path("events/<uuid:pk>/", events.event, name="event"),
        path("events/<uuid:pk>/edit/", events.event_edit, name="event_edit"),
        path("payments/", payments.payments, name="payments"),
        path("payments/new/", payments.payment_new, name="payment_new"),
        path("payments/payments.csv", payments.payments_csv, name="payments_csv"),
        path("payments/rates/", payments.rates, name="rates"),
        path("payments/<uuid:pk>/paid/", payments.payment_paid, name="payment_paid"),
    ],
    "involvement_staff",
)
