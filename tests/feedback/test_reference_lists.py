"""Translatable labels stay in step with the lists they translate."""

from pcref.analytics import ethnicity
from pcref.analytics.text.themes import THEMES
from pcref.core.reference import ETHNIC_GROUP_LABELS, ETHNIC_OPTION_LABELS, ethnic_group_choices
from pcref.feedback.theme_labels import THEME_LABELS


def test_every_theme_has_a_translatable_label():
    assert {theme.key: theme.label for theme in THEMES} == {
        key: str(label) for key, label in THEME_LABELS.items()
    }


def test_every_ethnic_group_option_has_a_translatable_label():
    assert set(ETHNIC_GROUP_LABELS) == {group.id for group in ethnicity.FORM_ETHNIC_GROUPS}
    assert set(ETHNIC_OPTION_LABELS) == {option.id for option in ethnicity.FORM_OPTIONS}
    choices = ethnic_group_choices()
    assert len(choices) == len(ethnicity.FORM_OPTIONS) == 20
    assert ("white-roma", "White: Roma") in choices
