"""Tests for pcref.analytics.ethnicity: code lists, crosswalk, normalisation and form answers."""

import csv
import io
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

from pcref.analytics import ethnicity
from pcref.analytics.ethnicity import (
    BROAD_GROUPS,
    CENSUS_2021_GROUPS,
    FORM_ETHNIC_GROUPS,
    FORM_OPTIONS,
    MAPPING_VERSION,
    NATIONAL_CODES,
    NHS_ETHNIC_CATEGORIES,
    NOT_KNOWN,
    NOT_STATED,
    STATUSES,
    Normalised,
    broad_group,
    broad_group_label,
    census2021_group,
    census2021_group_by_label,
    census2021_groups_for_nhs_code,
    check_local_mappings,
    form_answer_to_code,
    form_choices,
    form_option,
    nhs_category,
    normalise,
    normalise_many,
    quality_summary,
)

SRC = Path(__file__).resolve().parents[2] / "src"


def packaged_rows(filename):
    text = (files("pcref.analytics") / "data" / filename).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


# --- code lists ------------------------------------------------------------------------------


def test_packaged_csv_files_have_18_and_19_rows():
    assert len(packaged_rows("ethnic_category_nhs.csv")) == 18
    assert len(packaged_rows("census2021_ethnic_groups.csv")) == 19
    assert len(NHS_ETHNIC_CATEGORIES) == 18
    assert len(CENSUS_2021_GROUPS) == 19


def test_nhs_categories_are_a_to_s_then_z_then_99():
    assert [c.code for c in NHS_ETHNIC_CATEGORIES] == [*"ABCDEFGHJKLMNPRS", "Z", "99"]
    assert NATIONAL_CODES == tuple("ABCDEFGHJKLMNPRS")
    assert (NOT_STATED, NOT_KNOWN) == ("Z", "99")
    assert nhs_category("A").label == "White - British"
    assert nhs_category("99").broad_group == "Not known"


@pytest.mark.parametrize("code", ["X", "a", "CP", "", None, 99])
def test_nhs_category_refuses_unknown_code_naming_it(code):
    with pytest.raises(KeyError, match=f"{code!r} is not an NHS ethnic category code"):
        nhs_category(code)


def test_broad_groups_in_order_with_publication_labels_and_codes():
    assert [(g.name, g.label, g.codes) for g in BROAD_GROUPS] == [
        ("White", "White", ("A", "B", "C")),
        ("Mixed", "Mixed", ("D", "E", "F", "G")),
        ("Asian", "Asian or Asian British", ("H", "J", "K", "L")),
        ("Black", "Black or Black British", ("M", "N", "P")),
        ("Other", "Other Ethnic Groups", ("R", "S")),
    ]


def test_broad_group_of_codes():
    assert broad_group("C") == "White"
    assert broad_group("R") == "Other"
    assert broad_group("Z") == "Not stated"
    assert broad_group("99") == "Not known"
    assert broad_group(None) is None
    assert broad_group_label("N") == "Black or Black British"
    assert broad_group_label("Z") is None
    with pytest.raises(KeyError, match="'CP' is not an NHS ethnic category code"):
        broad_group("CP")


def test_census_groups_ordered_by_code():
    assert [g.census2021_code for g in CENSUS_2021_GROUPS] == list(range(1, 20))


def test_every_census_group_with_an_nhs_code_stays_in_its_nhs_broad_group():
    with_code = [g for g in CENSUS_2021_GROUPS if g.nhs_code is not None]
    assert len(with_code) == 16
    for group in with_code:
        assert nhs_category(group.nhs_code).broad_group == group.nhs_broad_group_for_statistics


