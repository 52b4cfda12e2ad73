"""Involvement forms: the public sign-up, and staff forms for the register and opportunities."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pcref.core.forms import EMAIL_MAX_LENGTH
from pcref.core.once import OnceField
from pcref.core.presenters import date_only
from pcref.core.reference import ethnic_group_choices, takes_details
from pcref.feedback.forms import HoneypotMixin, PersonTextField
from pcref.involvement import services
from pcref.involvement.models import (
    EngagementEvent,
    Interest,
    InvolvementPayment,
    InvolvementRegistration,
    OpportunityMatch,
    PartnerAgreement,
    PaymentRate,
)
from pcref.involvement.presenters import rate_label


class SignUpForm(HoneypotMixin):
    """Everything on one page: short enough, and nothing to lose between pages."""

    once = OnceField()

    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name", "dir": "auto"}),
        error_messages={
            "required": _("Enter your name"),
            "max_length": _("Enter a name of 200 characters or fewer"),
        },
    )
    email = forms.EmailField(
        label=_("Email address (optional if you give a phone number)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        max_length=EMAIL_MAX_LENGTH,  # as the model's column: a longer one would fail on saving
        error_messages={
            "invalid": _("Enter an email address like name@example.com"),
            "max_length": _("Enter an email address like name@example.com"),
        },
    )
    phone = forms.RegexField(
        label=_("Phone number (optional if you give an email address)"),
        required=False,
        regex=r"^[0-9+() \-]{7,20}$",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        error_messages={"invalid": _("Enter a phone number, like 0116 000 0000")},
    )
    interests = forms.MultipleChoiceField(
        label=_("What would you like to do?"),
        help_text=_("Choose all that interest you. You can say no to anything we ask later."),
        choices=Interest.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one thing you would like to do"),
            "invalid_choice": _("Choose from the list of things you would like to do"),
        },
    )
    communities = PersonTextField(
        rows=3,
        required=False,
        label=_("Which communities do you belong to? (optional)"),
        help_text=_(
            "For example, a faith, a neighbourhood, a language, a culture, or being a carer."
        ),
    )
    ethnic_group = forms.ChoiceField(
        label=_("What is your ethnic group? (optional)"),
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": _("Choose an ethnic group from the list")},
    )
    ethnic_group_details = forms.CharField(
        label=_('If you chose "any other", you can describe your ethnic group (optional)'),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
    access_needs = PersonTextField(
        rows=3,
        required=False,
        label=_("Do you have any access needs? (optional)"),
        help_text=_(
            "For example, an interpreter (tell us the language), Easy Read, large print, "
            "step-free access, a hearing loop, or meetings at certain times."
        ),
    )
    preferred_language = forms.CharField(
        label=_("Which language would you like us to use? (optional)"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that the trust may keep these details to contact me about getting involved"
        ),
        error_messages={"required": _("Tick the box to agree that we may keep your details")},
    )
    field_order = [
        "name",
        "email",
        "phone",
        "interests",
        "communities",
        "ethnic_group",
        "ethnic_group_details",
        "access_needs",
        "preferred_language",
        "consent",
        "website",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ethnic_group"].choices = ethnic_group_choices()

    def clean_name(self):
        name = self.cleaned_data["name"]
        if not name.strip():
            raise forms.ValidationError(_("Enter your name"), code="blank")
        return name

    def clean(self):
        data = super().clean()
        if "email" in data and "phone" in data and not data["email"] and not data["phone"]:
            self.add_error(
                "email", _("Enter an email address or a phone number, so that we can contact you")
            )
        if data.get("ethnic_group_details") and not takes_details(data.get("ethnic_group") or ""):
            self.add_error(
                "ethnic_group_details",
                _('Choose an "any other" ethnic group to describe it, or leave this empty'),
            )
        return data


# Staff ---------------------------------------------------------------------------------------


class RegisterFilterForm(forms.Form):
    interest = forms.ChoiceField(label=_("Would like to"), required=False, widget=forms.Select)
    status = forms.ChoiceField(label=_("Status"), required=False, widget=forms.Select)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["interest"].choices = [("", _("Anything"))] + list(Interest.choices)
        self.fields["status"].choices = [("", _("Any"))] + list(
            InvolvementRegistration.Status.choices
        )


class OpportunityForm(forms.Form):
    once = OnceField()
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        error_messages={"required": _("Enter a title")},
    )
    description = forms.CharField(
        label=_("What it involves"),
        help_text=_("Where and when, how long it takes, and any payment or expenses."),
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
        max_length=5000,
        error_messages={"required": _("Describe what it involves")},
    )
    kind = forms.ChoiceField(
        label=_("Kind of involvement"),
        choices=Interest.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the kind of involvement")},
    )
    takes_place_on = forms.DateField(
        label=_("Date (YYYY-MM-DD)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("Enter the date"),
            "invalid": _("Enter a real date, like 2027-03-14"),
        },
    )


class InviteForm(forms.Form):
    people = forms.MultipleChoiceField(
        label=_("People to invite"),
        help_text=_("People on the register who would like to do this kind of thing come first."),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one person to invite"),
            "invalid_choice": _("Choose people from the list: %(value)s is not on it"),
        },
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {str(person.pk): person for person, _label in candidates}
        self.fields["people"].choices = [(str(p.pk), label) for p, label in candidates]

    def clean_people(self):
        return [self.candidates[pk] for pk in self.cleaned_data["people"]]


class MatchStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=OpportunityMatch.Status.choices,
        widget=forms.Select,
        error_messages={"invalid_choice": _("Choose invited, taking part or declined")},
    )


class PartnerContactForm(forms.Form):
    once = OnceField()
    name = forms.CharField(
        label=_("Name"), max_length=200, error_messages={"required": _("Enter the person's name")}
    )
    job_title = forms.CharField(label=_("Role (optional)"), max_length=200, required=False)
    email = forms.EmailField(
        label=_("Email address (optional)"),
        required=False,
        max_length=EMAIL_MAX_LENGTH,  # as the model's column: a longer one would fail on saving
        error_messages={
            "invalid": _("Enter an email address like name@example.com"),
            "max_length": _("Enter an email address like name@example.com"),
        },
    )
    phone = forms.RegexField(
        label=_("Phone number (optional)"),
        required=False,
        regex=r"^[0-9+() \-]{7,20}$",
        error_messages={"invalid": _("Enter a phone number, like 0116 000 0000")},
    )

    def clean(self):
        data = super().clean()
        if "email" in data and "phone" in data and not data["email"] and not data["phone"]:
            self.add_error("email", _("Enter an email address or a phone number"))
        return data


class PartnerAgreementForm(forms.Form):
    once = OnceField()
    title = forms.CharField(
        label=_("Title"), max_length=200, error_messages={"required": _("Enter a title")}
    )
    kind = forms.ChoiceField(
        label=_("Kind of agreement"),
        choices=PartnerAgreement.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the kind of agreement")},
    )
    starts_on = forms.DateField(
        label=_("Starts (YYYY-MM-DD)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("Enter the start date"),
            "invalid": _("Enter a real date, like 2027-03-14"),
        },
    )
    ends_on = forms.DateField(
        label=_("Ends (YYYY-MM-DD, optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a real date, like 2027-03-14")},
    )
    link = forms.URLField(
        label=_("Link to the document (optional)"),
        required=False,
        assume_scheme="https",
        error_messages={"invalid": _("Enter a web address, like https://example.org/agreement")},
    )

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The end date must be on or after the start date"))
        return data


# Engagement events and co-production activities ------------------------------------------------

DATE_ERRORS = {"invalid": _("Enter a real date, like 2026-03-14")}


class ModelChoice(forms.ModelChoiceField):
    """A choice of a row, where anything not on the list (even a malformed id) gets the field's
    own "choose from the list" message."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class EventFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, widget=forms.Select)
    year = forms.ChoiceField(label=_("Year"), required=False, widget=forms.Select)

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Any"))] + list(EngagementEvent.Kind.choices)
        self.fields["year"].choices = [("", _("Any"))] + [(str(y), str(y)) for y in years]


