"""`pcref feedback train`: a trust trains theme suggestions on its own coded feedback."""

import csv

import pytest

from pcref.cli import main
from pcref.core.models import AuditEntry
from pcref.feedback import suggestions

pytestmark = pytest.mark.django_db

FOOD = ["The food was cold every night", "Meals were late and cold", "No halal food on the ward"]
INTERPRETER = ["No interpreter came to my ward round", "Nobody spoke Punjabi to my mum"]


def write_coded(path, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["Comment", "Food & drink provision & facilities", "Language and interpreters"]
        )
        writer.writerows(rows)
    return path


@pytest.fixture
def model_path(settings, tmp_path):
    settings.FEEDBACK_SUGGESTER_PATH = tmp_path / "var" / "theme-suggester.npz"
    return settings.FEEDBACK_SUGGESTER_PATH


def test_training_writes_the_model_the_site_then_uses(model_path, tmp_path, capsys):
    rows = [[text, 1, 0] for text in FOOD * 5] + [[text, 0, 1] for text in INTERPRETER * 6]
    labels = write_coded(tmp_path / "coded.csv", rows)
    assert main(["feedback", "train", "--labels", str(labels)]) == 0
    output = capsys.readouterr().out
    assert model_path.is_file() and "27 rows and 2 themes" in output
    entry = AuditEntry.objects.get(action="feedback.suggester_trained")
    assert entry.actor_label == "system:command-line"
    assert suggestions.suggester().model_version == entry.changes["model_version"][1]


def test_a_refused_file_names_the_row_and_keeps_the_old_model(model_path, tmp_path, capsys):
    model_path.parent.mkdir(parents=True)
    model_path.write_bytes(b"the trust's current model")
    labels = write_coded(tmp_path / "coded.csv", [[FOOD[0], 1, 0], [FOOD[1], 2, 0]])
    assert main(["feedback", "train", "--labels", str(labels)]) == 1
    assert "row 3" in capsys.readouterr().err
    assert model_path.read_bytes() == b"the trust's current model"
    assert [path.name for path in model_path.parent.iterdir()] == [model_path.name]
    assert not AuditEntry.objects.filter(action="feedback.suggester_trained").exists()