def test_gypsy_roma_and_arab_have_no_nhs_code_but_a_local_residual():
    residuals = {
        g.label: (g.nhs_code, g.nhs_broad_group_for_statistics, g.local_residual_code)
        for g in CENSUS_2021_GROUPS
        if g.nhs_code is None
    }
    assert residuals == {
        "White: Gypsy or Irish Traveller": (None, "White", "C"),
        "White: Roma": (None, "White", "C"),
        "Other ethnic group: Arab": (None, "Other", "S"),
    }


def test_census_lookups():
    assert census2021_group(2).nhs_code == "R"
    assert census2021_group(2).nhs_broad_group_for_statistics == "Other"
    assert census2021_group_by_label("Ethnic group: White: Roma").census2021_code == 16
    assert [g.census2021_code for g in census2021_groups_for_nhs_code("C")] == [17]
    assert census2021_groups_for_nhs_code("Z") == ()
    for bad in (-8, 0, 20, "1", True):
        with pytest.raises(KeyError, match="is not a Census 2021 ethnic group code"):
            census2021_group(bad)
    with pytest.raises(KeyError, match="'white: roma' is not a Census 2021 ethnic group label"):
        census2021_group_by_label("white: roma")


# --- normalise -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [("A", "A"), ("a", "A"), (" a ", "A"), ("\tS\n", "S"), ("r", "R")],
)
def test_single_national_code_any_case_or_spacing_is_valid_not_guessed(raw, code):
    result = normalise(raw)
    assert (result.code, result.status, result.guessed) == (code, "valid", False)
    assert result.as_given == raw


@pytest.mark.parametrize(
    ("raw", "code"),
    [("A1", "A"), ("CP", "C"), ("LB", "L"), ("PC", "P"), ("SA", "S"), ("ca", "C"), (" lb ", "L")],
)
def test_local_two_character_sub_codes_roll_up_to_first_letter(raw, code):
    result = normalise(raw)
    assert (result.code, result.status, result.guessed) == (code, "valid", True)
    assert f"rolled up local sub-code {raw.strip().upper()!r} to {code!r}" in result.note


@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n", float("nan")])
def test_blank_or_none_is_missing_not_99_not_z(raw):
    result = normalise(raw)
    assert (result.code, result.status, result.guessed) == (None, "missing", False)


@pytest.mark.parametrize("raw", ["99", " 99 ", 99])
def test_99_is_not_known(raw):
    result = normalise(raw)
    assert (result.code, result.status, result.guessed) == ("99", "not_known", False)
    assert result.as_given == raw


@pytest.mark.parametrize("raw", ["Z", "z", " Z "])
def test_z_is_not_stated(raw):
    result = normalise(raw)
    assert (result.code, result.status, result.guessed) == ("Z", "not_stated", False)


@pytest.mark.parametrize(
    "raw", ["9", "I", "O", "Q", "X", "?", "WHITE BRITISH", "1234", "i1", "999", "9A", "-", "ß"]
)
def test_invalid_values_have_no_code_and_the_note_names_them(raw):
    result = normalise(raw)
    assert (result.code, result.status, result.guessed) == (None, "invalid", False)
    assert result.as_given == raw
    assert f"{raw!r} is not an NHS ethnic category code" in result.note


def test_three_or_more_characters_are_not_rolled_up():
    assert normalise("ABC").status == "invalid"
    assert "at most 2 characters" in normalise("ABC").note


@pytest.mark.parametrize(
    ("raw", "code", "status"),
    [
        ("White - British", "A", "valid"),
        ("  white - british ", "A", "valid"),
        ("OTHER ETHNIC GROUPS - CHINESE", "R", "valid"),
        ("Not stated", "Z", "not_stated"),
        ("not known", "99", "not_known"),
    ],
)
def test_exact_nhs_label_is_matched_and_marked_guessed(raw, code, status):
    result = normalise(raw)
    assert (result.code, result.status, result.guessed) == (code, status, True)
    assert "matched label" in result.note