class EventForm(forms.Form):
    once = OnceField()
    kind = forms.ChoiceField(
        label=_("Kind of activity"),
        choices=EngagementEvent.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the kind of activity"),
            "invalid_choice": _("Choose the kind of activity from the list"),
        },
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        error_messages={
            "required": _("Enter a title"),
            "max_length": _("Keep the title to 200 characters or fewer"),
        },
    )
    held_on = forms.DateField(
        label=_("Date (YYYY-MM-DD)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Enter the date"), **DATE_ERRORS},
    )
    partner = ModelChoice(
        label=_("Partner organisation (optional)"),
        help_text=_("The voluntary, community or statutory organisation we worked with."),
        queryset=None,
        required=False,
        empty_label=_("No partner organisation"),
        widget=forms.Select,
        error_messages={"invalid_choice": _("Choose a partner organisation from the list")},
    )
    place = forms.CharField(
        label=_("Where (optional)"),
        max_length=200,
        required=False,
        error_messages={"max_length": _("Keep the place to 200 characters or fewer")},
    )
    participation = forms.CharField(
        label=_("Who took part: people by community"),
        help_text=_(
            'One community on each line: its name, a comma and how many people, like "Somali, '
            "12\". Numbers only: never write anyone's name."
        ),
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
        required=False,
        max_length=5000,
    )
    heard = forms.CharField(
        label=_("What we heard"),
        widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}),
        max_length=10000,
        error_messages={"required": _("Say what we heard")},
    )
    led_to = forms.CharField(
        label=_("What it led to (optional)"),
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
        max_length=10000,
        required=False,
    )
    feedback_references = forms.CharField(
        label=_("Feedback it led to (optional)"),
        help_text=_("The references of feedback items, like FB-7KQ2-M9XD, separated by commas."),
        max_length=2000,
        required=False,
    )
    actions = forms.ModelMultipleChoiceField(
        label=_("Plan actions it led to (optional)"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Choose plan actions from the list"),
            "invalid_pk_value": _("Choose plan actions from the list"),
        },
    )

    def __init__(self, *args, partners, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners
        self.fields["actions"].queryset = actions
        if not actions.exists():
            del self.fields["actions"]

    def _parsed(self, name, parse):
        try:
            return parse(self.cleaned_data[name])
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict[name]) from None

    def clean_participation(self):
        return self._parsed("participation", services.parse_participation)

    def clean_feedback_references(self):
        return self._parsed("feedback_references", services.parse_feedback_references)

    def clean_heard(self):
        heard = self.cleaned_data["heard"]
        if not heard.strip():
            raise forms.ValidationError(_("Say what we heard"))
        return heard


