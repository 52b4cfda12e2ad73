"""Governance forms: a plan with its workstreams, an action, a progress update, a RAG override."""

from django import forms
from django.utils.translation import gettext_lazy as _

from pcref.core.once import OnceField
from pcref.feedback.models import Theme
from pcref.governance import measures
from pcref.governance.models import (
    RAG,
    ActionMeasure,
    Competency,
    DeliveryAction,
    Direction,
    PCREFComponent,
)
from pcref.governance.services import DEFAULT_WORKSTREAMS

NO_OVERRIDE = "none"
DATE_ERRORS = {"invalid": _("Enter a real date, like 2026-03-31")}


class PlanForm(forms.Form):
    once = OnceField()
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        initial=_("PCREF delivery plan"),
        error_messages={"required": _("Enter a title")},
    )
    year = forms.RegexField(
        label=_("Year"),
        help_text=_("The financial year, like 2025/26."),
        regex=r"^\d{4}/\d{2}$",
        max_length=7,
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-10"}),
        error_messages={
            "required": _("Enter the year, like 2025/26"),
            "invalid": _("Enter the year as a financial year, like 2025/26"),
        },
    )
    approved_by = forms.CharField(
        label=_("Committee that approved the plan (optional)"),
        help_text=_("For example, the Transformation and Quality Improvement Committee."),
        max_length=200,
        required=False,
    )
    approved_on = forms.DateField(
        label=_("Date it was approved (YYYY-MM-DD, optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages=DATE_ERRORS,
    )
    programme = forms.ModelChoiceField(
        label=_("Share the plan with a programme (optional)"),
        help_text=_("Staff of every organisation in the programme will see the plan."),
        queryset=None,
        required=False,
        empty_label=_("Not shared"),
        widget=forms.Select,
        error_messages={"invalid_choice": _("Choose a programme from the list")},
    )
    workstreams = forms.CharField(
        label=_("Workstreams"),
        help_text=_("One on each line. The four priority workstreams are filled in to start."),
        widget=forms.Textarea(attrs={"rows": 5}),
        initial="\n".join(str(name) for name in DEFAULT_WORKSTREAMS),
        max_length=4000,
        error_messages={"required": _("Enter at least one workstream")},
    )

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes

    def clean_workstreams(self):
        names = [line.strip() for line in self.cleaned_data["workstreams"].splitlines()]
        names = [name for name in names if name]
        if not names:
            raise forms.ValidationError(_("Enter at least one workstream"))
        if any(len(name) > 200 for name in names):
            raise forms.ValidationError(_("Keep each workstream's name to 200 characters or fewer"))
        return names


class ThemeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class EntryChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.theme.name}: {obj.we_did[:120]}"


