"""The extract upload form: several table files, or one zip."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that takes several files; each is checked as a FileField would be."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            if not data:
                return super().clean(None, initial)
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


class ExtractUploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Extract files"),
        help_text=_(
            "Choose the table files (CSV or Parquet, named like mhs001_patients.csv, with the "
            "population file population.csv), or one zip file holding them."
        ),
        error_messages={
            "required": _("Choose the extract's files, or a zip file of them"),
            "empty": _("The file you chose is empty"),
        },
    )

    def clean_files(self):
        uploaded = self.cleaned_data["files"]
        total = sum(item.size for item in uploaded)
        limit = settings.INSIGHTS_MAX_UPLOAD_BYTES
        if total > limit:
            raise forms.ValidationError(
                _("The files come to %(size)s GB, more than the %(limit)s GB allowed"),
                params={"size": round(total / 1024**3, 1), "limit": round(limit / 1024**3, 1)},
            )
        return uploaded