def event_initial(event) -> dict:
    """An event as the form's initial values, to change it."""
    return {
        "kind": event.kind,
        "title": event.title,
        "held_on": event.held_on,
        "partner": event.partner_id,
        "place": event.place,
        "participation": "\n".join(f"{r.community}, {r.people}" for r in event.participation.all()),
        "heard": event.heard,
        "led_to": event.led_to,
        "feedback_references": ", ".join(i.reference for i in event.feedback_items.all()),
        "actions": [str(a.pk) for a in event.actions.all()],
    }


# Payment policy, payments and recognition ------------------------------------------------------


class RateForm(forms.Form):
    name = forms.CharField(
        label=_("Activity"),
        help_text=_(
            "For example, a steering group meeting. To change the amount of a rate, give the "
            "same activity and the date the new amount starts."
        ),
        max_length=200,
        error_messages={"required": _("Enter the activity the rate is for")},
    )
    unit = forms.ChoiceField(
        label=_("Paid"),
        choices=PaymentRate.Unit.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how the rate is paid")},
    )
    amount = forms.CharField(
        label=_("Amount in pounds"),
        help_text=_("Pounds and pence, like 25.00."),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "nhsuk-input--width-10"}),
    )
    valid_from = forms.DateField(
        label=_("Valid from (YYYY-MM-DD)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Enter the date the rate starts"), **DATE_ERRORS},
    )

    def clean_amount(self):
        try:
            return services.pence_from_pounds(self.cleaned_data["amount"], field="amount")
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["amount"]) from None


