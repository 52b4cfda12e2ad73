"""Reference lists for forms, translated: the ethnic group list people choose from.

The lists themselves live in `pcref.analytics.ethnicity` (no Django); this module gives each
option a translatable label. A test checks the two stay in step.
"""

from django.utils.translation import gettext_lazy as _

from pcref.analytics import ethnicity

ETHNIC_GROUP_LABELS = {
    "white": _("White"),
    "mixed": _("Mixed or multiple ethnic groups"),
    "asian": _("Asian or Asian British"),
    "black": _("Black, African, Caribbean or Black British"),
    "other": _("Other ethnic group"),
}

ETHNIC_OPTION_LABELS = {
    "white-british": _("English, Welsh, Scottish, Northern Irish or British"),
    "white-irish": _("Irish"),
    "white-gypsy-or-irish-traveller": _("Gypsy or Irish Traveller"),
    "white-roma": _("Roma"),
    "white-any-other": _("Any other White background"),
    "mixed-white-and-black-caribbean": _("White and Black Caribbean"),
    "mixed-white-and-black-african": _("White and Black African"),
    "mixed-white-and-asian": _("White and Asian"),
    "mixed-any-other": _("Any other Mixed or multiple ethnic background"),
    "asian-indian": _("Indian"),
    "asian-pakistani": _("Pakistani"),
    "asian-bangladeshi": _("Bangladeshi"),
    "asian-chinese": _("Chinese"),
    "asian-any-other": _("Any other Asian background"),
    "black-african": _("African"),
    "black-caribbean": _("Caribbean"),
    "black-any-other": _("Any other Black, African or Caribbean background"),
    "other-arab": _("Arab"),
    "other-any-other": _("Any other ethnic group"),
    ethnicity.PREFER_NOT_TO_SAY: _("Prefer not to say"),
}


def ethnic_group_choices() -> list[tuple[str, str]]:
    """(option id, "Group: option") for every self-identification option, in list order."""
    choices = []
    for group in ethnicity.FORM_ETHNIC_GROUPS:
        for option in group.options:
            label = f"{ETHNIC_GROUP_LABELS[group.id]}: {ETHNIC_OPTION_LABELS[option.id]}"
            choices.append((option.id, label))
    choices.append(
        (ethnicity.PREFER_NOT_TO_SAY, str(ETHNIC_OPTION_LABELS[ethnicity.PREFER_NOT_TO_SAY]))
    )
    return choices


def takes_details(option_id: str) -> bool:
    return ethnicity.form_option(option_id).takes_details if option_id else False
