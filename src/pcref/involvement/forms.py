"""Involvement forms: the public sign-up, and staff forms for the register and opportunities."""

from django import forms
from django.utils.translation import gettext_lazy as _

from pcref.core.reference import ethnic_group_choices, takes_details
from pcref.feedback.forms import HoneypotMixin, PersonTextField
from pcref.involvement.models import (
    Interest,
    InvolvementRegistration,
    OpportunityMatch,
    PartnerAgreement,
)


class SignUpForm(HoneypotMixin):
    """Everything on one page: short enough, and nothing to lose between pages."""

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
        error_messages={"invalid": _("Enter an email address like name@example.com")},
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
    name = forms.CharField(
        label=_("Name"), max_length=200, error_messages={"required": _("Enter the person's name")}
    )
    job_title = forms.CharField(label=_("Role (optional)"), max_length=200, required=False)
    email = forms.EmailField(
        label=_("Email address (optional)"),
        required=False,
        error_messages={"invalid": _("Enter an email address like name@example.com")},
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
