"""`pcref synth`, `pcref ingest` and `pcref metrics`: the analyst's path from nothing to a
results table, through the real command, with the exit codes it promises."""

import csv
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import duckdb
import pyarrow.parquet as pq
import pytest

from pcref.analytics import commands
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
    output = capsys.readouterr()
    assert "was not loaded" in output.err and not output.out  # the reason, on standard error
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


@pytest.mark.parametrize(
    ("arguments", "option"),
    [
        (["ingest", "x", "--extract-date", "soon"], "--extract-date"),
        (["ingest", "x", "--extract-date", "2099-01-01"], "--extract-date"),  # checks no date
        (["ingest", "x", "--extract-date", "1850-01-01"], "--extract-date"),
        (["ingest", "x", "--memory-limit", "banana"], "--memory-limit"),
        (["ingest", "x", "--memory-limit", "1KB"], "--memory-limit"),  # DuckDB blamed each file
        (["synth", "--out", "x", "--people", "50"], "--people"),
        (["synth", "--out", "x", "--people", "99999999999"], "--people"),
        (["synth", "--out", "x", "--years", "500"], "--years"),
        (["synth", "--out", "x", "--seed", "-1"], "--seed"),
        (["synth", "--out", "x", "--start", "1950-01-01"], "--start"),  # births before 1900
        (["synth", "--out", "x", "--start", "2023-02-30"], "--start"),
        (["synth", "--out", "x", "--contacts-per-referral", "-1"], "--contacts-per-referral"),
    ],
)
def test_an_option_out_of_its_range_is_a_bad_command_line_naming_it(arguments, option, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(arguments)
    assert stopped.value.code == 2
    assert f"argument {option}:" in capsys.readouterr().err


def test_a_folder_that_cannot_be_written_is_refused_before_any_work(extract, tmp_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    for arguments in (
        ["synth", "--people", "100", "--out", str(a_file)],
        ["synth", "--people", "100", "--out", str(a_file / "below")],
        ["ingest", str(extract), "--datasets", str(a_file)],
        ["ingest", str(extract), "--datasets", str(tmp_path / "d"), "--report-dir", str(a_file)],
    ):
        assert main([*arguments, "--quiet"]) == REFUSED, arguments
        message = capsys.readouterr().err
        assert f"{str(a_file)!r}" in message and "is a file" in message, message
    assert list_datasets(tmp_path / "d") == []


def test_synth_refuses_a_folder_holding_the_other_format(tmp_path, capsys):
    out = tmp_path / "extract"
    assert (
        main(["synth", "--people", "100", "--out", str(out), "--format", "parquet", "--quiet"])
        == DONE
    )
    assert main(["synth", "--people", "100", "--out", str(out), "--quiet"]) == REFUSED
    assert "already holds" in capsys.readouterr().err
    assert not list(out.glob("*.csv"))


def test_metrics_checks_the_dataset_and_where_it_writes_before_computing(extract, tmp_path, capsys):
    datasets = tmp_path / "datasets"
    assert main(["ingest", str(extract), "--datasets", str(datasets), "--quiet"]) == DONE
    version = list_datasets(datasets)[0].path
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    for out, said in ((version, "inside a dataset version"), (a_file, "is a file")):
        code = main(["metrics", "--datasets", str(datasets), "--out", str(out), "--quiet"])
        assert code == REFUSED and said in capsys.readouterr().err
    assert not (version / "results.csv").exists()
    (version / "mhs201_care_contacts.parquet").chmod(0o644)
    (version / "mhs201_care_contacts.parquet").unlink()  # the default run dropped its metrics
    code = main(["metrics", "--datasets", str(datasets), "--out", str(tmp_path / "r"), "--quiet"])
    assert code == REFUSED
    assert "mhs201_care_contacts.parquet is missing" in capsys.readouterr().err


def test_two_ingests_in_the_same_second_keep_a_report_each(extract, tmp_path, capsys):
    datasets = tmp_path / "datasets"
    for _ in range(2):
        assert main(["ingest", str(extract), "--datasets", str(datasets), "--quiet"]) == DONE
    assert len(list((datasets / "reports").glob("*/report.csv"))) == 2


def test_metrics_stopped_by_sigterm_in_duckdb_code_keeps_the_earlier_results(
    extract, tmp_path, capsys
):
    """SIGTERM while the run is in DuckDB's code: exit 130, no trace, and --out still holds
    the earlier run's files, whole."""
    datasets, out = tmp_path / "datasets", tmp_path / "results"
    assert main(["ingest", str(extract), "--datasets", str(datasets), "--quiet"]) == DONE
    command = ["metrics", "--datasets", str(datasets), "--out", str(out), "--quiet"]
    assert main(command) == DONE
    earlier = {path.name: path.read_bytes() for path in out.iterdir()}
    capsys.readouterr()
    main_thread = threading.main_thread().ident
    duckdb_code = os.path.dirname(duckdb.__file__) + os.sep  # its Python layer runs statements
    sent = threading.Event()

    def terminate_inside_duckdb():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            frame = sys._current_frames().get(main_thread)
            if frame is not None and frame.f_code.co_filename.startswith(duckdb_code):
                os.kill(os.getpid(), signal.SIGTERM)
                sent.set()
                return
            time.sleep(0.0005)

    watcher = threading.Thread(target=terminate_inside_duckdb, daemon=True)
    watcher.start()
    code = main(command)
    watcher.join()
    assert sent.is_set(), "the run ended before DuckDB was seen running a statement"
    assert code == commands.STOPPED
    said = capsys.readouterr().err
    assert "pcref: stopped; the results in --out are from an earlier run" in said
    assert "Traceback" not in said
    assert {path.name: path.read_bytes() for path in out.iterdir()} == earlier


def test_a_command_stops_cleanly_on_sigterm_and_on_a_closed_pipe(capsys):
    def terminated(args):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the signal arrives first
        return DONE

    assert commands._guarded(terminated, "nothing was made")(None) == commands.STOPPED
    assert "pcref: stopped; nothing was made" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) is not commands._stop  # put back

    def reader_gone(args):
        raise BrokenPipeError

    saved = os.dup(1)
    try:
        assert commands._guarded(reader_gone, "")(None) == REFUSED
    finally:
        os.dup2(saved, 1)


@pytest.mark.skipif(os.geteuid() == 0 and not shutil.which("setpriv"), reason="root reads any file")
def test_a_file_without_read_permission_is_reported_not_a_trace(extract, tmp_path):
    source = tmp_path / "extract"
    shutil.copytree(extract, source)
    (source / "mhs404_cto.csv").chmod(0)
    command = [sys.executable, "-m", "pcref.cli", "ingest", str(source), "--quiet"]
    command += ["--datasets", str(tmp_path / "datasets")]
    if os.geteuid() == 0:  # root reads any file: run without the capability that lets it
        drop = "-dac_override,-dac_read_search"
        command = ["setpriv", "--bounding-set", drop, "--inh-caps", drop, *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == REFUSED, done.stderr
    assert "Traceback" not in done.stderr
    assert "mhs404_cto: mhs404_cto.csv cannot be opened: Permission denied" in done.stderr
