"""Core addresses: public pages (under every language prefix) and staff pages (under /staff/)."""

from django.urls import path

from pcref.core.views import account, public, staff

public_urlpatterns = (
    [
        path("", public.home, name="home"),
        path("about-pcref/", public.about_pcref, name="about_pcref"),
        path("accessibility/", public.accessibility, name="accessibility"),
        path("privacy/", public.privacy, name="privacy"),
        path("cookies/", public.cookies, name="cookies"),
        path("our-data/", public.published_data, name="published_data"),
    ],
    "core",
)

staff_urlpatterns = (
    [
        path("", staff.staff_home, name="staff_home"),
        path("sign-in/", account.sign_in, name="sign_in"),
        path("sign-in/verify/", account.verify, name="verify"),
        path("sign-out/", account.sign_out, name="sign_out"),
        path("account/", account.account, name="account"),
        path("account/two-factor/", account.two_factor_setup, name="two_factor_setup"),
        path("account/backup-codes/", account.backup_codes, name="backup_codes"),
        path("organisations/", staff.organisation_list, name="organisation_list"),
        path("organisations/<uuid:pk>/", staff.organisation_detail, name="organisation_detail"),
        path("organisations/<uuid:pk>/edit/", staff.organisation_edit, name="organisation_edit"),
        path(
            "organisations/<uuid:pk>/services/add/",
            staff.service_team_add,
            name="service_team_add",
        ),
        path("services/<uuid:pk>/edit/", staff.service_team_edit, name="service_team_edit"),
        path("accounts/", staff.staff_list, name="staff_list"),
        path("accounts/add/", staff.staff_add, name="staff_add"),
        path("accounts/<int:pk>/roles/", staff.staff_roles, name="staff_roles"),
        path("audit/", staff.audit_log, name="audit_log"),
    ],
    "core_staff",
)
