"""A service's validation error lands on the form: per field, or on the form as a whole."""

from django import forms
from django.core.exceptions import ValidationError

from pcref.core.forms import add_validation_error


class NameForm(forms.Form):
    name = forms.CharField()


def bound_form() -> NameForm:
    form = NameForm({"name": "Ada"})
    assert form.is_valid()
    return form


def test_field_errors_go_on_their_fields_and_unknown_fields_on_the_form():
    form = bound_form()
    add_validation_error(form, ValidationError({"name": "Taken", "owner": "Not yours"}))
    assert form.errors["name"] == ["Taken"]
    assert form.non_field_errors() == ["Not yours"]


def test_an_error_for_no_field_goes_on_the_form():
    form = bound_form()
    add_validation_error(form, ValidationError("The plan is closed"))
    assert form.non_field_errors() == ["The plan is closed"]
    assert "name" not in form.errors
