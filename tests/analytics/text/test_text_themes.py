"""Tests for the theme framework and its keyword fallback, on sentences written for these tests."""

import re

import pytest

from pcref.analytics.text.themes import (
    NHS_V6_THEMES,
    PCREF_THEMES,
    THEMES,
    column_key,
    key_for_column,
    keyword_hits,
    label_for_key,
    normalise_text,
    theme_by_key,
    theme_for_column,
)

# The v6 coded data's category columns, in order (the header of the shared CSV).
V6_COLUMNS = [
    "Not assigned", "Organisation & efficiency", "Funding & use of financial resources",
    "Staff manner & personal attributes", "Number & deployment of staff", "Staff responsiveness",
    "Staff continuity", "Competence & training", "Unspecified communication",
    "Staff listening, understanding & involving patients",
    "Information directly from staff during care", "Information provision & guidance",
    "Being kept informed, clarity & consistency of information", "Contacting services",
    "Appointment arrangements", "Appointment method", "Timeliness of care", "Pain management",
    "Diagnosis & triage", "Referals & continuity of care", "Discharge", "Care plans",
    "Patient records", "Cleanliness, tidiness & infection control",
    "Provision of medical equipment", "Service location", "Transport to/ from services",
    "Parking", "Electronic entertainment", "Feeling safe", "Patient appearance & grooming",
    "Mental Health Act", "Equality, Diversity & Inclusion", "Admission",
    "Safeguarding concerns?", "Labelling not possible", "Environment & Facilities",
    "Supplying & understanding medication", "Activities & access to fresh air",
    "Food & drink provision & facilities", "Sensory experience", "Impact of treatment/ care",
    "Psychological therapy arrangements", "Existence of services", "Choice of services",
    "Out of hours support (community services)", "Learning organisation",
    "Interaction with family/ carers", "Negative experience & dissatisfaction",
    "Positive experience & gratitude",
]  # fmt: skip


def test_framework_has_every_v6_column_then_the_six_pcref_themes():
    assert [theme.column for theme in NHS_V6_THEMES] == V6_COLUMNS
    assert [theme.key for theme in PCREF_THEMES] == [
        "racism_or_discrimination",
        "cultural_and_religious_needs",
        "language_and_interpreters",
        "family_and_carer_involvement",
        "sharing_personal_information",
        "restrictive_practice",
    ]
    assert {theme.group for theme in NHS_V6_THEMES} == {"nhs_v6"}
    assert {theme.group for theme in PCREF_THEMES} == {"pcref"}


def test_keys_are_unique_snake_case_and_every_theme_is_described():
    keys = [theme.key for theme in THEMES]
    assert len(keys) == len(set(keys)) == 56
    for theme in THEMES:
        assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", theme.key), theme.key
        assert theme.label and theme.description.endswith("."), theme.key
    for theme in PCREF_THEMES:
        assert len(theme.keywords) >= 10, theme.key


def test_columns_map_to_keys_with_the_source_spelling_kept():
    assert column_key("Staff listening, understanding & involving patients") == (
        "staff_listening_understanding_and_involving_patients"
    )
    assert key_for_column("Referals & continuity of care") == "referrals_and_continuity_of_care"
    assert theme_by_key("referrals_and_continuity_of_care").label == (
        "Referrals & continuity of care"
    )
    assert key_for_column("Safeguarding concerns?") == "safeguarding_concerns"
    assert theme_for_column("racism_or_discrimination").group == "pcref"
    assert theme_for_column("Language and interpreters").key == "language_and_interpreters"
    assert key_for_column("Ward parties & events") == "ward_parties_and_events"
    assert label_for_key("ward_parties_and_events") == "Ward parties and events"
    with pytest.raises(KeyError, match="'no_such_theme'"):
        theme_by_key("no_such_theme")


def test_normalising_makes_contractions_and_curly_apostrophes_match():
    assert normalise_text("We  weren\u2019t TOLD") == "we were not told"
    assert normalise_text("A&E") == "a and e"


# Sentences written for these tests, one group per PCREF theme.
PCREF_SENTENCES = {
    "racism_or_discrimination": [
        "A nurse made a racist comment about my hair.",
        "I was treated differently because of my colour.",
        "They assumed I was dangerous, it felt like a stereotype about young Black men.",
        "Staff laughed at my accent and I felt discriminated against.",
    ],
    "cultural_and_religious_needs": [
        "There was no halal food on the ward for a week.",
        "I asked for somewhere to pray and was told there was no prayer room.",
        "Nobody thought about Ramadan when they planned my meds.",
        "The chaplain visited and it meant a lot to my faith.",
        "They had no products for afro hair.",
    ],
    "language_and_interpreters": [
        "My mum had no interpreter at the ward round.",
        "I asked for a translator twice.",
        "Nobody spoke my language and I could not explain my pain.",
        "English is not my first language and the letters were too hard.",
        "My son had to translate everything for me.",
        "We needed a BSL signer and none was booked.",
    ],
    "family_and_carer_involvement": [
        "My family wasn\u2019t told I had been moved to another hospital.",
        "As a carer I was never asked what I thought.",
        "They did not involve my family in the discharge plan.",
        "My husband was not informed about the change in medication.",
    ],
    "sharing_personal_information": [
        "They shared my diagnosis with my employer without my consent.",
        "I worry about who can see my records.",
        "My personal details were sent to the wrong person.",
        "Is what I say here confidential?",
    ],
    "restrictive_practice": [
        "I was restrained by four staff.",
        "They held me down and gave me an injection.",
        "I spent two days in seclusion.",
        "My leave was cancelled as a punishment.",
        "Being pinned down face down was terrifying.",
    ],
}


@pytest.mark.parametrize(
    ("theme_key", "sentence"),
    [(key, sentence) for key, sentences in PCREF_SENTENCES.items() for sentence in sentences],
)
def test_keywords_find_each_pcref_theme(theme_key, sentence):
    found = {hit.theme_key for hit in keyword_hits(sentence)}
    assert theme_key in found, f"{theme_key} not found in {sentence!r}: {found}"


def test_keywords_name_the_phrases_that_matched():
    hits = keyword_hits("No interpreter, and they restrained me.", PCREF_THEMES)
    assert [(hit.theme_key, hit.phrases) for hit in hits] == [
        ("language_and_interpreters", ("interpreter*",)),
        ("restrictive_practice", ("restrain*",)),
    ]


def test_keywords_match_whole_words_only():
    # "prayer" must not fire inside another word, nor "race" inside "embrace" or "trace".
    assert keyword_hits("We had to embrace the new trace system.", PCREF_THEMES) == []


def test_a_gap_phrase_spans_a_few_words_but_not_a_paragraph():
    family = theme_by_key("family_and_carer_involvement")
    assert "family ... not told" in family.keyword_matches("My family were not told")
    assert "family ... not told" in family.keyword_matches("My family were sadly not told")
    far = "My family came to visit on the Sunday and later I was not told"
    assert "family ... not told" not in family.keyword_matches(far)


def test_a_neutral_sentence_gets_no_pcref_theme():
    assert keyword_hits("The car arrived on Tuesday at noon.", PCREF_THEMES) == []
