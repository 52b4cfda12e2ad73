"""The theme benchmark: its protocol on the shared NHS v6 data, and its skip without it."""

# The data set is read from the shared folder and never copied into the repository: the
# protocol test skips when it is absent (PCREF_SHARED_DIR, else ../shared beside the repo).

import pytest

from pcref.analytics.text.bench_themes import (
    default_data_path,
    load_protocol_data,
    main,
    run_protocol,
)

DATA = default_data_path()
needs_data = pytest.mark.skipif(not DATA.is_file(), reason=f"shared data absent: {DATA}")


def test_main_skips_cleanly_without_the_data(tmp_path, capsys):
    assert main(["--data", str(tmp_path / "absent.csv")]) == 0
    assert "Skipped: the benchmark data" in capsys.readouterr().out


def test_main_finds_the_file_in_a_shared_folder_and_runs_on_it(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    header = "FFT answer,Comment sentiment,Parking,Positive experience & gratitude,Trust\n"
    rows = [f"the car park was full {i},4,1,0,X\n" for i in range(12)]
    rows += [f"thank you all so much {i},1,0,1,X\n" for i in range(12)]
    (tmp_path / "data" / "patient-experience-comments-v6framework.csv").write_text(
        header + "".join(rows) + ",,,,X\n"
    )
    assert main(["--data", str(tmp_path), "--kinds", "baseline,light"]) == 0
    out = capsys.readouterr().out
    assert "24 of 25 comments have text; 2 themes have >= 10 positives" in out
    assert "baseline" in out and "light" in out and "sentiment (" in out


@needs_data
def test_protocol_keeps_42_themes_from_the_shared_data():
    data = load_protocol_data(DATA)
    assert data.rows_in_file == 7908
    assert len(data.texts) == 7400
    assert len(data.theme_keys) == 42
    assert data.labels.sum(axis=0).min() >= 10


@needs_data  # about 12 s on an idle 2-core machine (26 s when shared): not marked slow
def test_light_default_is_at_least_the_baseline_on_the_shared_data():
    _, rows = run_protocol(DATA, ["baseline", "light"], echo=lambda line: None)
    baseline, light = rows
    assert baseline.macro_f1 > 0.3  # the published-style baseline is working at all
    assert light.macro_f1 >= baseline.macro_f1
    assert light.micro_f1 >= baseline.micro_f1 - 0.01