def test_local_mapping_t_to_c_is_used_and_recorded():
    result = normalise(" t ", local_mappings={"T": "C"})
    assert (result.code, result.status, result.local_mapping) == ("C", "valid", True)
    assert result.guessed is False
    assert "local mapping 'T' to 'C'" in result.note
    assert normalise("T").status == "invalid"  # without the mapping


def test_local_mappings_do_not_change_other_values():
    mappings = {"T": "C"}
    assert normalise("A", local_mappings=mappings).local_mapping is False
    assert normalise("", local_mappings=mappings).status == "missing"


@pytest.mark.parametrize(
    ("mappings", "error", "message"),
    [
        ({"T": "X"}, ValueError, "'X' is not an NHS ethnic category code"),
        ({" ": "Z"}, ValueError, "a blank value stays missing"),
        ({"CP": "L"}, ValueError, "national rules already read 'CP' as 'C'"),
        ({"99": "A"}, ValueError, "national rules already read '99' as '99'"),
        ({"T": 3}, TypeError, "keys and values must be strings"),
        (["T", "C"], TypeError, "local_mappings must be a dict; got list"),
    ],
)
def test_bad_local_mappings_are_refused(mappings, error, message):
    with pytest.raises(error, match=message):
        normalise("T", local_mappings=mappings)


def test_check_local_mappings_cleans_keys_and_values():
    assert check_local_mappings({" t ": "c", "CP": "C"}) == {"T": "C", "CP": "C"}
    assert check_local_mappings(None) == {}


def test_normalise_many_keeps_order_and_matches_normalise():
    values = ["A", "a", None, "99", 99, "CP", "X", "", "T", "A"]
    results = normalise_many(values, local_mappings={"T": "C"})
    assert results == [normalise(v, local_mappings={"T": "C"}) for v in values]
    assert [r.as_given for r in results] == values
    assert type(results[4].as_given) is int


def test_quality_summary_counts_each_status_separately():
    results = normalise_many(["A", "CP", "Z", "99", "99", None, " ", "X", "WHITE BRITISH"])
    summary = quality_summary(results)
    assert summary.by_status() == {
        "valid": 2,
        "not_stated": 1,
        "not_known": 2,
        "missing": 2,
        "invalid": 2,
    }
    assert list(summary.by_status()) == list(STATUSES)
    assert summary.total == 9
    assert summary.guessed == 1
    assert summary.not_known_missing_or_invalid == 6


def test_quality_summary_refuses_raw_values_naming_the_item():
    with pytest.raises(TypeError, match=r"item 1 is a str \('A'\)"):
        quality_summary([normalise("A"), "A"])


def test_mapping_version_is_on_every_result():
    results = normalise_many(["A", "CP", "Z", "99", None, "X", "White - British"])
    results.append(normalise("T", local_mappings={"T": "C"}))
    results += [form_answer_to_code(option.id) for option in FORM_OPTIONS]
    results += [form_answer_to_code(None), form_answer_to_code(None, asked=False)]
    assert MAPPING_VERSION
    assert all(isinstance(r, Normalised) for r in results)
    assert {r.mapping_version for r in results} == {MAPPING_VERSION}


# --- form list -------------------------------------------------------------------------------


def test_form_has_five_groups_19_ethnic_options_and_prefer_not_to_say():
    assert [g.label for g in FORM_ETHNIC_GROUPS] == [
        "White",
        "Mixed or multiple ethnic groups",
        "Asian or Asian British",
        "Black, African, Caribbean or Black British",
        "Other ethnic group",
    ]
    ethnic = [option for group in FORM_ETHNIC_GROUPS for option in group.options]
    assert len(ethnic) == 19
    assert len(FORM_OPTIONS) == 20
    assert FORM_OPTIONS[-1].id == "prefer-not-to-say"
    assert [o.label for o in FORM_ETHNIC_GROUPS[0].options][3] == "Roma"


def test_form_option_ids_are_unique():
    ids = [option.id for option in FORM_OPTIONS]
    assert len(ids) == len(set(ids)) == 20


