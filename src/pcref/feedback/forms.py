"""Feedback forms: one question per page in the public journey, and the staff forms."""

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from pcref.core.forms import EMAIL_MAX_LENGTH
from pcref.core.models import Organisation, ServiceTeam, User
from pcref.core.once import OnceField
from pcref.core.reference import ethnic_group_choices, takes_details
from pcref.feedback.models import ContactDetails, FeedbackSubmission, Theme

MAX_TEXT = 20_000  # characters: long accounts are welcome; beyond this, a clear error, nothing cut


def not_blank(value: str) -> None:
    if not value.strip():
        raise forms.ValidationError(_("Tell us what happened"), code="blank")


class PersonTextField(forms.CharField):
    """A person's words, kept exactly as written (no stripping), in any direction."""

    def __init__(self, *, rows: int = 8, **kwargs):
        kwargs.setdefault("strip", False)
        kwargs.setdefault("max_length", None)
        super().__init__(
            widget=forms.Textarea(attrs={"dir": "auto", "rows": rows, "spellcheck": "true"}),
            **kwargs,
        )
        self.validators.append(
            MaxLengthValidator(
                MAX_TEXT,
                message=_("Write %(limit_value)d characters or fewer (you wrote %(show_value)d)"),
            )
        )


class HoneypotMixin(forms.Form):
    """A field people never see; programs that fill every field reveal themselves."""

    website = forms.CharField(required=False, label=_("Leave this empty"))

    def is_spam(self) -> bool:
        return bool(self.data.get(self.add_prefix("website")))


class WhoForm(forms.Form):
    respondent_type = forms.ChoiceField(
        label=_("Who are you?"),
        choices=FeedbackSubmission.RespondentType.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select who you are")},
    )


class ServiceForm(forms.Form):
    service_team = forms.ChoiceField(
        label=_("Which service or team is your feedback about?"),
        help_text=_('Optional. Choose "Not sure" if you do not know.'),
        required=False,
        widget=forms.Select,
    )

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        teams = ServiceTeam.objects.filter(organisation=organisation, is_active=True).order_by(
            "name"
        )
        self.fields["service_team"].choices = [("", _("Not sure"))] + [
            (str(t.pk), t.name) for t in teams
        ]


class WhatHappenedForm(HoneypotMixin):
    text = PersonTextField(
        label=_("What happened?"),
        help_text=_("Write in any language. You do not need to give anyone's name."),
        validators=[not_blank],
        error_messages={"required": _("Tell us what happened")},
    )
    field_order = ["text", "website"]


class TopicsForm(forms.Form):
    cultural_needs = PersonTextField(
        rows=4,
        required=False,
        label=_("How were your cultural or religious needs considered? (optional)"),
    )
    family_involvement = PersonTextField(
        rows=4,
        required=False,
        label=_("How were your family or carers involved in discussions about care? (optional)"),
    )
    sharing_information = PersonTextField(
        rows=4,
        required=False,
        label=_("What was it like to share your personal information with us? (optional)"),
    )


