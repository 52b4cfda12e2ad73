"""Forms for steering and working groups: a group, a member, a meeting, a paper, attendance,
minutes, a decision (which may create a plan action) and the action log."""

from django import forms
from django.utils.translation import gettext_lazy as _

from pcref.core.once import OnceField
from pcref.governance.forms import DATE_ERRORS, ActionForm
from pcref.governance.meetings import attendance_field
from pcref.governance.models import Attendance, GovernanceGroup, GroupMember


class WorkstreamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.plan.title} {obj.plan.year}: {obj.name}"


class GroupForm(forms.Form):
    once = OnceField()
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("For example, PCREF steering group."),
        error_messages={"required": _("Enter the name of the group")},
    )
    kind = forms.ChoiceField(
        label=_("Kind of group"),
        choices=GovernanceGroup.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether this is a steering or working group")},
    )
    purpose = forms.CharField(
        label=_("Purpose (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )
    programme = forms.ModelChoiceField(
        label=_("Share the group with a programme (optional)"),
        help_text=_("Staff of every organisation in the programme will see the group."),
        queryset=None,
        required=False,
        empty_label=_("Not shared"),
        widget=forms.Select,
        error_messages={"invalid_choice": _("Choose a programme from the list")},
    )
    plan = forms.ModelChoiceField(
        label=_("Delivery plan (optional)"),
        help_text=_("The group's decisions can then become actions of this plan."),
        queryset=None,
        required=False,
        empty_label=_("No plan"),
        widget=forms.Select,
        error_messages={"invalid_choice": _("Choose a plan from the list")},
    )
    workstream = WorkstreamChoiceField(
        label=_("Workstream or pillar (optional)"),
        help_text=_("For a working group of one workstream of the plan."),
        queryset=None,
        required=False,
        empty_label=_("No workstream"),
        widget=forms.Select,
        error_messages={"invalid_choice": _("Choose a workstream from the list")},
    )

    def __init__(self, *args, programmes, plans, workstreams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes
        self.fields["plan"].queryset = plans
        self.fields["workstream"].queryset = workstreams


class MemberForm(forms.Form):
    once = OnceField()
    name = forms.CharField(
        label=_("Name"), max_length=200, error_messages={"required": _("Enter the member's name")}
    )
    role = forms.ChoiceField(
        label=_("Role in the group"),
        choices=GroupMember.Role.choices,
        initial=GroupMember.Role.MEMBER,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the member's role")},
    )
    represents = forms.ChoiceField(
        label=_("Represents"),
        choices=GroupMember.Represents.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose who the member represents")},
    )
    is_lived_experience_partner = forms.BooleanField(
        label=_("A lived experience partner"),
        help_text=_("Someone who brings their own, or their family's, experience of services."),
        required=False,
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation (optional)"),
        queryset=None,
        required=False,
        empty_label=_("None"),
        widget=forms.Select,
        error_messages={"invalid_choice": _("Choose an organisation from the list")},
    )
    user = forms.ModelChoiceField(
        label=_("Staff account (optional)"),
        help_text=_("For a member who signs in to this service."),
        queryset=None,
        required=False,
        empty_label=_("No staff account"),
        widget=forms.Select,
        error_messages={"invalid_choice": _("Choose a staff account from the list")},
    )
    joined_on = forms.DateField(
        label=_("Joined on (YYYY-MM-DD)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Enter the date they joined"), **DATE_ERRORS},
    )
    left_on = forms.DateField(
        label=_("Left on (YYYY-MM-DD, optional)"),
        help_text=_("Fill this in when the member leaves the group."),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages=DATE_ERRORS,
    )

    def __init__(self, *args, organisations, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["user"].queryset = users


class MeetingForm(forms.Form):
    once = OnceField()
    held_on = forms.DateField(
        label=_("Date of the meeting (YYYY-MM-DD)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Enter the date of the meeting"), **DATE_ERRORS},
    )
    agenda = forms.CharField(
        label=_("Agenda"),
        help_text=_("One item on each line."),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}),
        error_messages={"required": _("Enter the agenda")},
    )


class PaperForm(forms.Form):
    once = OnceField()
    title = forms.CharField(
        label=_("Title of the paper"),
        max_length=200,
        error_messages={"required": _("Enter the title of the paper")},
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("A PDF, Word, Excel, PowerPoint, OpenDocument, CSV, text or image file."),
        error_messages={
            "required": _("Choose a file"),
            "empty": _("The file you chose is empty"),
            "invalid": _("Choose a file"),
        },
    )


class AttendanceForm(forms.Form):
    """One question per member: present, sent apologies, or absent."""

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        for member in members:
            self.fields[attendance_field(member)] = forms.ChoiceField(
                label=member.name,
                choices=Attendance.Status.choices,
                widget=forms.RadioSelect,
                required=False,  # the service names each member with no answer
            )


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"),
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 10, "dir": "auto"}),
        error_messages={"required": _("Enter the minutes")},
    )
    minutes_approved_on = forms.DateField(
        label=_("Date the group approved the minutes (YYYY-MM-DD, optional)"),
        help_text=_("Usually the date of the next meeting."),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages=DATE_ERRORS,
    )


ACTION_FIELDS = (
    "title",
    "description",
    "workstream",
    "owner",
    "lead_organisation",
    "component",
    "competency",
    "due_on",
    "status",
)


class DecisionForm(ActionForm):
    """A decision; with "create a plan action" ticked, the action form's fields are needed too."""

    text = forms.CharField(
        label=_("Decision"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
        error_messages={"required": _("Enter the decision")},
    )
    create_action = forms.BooleanField(
        label=_("This decision creates an action in the delivery plan"),
        required=False,
    )
    field_order = ["text", "create_action", *ACTION_FIELDS]

    def __init__(self, *args, with_action: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.with_action = with_action
        for name in ACTION_FIELDS:
            self.fields[name].required = False
            if not with_action:
                del self.fields[name]
        if not with_action:
            del self.fields["create_action"]
        else:
            self.fields["title"].label = _("Title of the plan action")
            self.fields["status"].initial = "not_started"

    def clean_title(self):
        return (self.cleaned_data.get("title") or "").strip()

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError(_("Enter the decision"))
        return text

    def clean(self):
        data = super().clean()
        if data.get("create_action"):
            from pcref.governance.meetings import ACTION_REQUIRED

            for name, message in ACTION_REQUIRED.items():
                if name not in self.errors and data.get(name) in (None, ""):
                    self.add_error(name, message())
        return data


class LogItemForm(forms.Form):
    once = OnceField()
    text = forms.CharField(
        label=_("What is to be done"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
        error_messages={"required": _("Describe what is to be done")},
    )
    owner = forms.ModelChoiceField(
        label=_("Who will do it"),
        queryset=None,
        empty_label=_("Choose a member"),
        widget=forms.Select,
        error_messages={
            "required": _("Choose a member of this group"),
            "invalid_choice": _("Choose a member of this group"),
        },
    )
    due_on = forms.DateField(
        label=_("Due date (YYYY-MM-DD)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Enter the due date"), **DATE_ERRORS},
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members


class LogItemDoneForm(forms.Form):
    done_on = forms.DateField(
        label=_("Date it was done (YYYY-MM-DD)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Enter the date it was done"), **DATE_ERRORS},
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )
