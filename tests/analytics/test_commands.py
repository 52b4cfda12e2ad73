"""`pcref synth`, `pcref ingest` and `pcref metrics`: the analyst's path from nothing to a
results table, through the real command, with the exit codes it promises."""

import csv

import pyarrow.parquet as pq
import pytest

from pcref.analytics.commands import DONE, REFUSED
from pcref.analytics.extract.load import list_datasets
from pcref.cli import main

pytestmark = pytest.mark.xdist_group("analytics-commands")


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    out = tmp_path_factory.mktemp("commands") / "extract"
    assert main(["synth", "--people", "1500", "--seed", "5", "--out", str(out), "--quiet"]) == DONE
    return out


def test_synth_writes_the_tables_and_the_truth(extract, capsys):
    names = {path.name for path in extract.iterdir()}
    assert {"mhs001_patients.csv", "population.csv", "ground_truth.json"} <= names
    with (extract / "mhs001_patients.csv").open(newline="") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == 1500


def test_ingest_then_metrics_writes_a_version_and_results(extract, tmp_path, capsys):
    datasets = tmp_path / "datasets"
    assert main(["ingest", str(extract), "--datasets", str(datasets), "--quiet"]) == DONE
    assert "as dataset v0001" in capsys.readouterr().out
    out = tmp_path / "results"
    code = main(
        [
            "metrics",
            "--datasets",
            str(datasets),
            "--metrics",
            "DQ1,MHA1.people",
            "--periods",
            "financial_year",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == DONE
    table = pq.read_table(out / "results.parquet")
    assert set(table.column("metric").to_pylist()) == {"DQ1", "MHA1.people"}
    # the patients table has no dates: its recording quality is for the whole extract
    assert set(table.column("period_type").to_pylist()) == {"financial_year", "extract"}
    assert (out / "results.csv").stat().st_size > 0


def test_an_invalid_extract_is_refused_and_changes_nothing(tmp_path, capsys):
    extract = tmp_path / "extract"
    extract.mkdir()
    (extract / "mhs001_patients.csv").write_text("person_id\nP1\n", encoding="utf-8")
    datasets = tmp_path / "datasets"
    assert main(["ingest", str(extract), "--datasets", str(datasets), "--quiet"]) == REFUSED
    output = capsys.readouterr().out
    assert "was not loaded" in output
    assert list_datasets(datasets) == []
    reports = list((datasets / "reports").glob("*/report.csv"))
    assert len(reports) == 1 and "missing" in reports[0].read_text(encoding="utf-8").lower()


def test_metrics_refuses_an_unknown_metric_and_a_missing_dataset(extract, tmp_path, capsys):
    datasets = tmp_path / "datasets"
    assert main(["metrics", "--datasets", str(datasets), "--quiet"]) == REFUSED
    assert "no dataset versions" in capsys.readouterr().err
    assert main(["ingest", str(extract), "--datasets", str(datasets), "--quiet"]) == DONE
    assert main(["metrics", "--datasets", str(datasets), "--metrics", "NOPE", "--quiet"]) == REFUSED
    assert "NOPE" in capsys.readouterr().err


def test_a_wrong_command_line_exits_2_naming_the_option(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["synth", "--people", "none", "--out", "x"])
    assert stopped.value.code == 2
    assert "--people" in capsys.readouterr().err


def test_ingest_refuses_a_bad_extract_date(extract, tmp_path, capsys):
    code = main(["ingest", str(extract), "--datasets", str(tmp_path), "--extract-date", "soon"])
    assert code == REFUSED
    assert "--extract-date" in capsys.readouterr().err