class OverallForm(forms.Form):
    overall_experience = forms.ChoiceField(
        label=_("Overall, how was your experience? (optional)"),
        choices=FeedbackSubmission.Experience.choices,
        widget=forms.RadioSelect,
        required=False,
    )


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class ReplyForm(forms.Form):
    wants_reply = forms.ChoiceField(
        label=_("Would you like us to reply to you?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select yes if you would like a reply")},
    )


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Your name (optional)"), required=False, max_length=200)
    preferred_method = forms.ChoiceField(
        label=_("How should we contact you?"),
        choices=ContactDetails.Method.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select how we should contact you")},
    )
    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        max_length=EMAIL_MAX_LENGTH,  # as the model's column: a longer one would fail on saving
        error_messages={
            "invalid": _("Enter an email address like name@example.com"),
            "max_length": _("Enter an email address like name@example.com"),
        },
    )
    phone = forms.RegexField(
        label=_("Phone number"),
        required=False,
        regex=r"^[0-9+() \-]{7,20}$",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        error_messages={"invalid": _("Enter a phone number, like 0116 000 0000")},
    )
    partner_organisation = forms.ChoiceField(
        label=_("Which organisation should we contact you through?"), required=False
    )
    consent = forms.BooleanField(
        label=_("I agree that the patient experience team may contact me about this feedback"),
        error_messages={"required": _("Tick the box to agree that we may contact you")},
    )

    DETAIL_OF_METHOD = {
        ContactDetails.Method.EMAIL: "email",
        ContactDetails.Method.PHONE: "phone",
        ContactDetails.Method.PARTNER: "partner_organisation",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        partners = Organisation.objects.exclude(kind=Organisation.Kind.NHS_TRUST).order_by("name")
        self.fields["partner_organisation"].choices = [("", "")] + [
            (str(o.pk), o.name) for o in partners
        ]

    def clean(self):
        data = super().clean()
        method = data.get("preferred_method")
        if method == ContactDetails.Method.EMAIL and not data.get("email"):
            self.add_error(
                "email", _("Enter your email address, or choose another way to contact you")
            )
        if method == ContactDetails.Method.PHONE and not data.get("phone"):
            self.add_error(
                "phone", _("Enter your phone number, or choose another way to contact you")
            )
        if method == ContactDetails.Method.PARTNER and not data.get("partner_organisation"):
            self.add_error(
                "partner_organisation", _("Choose the organisation to contact you through")
            )
        # Only the chosen way is kept: the check page shows it, and details the person did not
        # choose (typed, then another way picked) are neither shown nor stored.
        for chosen, name in self.DETAIL_OF_METHOD.items():
            if method != chosen and name in data:
                data[name] = ""
        return data


class AboutYouForm(forms.Form):
    """The optional equality questions, explained on the page."""

    ethnic_group = forms.ChoiceField(
        label=_("What is your ethnic group? (optional)"), widget=forms.RadioSelect, required=False
    )
    ethnic_group_details = forms.CharField(
        label=_('If you chose "any other", you can describe your ethnic group (optional)'),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
    main_language = forms.CharField(
        label=_("What is your main language? (optional)"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
    religion = forms.ChoiceField(
        label=_("What is your religion? (optional)"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            ("none", _("No religion")),
            ("buddhist", _("Buddhist")),
            ("christian", _("Christian")),
            ("hindu", _("Hindu")),
            ("jewish", _("Jewish")),
            ("muslim", _("Muslim")),
            ("sikh", _("Sikh")),
            ("other", _("Any other religion")),
            ("prefer_not_to_say", _("Prefer not to say")),
        ],
    )
    disability = forms.ChoiceField(
        label=_("Do you consider yourself to have a disability or long-term condition? (optional)"),
        required=False,
        widget=forms.RadioSelect,
        choices=[("yes", _("Yes")), ("no", _("No")), ("prefer_not_to_say", _("Prefer not to say"))],
    )
    age_band = forms.ChoiceField(
        label=_("How old are you? (optional)"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            ("under_18", _("Under 18")),
            ("18_24", _("18 to 24")),
            ("25_34", _("25 to 34")),
            ("35_44", _("35 to 44")),
            ("45_54", _("45 to 54")),
            ("55_64", _("55 to 64")),
            ("65_74", _("65 to 74")),
            ("75_plus", _("75 or over")),
            ("prefer_not_to_say", _("Prefer not to say")),
        ],
    )
    sex = forms.ChoiceField(
        label=_("What is your sex? (optional)"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            ("female", _("Female")),
            ("male", _("Male")),
            ("prefer_not_to_say", _("Prefer not to say")),
        ],
    )
    gender_same_as_sex = forms.ChoiceField(
        label=_(
            "Is the gender you identify with the same as your sex registered at birth? (optional)"
        ),
        required=False,
        widget=forms.RadioSelect,
        choices=[("yes", _("Yes")), ("no", _("No")), ("prefer_not_to_say", _("Prefer not to say"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ethnic_group"].choices = ethnic_group_choices()

    def clean(self):
        data = super().clean()
        if data.get("ethnic_group_details") and not takes_details(data.get("ethnic_group") or ""):
            self.add_error(
                "ethnic_group_details",
                _('Choose an "any other" ethnic group to describe it, or leave this empty'),
            )
        return data


class ConfirmForm(HoneypotMixin):
    """The check-your-answers page: sending is a POST with a honeypot."""


# Easy Read ---------------------------------------------------------------------------------

NO_NEED = _("You do not have to answer.")
CHOOSE_ONE = _("Choose one.")
DO_NOT_KNOW = _("I do not know")

# Easy Read words for the public journey's questions, by field name: the same fields, values and
# checks, in plain words. "hint" is a tuple of short sentences; "choices" maps a value to its
# words (values not listed keep their usual label); "required" replaces the missing-answer error.
EASY_READ_FIELDS = {
    "respondent_type": {
        "label": _("Who are you?"),
        "hint": (CHOOSE_ONE,),
        "choices": {
            "patient": _("I use mental health services"),
            "carer": _("I care for someone"),
            "family": _("I am a family member"),
            "friend": _("I am a friend"),
            "community": _("I live in the local community"),
            "on_behalf": _("I am writing for someone else"),
        },
        "required": _("Choose who you are"),
    },
    "service_team": {
        "label": _("Which service was it?"),
        "hint": (_("For example, a ward or a team."), NO_NEED),
        "choices": {"": DO_NOT_KNOW},
    },
    "text": {
        "label": _("What happened?"),
        "hint": (
            _("Tell us in your own words."),
            _("You can write in any language."),
            _("You do not have to write anyone's name."),
        ),
    },
    "cultural_needs": {
        "label": _("Did we respect your culture and religion?"),
        "hint": (NO_NEED,),
    },
    "family_involvement": {
        "label": _("Did we talk with your family or carers about your care?"),
        "hint": (NO_NEED,),
    },
    "sharing_information": {
        "label": _("How did it feel to tell us about yourself?"),
        "hint": (NO_NEED,),
    },
    "overall_experience": {
        "label": _("How was your care?"),
        "hint": (CHOOSE_ONE, NO_NEED),
        "choices": {
            "neither": _("OK"),
            "poor": _("Bad"),
            "very_poor": _("Very bad"),
            "dont_know": DO_NOT_KNOW,
        },
    },
    "wants_reply": {
        "label": _("Do you want us to reply to you?"),
        "hint": (_("If you choose yes, we will ask how to contact you."),),
        "required": _("Choose yes or no"),
    },
    "name": {"label": _("Your name"), "hint": (NO_NEED,)},
    "preferred_method": {
        "label": _("How should we contact you?"),
        "hint": (CHOOSE_ONE,),
        "choices": {"partner": _("Through an organisation that helps me")},
    },
    "partner_organisation": {"label": _("Which organisation?")},
    "consent": {
        "label": _("It is OK for the team to contact me about this feedback."),
        "required": _("Tick the box if it is OK to contact you"),
    },
    "ethnic_group": {
        "label": _("What is your ethnic group?"),
        "hint": (_("This is about your family background and culture."), NO_NEED),
    },
    "ethnic_group_details": {
        "label": _("Tell us more about your ethnic group"),
        "hint": (_('Only if you chose "any other".'), NO_NEED),
    },
    "main_language": {"label": _("What language do you speak most?"), "hint": (NO_NEED,)},
    "disability": {
        "label": _("Do you have a disability or a long-term health condition?"),
        "hint": (NO_NEED,),
        "choices": {"prefer_not_to_say": _("I do not want to say")},
    },
}


def easy_read_choice(field_name: str, value: str) -> str | None:
    """The Easy Read words for one answer, if they differ from the usual label."""
    words = EASY_READ_FIELDS.get(field_name, {}).get("choices", {}).get(value)
    return str(words) if words is not None else None


def use_easy_read(form: forms.Form, asks: tuple[str, ...] | None = None) -> forms.Form:
    """Give a public journey form its Easy Read words; with `asks`, keep only those questions
    (answers to the others stay as they were). Call before validating."""
    for name in list(form.fields):
        if asks is not None and name not in asks and name != "website":
            del form.fields[name]
            continue
        words = EASY_READ_FIELDS.get(name)
        if words is None:
            continue
        field = form.fields[name]
        field.label = words["label"]
        field.help_text = " ".join(str(sentence) for sentence in words.get("hint", ()))
        if "choices" in words:
            field.choices = [
                (value, words["choices"].get(value, label)) for value, label in field.choices
            ]
        if "required" in words:
            field.error_messages = {**field.error_messages, "required": words["required"]}
    return form


# Staff ---------------------------------------------------------------------------------------


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, widget=forms.Select)
    service_team = forms.ChoiceField(
        label=_("Service or team"), required=False, widget=forms.Select
    )
    theme = forms.ChoiceField(label=_("Theme"), required=False, widget=forms.Select)
    sentiment = forms.ChoiceField(label=_("Sentiment"), required=False, widget=forms.Select)
    language = forms.ChoiceField(
        label=_("Language written in"), required=False, widget=forms.Select
    )
    ethnic_group = forms.ChoiceField(label=_("Ethnic group"), required=False, widget=forms.Select)
    flagged = forms.ChoiceField(
        label=_("Flags"),
        required=False,
        widget=forms.Select,
        choices=[
            ("", _("Any")),
            ("safeguarding", _("Safeguarding")),
            ("complaint", _("Formal complaint")),
        ],
    )
    received_from = forms.DateField(
        label=_("Received from (YYYY-MM-DD)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_to = forms.DateField(
        label=_("Received to (YYYY-MM-DD)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    search = forms.CharField(label=_("Words or reference"), required=False, max_length=200)

    def __init__(self, *args, organisation_id, language_codes, **kwargs):
        super().__init__(*args, **kwargs)
        anything = [("", _("Any"))]
        self.fields["status"].choices = anything + list(FeedbackSubmission.Status.choices)
        self.fields["sentiment"].choices = anything + list(FeedbackSubmission.Sentiment.choices)
        self.fields["service_team"].choices = anything + [
            (str(t.pk), t.name) for t in ServiceTeam.objects.filter(organisation_id=organisation_id)
        ]
        self.fields["theme"].choices = anything + [
            (t.key, t.name) for t in Theme.objects.filter(is_active=True)
        ]
        self.fields["language"].choices = anything + [(code, code) for code in language_codes]
        self.fields["ethnic_group"].choices = anything + [
            ("W", _("White")),
            ("M", _("Mixed")),
            ("A", _("Asian or Asian British")),
            ("B", _("Black or Black British")),
            ("O", _("Other ethnic group")),
            ("Z", _("Not stated")),
            ("99", _("Not known")),
        ]


class TriageForm(forms.Form):
    themes = forms.MultipleChoiceField(
        label=_("Themes"),
        help_text=_("Suggested themes are ticked. Untick any that do not fit and add any that do."),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one theme")},
    )
    sentiment = forms.ChoiceField(
        label=_("Sentiment"),
        choices=FeedbackSubmission.Sentiment.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the sentiment")},
    )
    safeguarding = forms.BooleanField(label=_("This raises a safeguarding concern"), required=False)
    formal_complaint = forms.BooleanField(
        label=_("The person wants to make a formal complaint"), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["themes"].choices = [
            (t.key, t.name) for t in Theme.objects.filter(is_active=True)
        ]

    def clean_themes(self):
        return list(Theme.objects.filter(key__in=self.cleaned_data["themes"]))


class AssignForm(forms.Form):
    assigned_team = forms.ChoiceField(label=_("Team"), required=False, widget=forms.Select)
    owner = forms.ChoiceField(label=_("Owner"), required=False, widget=forms.Select)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, organisation_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = {
            str(t.pk): t for t in ServiceTeam.objects.filter(organisation_id=organisation_id)
        }
        self.people = {
            str(u.pk): u
            for u in User.objects.filter(organisation_id=organisation_id, is_active=True)
        }
        self.fields["assigned_team"].choices = [("", _("Not assigned"))] + [
            (k, t.name) for k, t in self.teams.items()
        ]
        self.fields["owner"].choices = [("", _("No owner"))] + [
            (k, str(u)) for k, u in self.people.items()
        ]

    def clean(self):
        data = super().clean()
        data["assigned_team"] = self.teams.get(data.get("assigned_team") or "")
        data["owner"] = self.people.get(data.get("owner") or "")
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=FeedbackSubmission.Status.choices, widget=forms.RadioSelect
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ActionForm(forms.Form):
    once = OnceField()
    description = forms.CharField(
        label=_("What will be done"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    owner = forms.ChoiceField(label=_("Who will do it"), widget=forms.Select)
    due_date = forms.DateField(
        label=_("Due date (YYYY-MM-DD)"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, organisation_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {
            str(u.pk): u
            for u in User.objects.filter(organisation_id=organisation_id, is_active=True)
        }
        self.fields["owner"].choices = [(k, str(u)) for k, u in self.people.items()]

    def clean_owner(self):
        return self.people[self.cleaned_data["owner"]]


class ReplyMessageForm(forms.Form):
    once = OnceField()  # a reply sent twice would email the person twice
    body = forms.CharField(
        label=_("Your reply"),
        widget=forms.Textarea(attrs={"rows": 8, "dir": "auto"}),
        max_length=10_000,
    )


class YouSaidWeDidForm(forms.Form):
    theme = forms.ChoiceField(label=_("Theme"), widget=forms.Select)
    service_team = forms.ChoiceField(
        label=_("Service or team"), required=False, widget=forms.Select
    )
    you_said = forms.CharField(
        label=_("You said"),
        help_text=_(
            "A short summary in your own words. Do not include names or other personal details."
        ),
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
        max_length=2000,
    )
    we_did = forms.CharField(
        label=_("We did"),
        help_text=_("What changed because of this feedback."),
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
        max_length=2000,
    )

    def __init__(self, *args, organisation_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.themes = {t.key: t for t in Theme.objects.filter(is_active=True)}
        self.teams = {
            str(t.pk): t for t in ServiceTeam.objects.filter(organisation_id=organisation_id)
        }
        self.fields["theme"].choices = [(k, t.name) for k, t in self.themes.items()]
        self.fields["service_team"].choices = [("", _("The whole trust"))] + [
            (k, t.name) for k, t in self.teams.items()
        ]

    def clean(self):
        data = super().clean()
        if "theme" in data:
            data["theme"] = self.themes[data["theme"]]
        data["service_team"] = self.teams.get(data.get("service_team") or "")
        return data


class YouSaidWeDidDraftForm(YouSaidWeDidForm):
    """A new draft: acted on once, as a double click would make two drafts of one entry."""

    once = OnceField()


class PartnerFeedbackForm(WhoForm, WhatHappenedForm):
    """A partner organisation records feedback for someone, or from a listening event."""

    channel = forms.ChoiceField(
        label=_("How did you gather this feedback?"),
        choices=[
            (FeedbackSubmission.Channel.PARTNER, _("From one person, on their behalf")),
            (FeedbackSubmission.Channel.LISTENING_EVENT, _("At a group listening event")),
        ],
        widget=forms.RadioSelect,
    )
    group_size = forms.IntegerField(
        label=_("How many people took part? (events only)"),
        required=False,
        min_value=2,
        max_value=10_000,
    )
    service_team = forms.ChoiceField(
        label=_("Which service or team is it about? (optional)"),
        required=False,
        widget=forms.Select,
    )
    field_order = ["channel", "group_size", "respondent_type", "service_team", "text"]

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        teams = ServiceTeam.objects.filter(organisation=organisation, is_active=True).order_by(
            "name"
        )
        self.fields["service_team"].choices = [("", _("Not sure"))] + [
            (str(t.pk), t.name) for t in teams
        ]

    def clean(self):
        data = super().clean()
        if data.get("channel") == FeedbackSubmission.Channel.LISTENING_EVENT and not data.get(
            "group_size"
        ):
            self.add_error("group_size", _("Enter how many people took part in the event"))
        return data