class PaymentForm(forms.Form):
    once = OnceField()
    registration = forms.ChoiceField(
        label=_("Person on the register"),
        widget=forms.Select,
        error_messages={
            "required": _("Choose the person"),
            "invalid_choice": _("Choose someone on the register from the list"),
        },
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=InvolvementPayment.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a payment, voucher, expenses or recognition"),
            "invalid_choice": _("Choose a payment, voucher, expenses or recognition"),
        },
    )
    activity_on = forms.DateField(
        label=_("Date of the activity (YYYY-MM-DD)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Enter the date of the activity"), **DATE_ERRORS},
    )
    description = forms.CharField(
        label=_("What it was for"),
        max_length=300,
        error_messages={
            "required": _("Say what it was for"),
            "max_length": _("Keep it to 300 characters or fewer"),
        },
    )
    rate = ModelChoice(
        label=_("Rate (payments and vouchers)"),
        help_text=_("Only a rate valid on the date of the activity can be used."),
        queryset=None,
        required=False,
        empty_label=_("No rate"),
        widget=forms.Select,
        error_messages={"invalid_choice": _("Choose a rate from the list")},
    )
    units = forms.DecimalField(
        label=_("Units (hours, sessions or days)"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal("999"),
        max_digits=6,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "nhsuk-input--width-5"}),
        error_messages={
            "invalid": _("Enter how many units as a number, like 2 or 1.5"),
            "min_value": _("Enter at least 0.01 units"),
            "max_value": _("Enter 999 units or fewer"),
            "max_decimal_places": _("Enter units with no more than 2 decimal places"),
            "max_digits": _("Enter 999 units or fewer"),
        },
    )
    amount = forms.CharField(
        label=_("Amount of expenses in pounds (expenses only)"),
        help_text=_(
            "Pounds and pence, like 12.40. Payments and vouchers are the rate times the units."
        ),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "nhsuk-input--width-10"}),
    )
    event = ModelChoice(
        label=_("Event or co-production activity (optional)"),
        queryset=None,
        required=False,
        empty_label=_("None"),
        widget=forms.Select,
        error_messages={"invalid_choice": _("Choose an event from the list")},
    )
    meeting = ModelChoice(
        label=_("Meeting (optional)"),
        queryset=None,
        required=False,
        empty_label=_("None"),
        widget=forms.Select,
        error_messages={"invalid_choice": _("Choose a meeting from the list")},
    )
    paid_on = forms.DateField(
        label=_("Paid on (YYYY-MM-DD, optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages=DATE_ERRORS,
    )

    def __init__(self, *args, people, registrations, rates, events, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.registrations = registrations
        self.fields["registration"].choices = [("", _("Choose a person"))] + people
        self.fields["rate"].queryset = rates
        self.fields["rate"].label_from_instance = rate_label
        self.fields["event"].queryset = events
        self.fields["event"].label_from_instance = lambda e: f"{e.title} ({date_only(e.held_on)})"
        self.fields["meeting"].queryset = meetings
        self.fields["meeting"].label_from_instance = lambda m: f"{m.group}: {date_only(m.held_on)}"

    def clean_registration(self):
        registration = self.registrations.filter(pk=self.cleaned_data["registration"]).first()
        if registration is None:
            raise forms.ValidationError(_("Choose someone on the register from the list"))
        return registration

    def clean_amount(self):
        if not self.cleaned_data["amount"].strip():
            return None
        try:
            return services.pence_from_pounds(self.cleaned_data["amount"], field="amount")
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["amount"]) from None


class MarkPaidForm(forms.Form):
    paid_on = forms.DateField(
        label=_("Paid on (YYYY-MM-DD)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Enter the date it was paid"), **DATE_ERRORS},
    )
