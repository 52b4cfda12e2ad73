"""Tests for train_from_csv: a trust's own coded CSV in, a saved model and a report out."""

import csv

import pytest

from pcref.analytics.text.suggest import ThemeSuggester
from pcref.analytics.text.train import TrainingDataError, read_coded_csv, train_from_csv

# Written for these tests: openings about each theme, and endings to make more rows.
ROWS = [
    ("The food was cold every evening", 1, 0, 0),
    ("There were no hot meals at the weekend", 1, 0, 0),
    ("Breakfast was late and the portions were tiny", 1, 0, 0),
    ("I was hungry because the snacks ran out", 1, 0, 0),
    ("The taxi driver came two hours late", 0, 1, 0),
    ("The ambulance to take me home never arrived", 0, 1, 0),
    ("The transport booking got my pick up time wrong", 0, 1, 0),
    ("No bus goes near the clinic", 0, 1, 0),
    ("No interpreter was booked for my appointment", 0, 0, 1),
    ("They would not find a translator for my mother", 0, 0, 1),
    ("Nobody spoke my language on the ward", 0, 0, 1),
    ("My daughter had to translate for me", 0, 0, 1),
    ("The weather was grey when I came in", 0, 0, 0),
    ("My visit was on a Tuesday", 0, 0, 0),
]
ENDINGS = ["", " and I told the nurse.", " which I wrote down."]
HEADER = ["Comment", "Food & drink provision & facilities", "Transport to/ from services",
          "Language and interpreters"]  # fmt: skip


def write_csv(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def good_rows():
    return [(text + ending, *labels) for text, *labels in ROWS for ending in ENDINGS]


def test_trains_saves_and_reports(tmp_path):
    rows = good_rows() + [("   ", 1, 0, 0), ("", "", "", "")]
    labels_csv = write_csv(tmp_path / "coded.csv", HEADER, rows)
    report = train_from_csv(labels_csv, tmp_path / "model.npz")

    assert report.text_column == "Comment"
    assert report.rows_used == 42
    assert report.rows_without_text == 1  # the all-blank line is not a row at all
    assert report.columns == {
        "food_and_drink_provision_and_facilities": "Food & drink provision & facilities",
        "transport_to_from_services": "Transport to/ from services",
        "language_and_interpreters": "Language and interpreters",
    }
    assert report.positives == dict.fromkeys(report.columns, 12)
    assert report.kind == "light" and report.fit_seconds > 0
    assert report.few_examples == ()

    loaded = ThemeSuggester.load(report.out_path)
    assert loaded.model_version == report.model_version
    [suggestions] = loaded.suggest(["There was no interpreter at my review"])
    assert suggestions[0].theme_key == "language_and_interpreters"


def test_blank_and_decimal_cells_read_as_0_and_1_and_the_text_column_can_be_named(tmp_path):
    rows = [(t, "1.0" if a else "", "1" if b else "0.0", c, "ward 3") for t, a, b, c in ROWS]
    labels_csv = write_csv(tmp_path / "coded.csv", [*HEADER, "Ward"], rows)
    with pytest.raises(TrainingDataError, match=r"more than one column that is not 0/1"):
        read_coded_csv(labels_csv)
    with pytest.raises(TrainingDataError, match=r"row 2, column 'Ward': 'ward 3' is not 0 or 1"):
        read_coded_csv(labels_csv, text_column="Comment")
    rows = [row[:-1] for row in rows]
    coded = read_coded_csv(write_csv(tmp_path / "ok.csv", HEADER, rows), text_column="Comment")
    assert coded.labels.sum(axis=0).tolist() == [4, 4, 4]
    assert len(coded.texts) == len(ROWS)


def test_a_2_in_a_theme_column_names_the_row_and_column(tmp_path):
    rows = good_rows()
    rows[4] = (rows[4][0], 0, 2, 0)
    labels_csv = write_csv(tmp_path / "coded.csv", HEADER, rows)
    with pytest.raises(
        TrainingDataError, match=r"row 6, column 'Transport to/ from services': '2' is not 0 or 1"
    ):
        train_from_csv(labels_csv, tmp_path / "model.npz")
    assert not (tmp_path / "model.npz").exists()


def test_no_text_column_is_refused(tmp_path):
    rows = [labels for _, *labels in ROWS]
    labels_csv = write_csv(tmp_path / "coded.csv", HEADER[1:], rows)
    with pytest.raises(TrainingDataError, match="has no text column"):
        train_from_csv(labels_csv, tmp_path / "model.npz")
    with pytest.raises(TrainingDataError, match=r"has no column 'Feedback'"):
        train_from_csv(labels_csv, tmp_path / "model.npz", text_column="Feedback")


def test_a_theme_column_with_no_positives_is_named(tmp_path):
    rows = [(*row, 0) for row in good_rows()]
    labels_csv = write_csv(tmp_path / "coded.csv", [*HEADER, "Parking"], rows)
    with pytest.raises(TrainingDataError, match=r"column 'Parking' has no rows marked 1"):
        train_from_csv(labels_csv, tmp_path / "model.npz")


def test_a_theme_marked_on_every_row_is_refused(tmp_path):
    rows = [(*row, 1) for row in good_rows()]
    labels_csv = write_csv(tmp_path / "coded.csv", [*HEADER, "Parking"], rows)
    with pytest.raises(TrainingDataError, match=r"column 'Parking' is 1 in every row"):
        train_from_csv(labels_csv, tmp_path / "model.npz")


def test_two_columns_for_one_theme_are_refused(tmp_path):
    rows = [(*row, row[3]) for row in good_rows()]
    header = [*HEADER, "language_and_interpreters"]
    labels_csv = write_csv(tmp_path / "coded.csv", header, rows)
    with pytest.raises(TrainingDataError, match=r"are the same theme \(language_and_interpret"):
        train_from_csv(labels_csv, tmp_path / "model.npz")


def test_ragged_rows_empty_files_and_unnamed_columns_are_refused(tmp_path):
    ragged = write_csv(tmp_path / "ragged.csv", HEADER, [*good_rows()[:3], ("text", 1)])
    with pytest.raises(TrainingDataError, match="row 5 has 2 cells but the header has 4"):
        read_coded_csv(ragged)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(TrainingDataError, match="is empty"):
        read_coded_csv(tmp_path / "empty.csv")
    unnamed = write_csv(tmp_path / "unnamed.csv", ["Comment", ""], [("text", 1)])
    with pytest.raises(TrainingDataError, match="column 2 of the header has no name"):
        read_coded_csv(unnamed)
    (tmp_path / "latin1.csv").write_bytes("Comment,Food\ncaf\xe9,1\n".encode("latin-1"))
    with pytest.raises(TrainingDataError, match="is not UTF-8"):
        read_coded_csv(tmp_path / "latin1.csv")


def test_few_examples_are_reported_and_the_model_name_must_be_npz(tmp_path):
    labels_csv = write_csv(tmp_path / "coded.csv", HEADER, [row[:4] for row in good_rows()])
    with pytest.raises(ValueError, match=r"must end in \.npz"):
        train_from_csv(labels_csv, tmp_path / "model.joblib")
    rows = [(text, a, b, c) for text, a, b, c in ROWS]  # 4 positives per theme
    report = train_from_csv(write_csv(tmp_path / "few.csv", HEADER, rows), tmp_path / "m.npz")
    assert set(report.few_examples) == set(report.columns)
