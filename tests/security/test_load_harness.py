"""`make load` itself: its zero-loss check can fail, and the whole harness (throwaway
PostgreSQL, gunicorn, locust, the check) runs end to end, briefly. The load's figures are for
the closing note, never asserted here."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pcref.loadtest.postgres import server_binaries
from pcref.loadtest.run import compare, staff_mix
from pcref.paths import REPO_DIR

LOCUST = Path(REPO_DIR) / ".venv-load" / "bin" / "locust"
A, B, C = "a" * 32, "b" * 32, "c" * 32


def test_the_check_passes_when_every_confirmation_is_stored_once():
    report = compare(
        [{"reference": "FB-AAAA-1111", "marker": A}, {"reference": "FB-BBBB-2222", "marker": B}],
        [("FB-AAAA-1111", f"words [load {A}]"), ("FB-BBBB-2222", f"more [load {B}]")],
    )
    assert report["missing"] == [] and report["duplicated"] == []
    assert report["confirmed"] == report["stored"] == 2


def test_the_check_finds_a_lost_a_changed_and_a_doubled_submission():
    report = compare(
        [
            {"reference": "FB-AAAA-1111", "marker": A},  # lost
            {"reference": "FB-BBBB-2222", "marker": B},  # stored with another person's words
        ],
        [
            ("FB-BBBB-2222", f"words [load {C}]"),
            ("FB-CCCC-3333", f"words [load {C}]"),  # C twice
        ],
    )
    assert [item["reference"] for item in report["missing"]] == ["FB-AAAA-1111", "FB-BBBB-2222"]
    assert report["duplicated"] == [C]
    assert report["stored_without_confirmation"] == 1


def test_the_staff_are_about_three_in_nineteen_users_and_at_least_one_of_each():
    assert staff_mix(3) == {"LOAD_OFFICERS": "1", "LOAD_ANALYSTS": "1"}
    assert staff_mix(12) == {"LOAD_OFFICERS": "1", "LOAD_ANALYSTS": "1"}
    assert staff_mix(190) == {"LOAD_OFFICERS": "20", "LOAD_ANALYSTS": "10"}


def test_too_few_users_for_the_mix_is_refused_before_anything_starts():
    result = subprocess.run(
        [Path(sys.executable).with_name("pcref"), "load", "--users", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "--users 2: at least 3 are needed" in result.stderr


@pytest.mark.slow
def test_make_load_runs_end_to_end_and_loses_nothing():
    if server_binaries() is None:
        pytest.skip("needs PostgreSQL's server programs (initdb, pg_ctl)")
    if not LOCUST.exists():
        pytest.skip("needs locust: `make setup-dev` installs it in .venv-load")
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["PCREF_INSIGHTS_DEMO_PEOPLE"] = "300"
    result = subprocess.run(
        [
            Path(sys.executable).with_name("pcref"),
            "load",
            "--users",
            "5",
            "--seconds",
            "8",
            "--web-workers",
            "2",
            "--locust",
            str(LOCUST),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Zero-loss check: passed" in output
    confirmed = int(re.search(r"confirmations received: (\d+)", output).group(1))
    stored = int(re.search(r"submissions stored: (\d+)", output).group(1))
    assert confirmed > 0 and stored == confirmed
    for name in ("SUBMIT feedback", "staff: triage (send)", "Aggregated"):
        assert re.search(rf"^  {re.escape(name)}\s+\d+\s+0\s", output, re.M), f"no {name} row"
