"""Core forms: sign-in, second factor, organisations, services and teams, staff accounts, audit search."""

from django import forms
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pcref.core.models import Organisation, ServiceTeam, User
from pcref.core.once import ALREADY_SENT, AlreadySent, once
from pcref.core.roles import ROLE_LABELS, Role
from pcref.core.services import ORGANISATION_FIELDS, SERVICE_TEAM_FIELDS

# Every email column (Django's models.EmailField) holds 254 characters, the longest address
# RFC 5321 allows; a form field allowing more (Django's default is 320) would pass an address
# that the model then refuses on saving.
EMAIL_MAX_LENGTH = 254


def add_validation_error(form: forms.Form, error: ValidationError) -> None:
    """Put a service's validation error on the form: each field's problems on that field (or
    the form as a whole when it has no such field), a general error on the form."""
    if hasattr(error, "error_dict"):
        for field, problems in error.error_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error)


def call_service(form: forms.Form, change, *, by=None) -> bool:
    """Run a service (`change`, no arguments); when it refuses with a ValidationError, put the
    error on the form and return False. Nothing is saved then: services are atomic.

    A form with a one-time key (`pcref.core.once.OnceField`) is acted on once: a second send
    of the same form gets a form error instead. `by` is the staff member sending it.
    """
    try:
        with once(form.cleaned_data.get("once"), by=by):
            change()
    except AlreadySent:
        form.add_error(None, ALREADY_SENT)
        return False
    except ValidationError as error:
        add_validation_error(form, error)
        return False
    return True


class SignInForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
        error_messages={"required": _("Enter your username")},
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password")},
    )

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        # The request goes to authenticate() so django-axes can count failures.
        user = authenticate(self.request, username=data["username"], password=data["password"])
        if user is None or not user.is_active:
            raise forms.ValidationError(
                _("The username or password is not right. Check them and try again."),
                code="invalid_login",
            )
        self.user = user
        return data


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Security code"),
        help_text=_(
            "The 6-digit code from your authenticator app, or one of your 8-digit backup codes."
        ),
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": "nhsuk-input--width-10",
            }
        ),
        error_messages={"required": _("Enter your security code")},
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not code.isdigit() or len(code) not in (6, 8):
            raise forms.ValidationError(_("Enter the 6 or 8 digits of your security code"))
        return code


class OrganisationForm(forms.ModelForm):
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = list(ORGANISATION_FIELDS)
        widgets = {"kind": forms.RadioSelect}

    def clean_ods_code(self):
        return self.cleaned_data["ods_code"].strip().upper()


class ServiceTeamForm(forms.ModelForm):
    class Meta:
        model = ServiceTeam
        fields = list(SERVICE_TEAM_FIELDS)
        widgets = {"kind": forms.Select}


class StaffUserForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("Email address"), max_length=EMAIL_MAX_LENGTH)
    username = forms.RegexField(
        label=_("Username"),
        regex=r"^[\w.@+-]+$",
        max_length=150,
        help_text=_("Letters, numbers and . @ + - _ only."),
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=[(str(role), label) for role, label in ROLE_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one role")},
    )

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(
                _("The username %(name)s is taken"), params={"name": username}
            )
        return username

    def clean_roles(self):
        return [Role(role) for role in self.cleaned_data["roles"]]


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=[(str(role), label) for role, label in ROLE_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def clean_roles(self):
        return [Role(role) for role in self.cleaned_data["roles"]]


class AuditSearchForm(forms.Form):
    action = forms.CharField(label=_("Action contains"), required=False, max_length=100)
    who = forms.CharField(label=_("Who (username)"), required=False, max_length=150)
    record = forms.CharField(label=_("Record id or name contains"), required=False, max_length=255)
    date_from = forms.DateField(
        label=_("From (YYYY-MM-DD)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To (YYYY-MM-DD)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("To: the date must be the same as or after the From date"))
        return data