class ActionForm(forms.Form):
    once = OnceField()
    title = forms.CharField(
        label=_("Title"), max_length=200, error_messages={"required": _("Enter a title")}
    )
    description = forms.CharField(
        label=_("Description (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )
    workstream = forms.ModelChoiceField(
        label=_("Workstream"),
        queryset=None,
        empty_label=_("Choose a workstream"),
        widget=forms.Select,
        error_messages={
            "required": _("Choose a workstream"),
            "invalid_choice": _("Choose a workstream from the list"),
        },
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=None,
        empty_label=_("Choose the owner"),
        widget=forms.Select,
        error_messages={
            "required": _("Choose the owner"),
            "invalid_choice": _("Choose an owner from the list"),
        },
    )
    lead_organisation = forms.ModelChoiceField(
        label=_("Lead organisation"),
        queryset=None,
        empty_label=_("Choose the lead organisation"),
        widget=forms.Select,
        error_messages={
            "required": _("Choose the lead organisation"),
            "invalid_choice": _("Choose a lead organisation from the list"),
        },
    )
    component = forms.ChoiceField(
        label=_("PCREF component"),
        choices=PCREFComponent.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the PCREF component")},
    )
    competency = forms.ChoiceField(
        label=_("National organisational competency"),
        choices=[("", _("Choose a competency")), *Competency.choices],
        widget=forms.Select,
        error_messages={
            "required": _("Choose the national organisational competency"),
            "invalid_choice": _("Choose a competency from the list"),
        },
    )
    due_on = forms.DateField(
        label=_("Due date (YYYY-MM-DD)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Enter the due date"), **DATE_ERRORS},
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=DeliveryAction.Status.choices,
        initial=DeliveryAction.Status.NOT_STARTED,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the status")},
    )
    themes = ThemeChoiceField(
        label=_("Feedback themes the action answers (optional)"),
        help_text=_("The action's page and the board view count the feedback given each theme."),
        queryset=Theme.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose themes from the list")},
    )

    def __init__(self, *args, workstreams, owners, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workstream"].queryset = workstreams
        self.fields["owner"].queryset = owners
        self.fields["lead_organisation"].queryset = organisations

    def clean_title(self):
        title = self.cleaned_data["title"]
        if not title.strip():
            raise forms.ValidationError(_("Enter a title"))
        return title.strip()


class ProgressUpdateForm(forms.Form):
    once = OnceField()
    text = forms.CharField(
        label=_("What progress has been made?"),
        help_text=_(
            "Once the plan is published, the latest update is shown on the public plan page: "
            "do not name patients, carers or staff."
        ),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
        error_messages={"required": _("Describe the progress made")},
    )
    recorded_on = forms.DateField(
        label=_("Date of the update (YYYY-MM-DD)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Enter the date of the update"), **DATE_ERRORS},
    )
    evidence_link = forms.URLField(
        label=_("Link to evidence (optional)"),
        help_text=_("For example, minutes, a report or a published page."),
        required=False,
        assume_scheme="https",
        error_messages={"invalid": _("Enter a web address, like https://example.org/minutes")},
    )
    file = forms.FileField(
        label=_("Evidence file (optional)"),
        help_text=_("A PDF, Word, Excel, PowerPoint, OpenDocument, CSV, text or image file."),
        required=False,
        error_messages={"empty": _("The file you chose is empty"), "invalid": _("Choose a file")},
    )
    feedback_references = forms.CharField(
        label=_("Feedback this update answers (optional)"),
        help_text=_("Feedback references like FB-ABCD-EFGH, separated by commas or on new lines."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    you_said_we_did = EntryChoiceField(
        label=_("“You said, we did” entries this update answers (optional)"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose entries from the list")},
    )

    def __init__(self, *args, entries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["you_said_we_did"].queryset = entries

    def clean_text(self):
        text = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError(_("Describe the progress made"))
        return text


class RAGOverrideForm(forms.Form):
    rag = forms.ChoiceField(
        label=_("RAG rating"),
        choices=[(NO_OVERRIDE, _("No override: use the computed rating")), *RAG.choices],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a RAG rating, or no override"),
            "invalid_choice": _("Choose a RAG rating from the list"),
        },
    )
    reason = forms.CharField(
        label=_("Reason for the override"),
        help_text=_("Needed when you set a rating by hand. The board sees it."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )

    def clean_rag(self):
        rag = self.cleaned_data["rag"]
        return "" if rag == NO_OVERRIDE else rag

    def clean(self):
        data = super().clean()
        if data.get("rag") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason for overriding the RAG rating"))
        return data


class MilestoneForm(forms.Form):
    once = OnceField()
    title = forms.CharField(
        label=_("Milestone"),
        max_length=200,
        error_messages={"required": _("Enter the milestone")},
    )
    due_on = forms.DateField(
        label=_("Due date (YYYY-MM-DD)"),
        help_text=_("On or before the action's due date."),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Enter the milestone's due date"), **DATE_ERRORS},
    )


class MilestoneDoneForm(forms.Form):
    done_on = forms.DateField(
        label=_("Date it was done (YYYY-MM-DD)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Enter the date the milestone was done"), **DATE_ERRORS},
    )


NUMBER_ERRORS = {"invalid": _("Enter a number, like 2.5")}


class MeasureForm(forms.Form):
    once = OnceField()
    metric_id = forms.ChoiceField(
        label=_("Metric"),
        choices=(),
        widget=forms.Select,
        error_messages={
            "required": _("Choose a metric"),
            "invalid_choice": _("%(value)s is not a metric of the catalogue"),
        },
    )
    group = forms.ChoiceField(
        label=_("Group"),
        help_text=_("All people, or one broad ethnic group the metric is reported for."),
        choices=(),
        required=False,
        widget=forms.Select,
        error_messages={"invalid_choice": _("%(value)s is not a group we report")},
    )
    statistic = forms.ChoiceField(
        label=_("Figure"),
        choices=ActionMeasure.Statistic.choices,
        initial=ActionMeasure.Statistic.VALUE,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the group's value or its ratio to White")},
    )
    baseline = forms.FloatField(
        label=_("Baseline (optional)"),
        help_text=_("Where the figure started. Without one, the earliest figure in the results."),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages=NUMBER_ERRORS,
    )
    target = forms.FloatField(
        label=_("Target"),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={"required": _("Enter the target"), **NUMBER_ERRORS},
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=Direction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether lower or higher is better")},
    )
    target_on = forms.DateField(
        label=_("Target date (YYYY-MM-DD, optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages=DATE_ERRORS,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric_id"].choices = [("", _("Choose a metric")), *measures.metric_choices()]
        self.fields["group"].choices = measures.group_choices()