def test_each_census_group_has_exactly_one_form_option():
    codes = sorted(o.census2021_code for o in FORM_OPTIONS if o.census2021_code is not None)
    assert codes == list(range(1, 20))


def test_any_other_options_take_details():
    assert [o.id for o in FORM_OPTIONS if o.takes_details] == [
        "white-any-other",
        "mixed-any-other",
        "asian-any-other",
        "black-any-other",
        "other-any-other",
    ]


def test_form_options_use_local_residuals_only_for_gypsy_roma_and_arab():
    residual = {o.id: o.nhs_code for o in FORM_OPTIONS if o.local_residual}
    assert residual == {"white-gypsy-or-irish-traveller": "C", "white-roma": "C", "other-arab": "S"}
    assert form_option("asian-chinese").nhs_code == "R"
    with pytest.raises(KeyError, match="'white' is not a form ethnic group option id"):
        form_option("white")


def test_form_choices_are_grouped_value_label_pairs():
    choices = form_choices()
    assert len(choices) == 6
    assert choices[0][0] == "White"
    assert choices[0][1][3] == ("white-roma", "Roma")
    assert choices[-1] == ("prefer-not-to-say", "Prefer not to say")
    values = [value for _, options in choices[:-1] for value, _ in options]
    assert values == [o.id for o in FORM_OPTIONS[:-1]]


def test_form_prefer_not_to_say_is_z():
    result = form_answer_to_code("prefer-not-to-say")
    assert (result.code, result.status, result.question_left_blank) == ("Z", "not_stated", False)


@pytest.mark.parametrize("option_id", [None, "", "  "])
def test_form_question_left_blank_is_99_with_flag(option_id):
    result = form_answer_to_code(option_id)
    assert (result.code, result.status, result.question_left_blank) == ("99", "not_known", True)
    assert result.as_given == option_id


def test_form_question_not_asked_is_99_without_blank_flag():
    result = form_answer_to_code(None, asked=False)
    assert (result.code, result.status, result.question_left_blank) == ("99", "not_known", False)
    with pytest.raises(ValueError, match="not asked, but an answer was given: 'white-irish'"):
        form_answer_to_code("white-irish", asked=False)


def test_form_arab_is_s_as_local_residual():
    result = form_answer_to_code("other-arab")
    assert (result.code, result.status, result.local_mapping) == ("S", "valid", True)
    assert result.guessed is False
    assert "local residual" in result.note


def test_form_roma_and_gypsy_are_c_as_local_residual_and_british_is_a():
    for option_id in ("white-roma", "white-gypsy-or-irish-traveller"):
        result = form_answer_to_code(option_id)
        assert (result.code, result.status, result.local_mapping) == ("C", "valid", True)
    british = form_answer_to_code("white-british")
    assert (british.code, british.local_mapping) == ("A", False)


def test_form_unknown_option_id_is_refused_naming_it():
    with pytest.raises(ValueError, match="'white-scottish' is not a form ethnic group option id"):
        form_answer_to_code("white-scottish")


def test_form_details_only_with_any_other_options():
    result = form_answer_to_code("white-any-other", details="Polish")
    assert result.code == "C"
    assert "Polish" not in result.note  # free text is stored by the caller, never in notes
    with pytest.raises(ValueError, match="details were given for 'white-irish'"):
        form_answer_to_code("white-irish", details="Cork")
    with pytest.raises(ValueError, match="no ethnic group option was chosen"):
        form_answer_to_code(None, details="Polish")
    assert form_answer_to_code("white-irish", details="  ").code == "B"
    with pytest.raises(TypeError, match="option_id must be a string or None; got int"):
        form_answer_to_code(13)


# --- no Django -------------------------------------------------------------------------------


def test_module_never_imports_django():
    code = (
        "import sys, pcref.analytics.ethnicity; "
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    completed = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"
    assert "django" not in ethnicity.__dict__
