"""Feedback feeds the engine's experience metric: from forms people filled in, through
`pcref feedback responses` and `pcref ingest`, to positive experience % by ethnic group."""

import csv
import datetime as dt

import pyarrow.compute as pc
import pytest
from django.utils import timezone

from pcref.analytics.engine import run_metrics
from pcref.analytics.extract.load import ingest
from pcref.analytics.stats import proportion
from pcref.analytics.synth import generate
from pcref.cli import main
from pcref.feedback.experience import FILE_NAME, write_responses
from pcref.feedback.models import FeedbackSubmission

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("experience-feed")]

SAID = "My mum's name is Asha Patel, call 07700 900123."  # never leaves the database


@pytest.fixture
def feedback(trust, give_feedback):
    answers = [
        *[("black-african", "good")] * 3,
        ("black-caribbean", "very_good"),
        ("black-african", "poor"),
        ("black-african", "dont_know"),  # not an answer: outside EXP1's denominator
        *[("white-british", "very_good")] * 4,
        ("white-british", "neither"),
        ("prefer-not-to-say", "good"),
        ("", "very_poor"),
    ]
    submissions = [give_feedback(trust, group, overall, text=SAID) for group, overall in answers]
    # inside the synthetic extract's three years, April 2023 to March 2026
    FeedbackSubmission.objects.update(
        created_at=timezone.make_aware(dt.datetime(2024, 6, 15, 12, 0))
    )
    return submissions


def test_the_file_holds_codes_only_one_row_per_answer(feedback, trust, tmp_path):
    path, rows = write_responses(tmp_path, trust)
    assert (path.name, rows) == (FILE_NAME, len(feedback))
    text = path.read_text(encoding="utf-8")
    assert "Asha" not in text and "07700" not in text
    records = list(csv.DictReader(text.splitlines()))
    categories = [record["answer_category"] for record in records]
    assert categories.count("positive") == 9 and categories.count("no_answer") == 1
    assert {record["ethnic_category"] for record in records} == {
        "M",
        "N",
        "A",
        "Z",
        "99",
    }  # 99: not answered (not known)
    assert {record["response_date"] for record in records} == {"2024-06-15"}
    assert [p.name for p in tmp_path.iterdir()] == [FILE_NAME]  # no part-file left behind


def test_the_command_refuses_an_unknown_trust_and_a_bad_date(trust, tmp_path, capsys):
    assert main(["feedback", "responses", "--out", str(tmp_path), "--organisation", "XX1"]) == 1
    assert "XX1" in capsys.readouterr().err
    code = main(
        ["feedback", "responses", "--out", str(tmp_path), "--organisation", "RT5", "--since", "x"]
    )
    assert code == 1 and "--since" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_ingested_with_the_extract_it_gives_positive_experience_by_group(
    feedback, trust, tmp_path, capsys
):
    extract = tmp_path / "extract"
    generate(extract, people=800, seed=3, file_format="parquet")
    assert main(["feedback", "responses", "--out", str(extract), "--organisation", "RT5"]) == 0
    result = ingest(extract, tmp_path / "datasets")
    assert result.ok, result.summary()
    assert result.dataset.manifest["row_counts"]["feedback_responses"] == len(feedback)

    table = run_metrics(result.dataset.path, metrics=["EXP1"], periods=["financial_year"])
    rows = table.filter(pc.equal(table["period"], "2024/25"))

    def row(scheme, group):
        found = rows.filter(
            pc.and_(pc.equal(rows["group_scheme"], scheme), pc.equal(rows["group"], group))
        ).to_pylist()
        return next(r for r in found if r["comparison_group"] in ("White", None))

    black = row("broad", "Black")  # 4 positive of 5 answers: don't know is not an answer
    assert (black["numerator"], black["denominator"]) == (4, 5)
    expected = proportion(4, 5, multiplier=100)
    assert black["value"] == pytest.approx(80.0)
    assert (black["lower"], black["upper"]) == pytest.approx((expected.lower, expected.upper))
    assert black["method"] == "Wilson"
    everyone = row("all", "all")
    assert (everyone["numerator"], everyone["denominator"]) == (9, 12)
    assert row("excluded", "not_stated")["denominator"] == 1  # preferred not to say
