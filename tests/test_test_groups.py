"""The tests' own set-up: `make test` runs `pytest -n 2 --dist loadgroup`, and tests marked with
one `xdist_group` must run on one worker, where they share a costly fixture (a Spark session,
the 200,000-person recovery run, a PostgreSQL server to restart). pytest 9.2 with
pytest-xdist 3.8 silently stopped doing so (pytest-dev/pytest-xdist#1386)."""

import subprocess
import sys


def test_tests_of_one_xdist_group_run_on_one_worker(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_grouped.py").write_text(
        "import pytest\n"
        'pytestmark = pytest.mark.xdist_group("one")\n'
        + "".join(f"def test_{n}(): pass\n" for n in range(6))
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-v",
            "-p",
            "no:randomly",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    workers = {line.split("]")[0] for line in result.stdout.splitlines() if "PASSED" in line}
    assert len(workers) == 1, result.stdout
