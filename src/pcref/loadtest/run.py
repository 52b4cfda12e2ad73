"""`pcref load` (`make load`): serve the demo with gunicorn on a throwaway PostgreSQL server on
127.0.0.1, put it under a realistic load with locust (headless, bounded in users and time), then
check the database: every submission that got a confirmation is stored exactly once, as sent.

The load mix, and how each person behaves, is in `locustfile.py`. Locust runs in its own
virtual environment (`.venv-load`, from requirements-load.lock): the site never imports it.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pcref.loadtest.postgres import ThrowawayPostgres, free_port

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
SUBMIT = "SUBMIT feedback"  # the locust request name of the final "Send feedback" POST
MARKER = re.compile(r"\[load ([0-9a-f]{32})\]")

# The goals on this 2-core machine (printed as met or missed, never asserted).
GOAL_SUBMISSIONS_PER_SECOND = 100
GOAL_P95_MS = 300


@dataclass(frozen=True)
class LoadSettings:
    people: int  # locust users in all: staff (see staff_mix), the rest people giving feedback
    seconds: int  # measured time, after every user has started
    web_workers: int
    locust: Path  # the locust program
    keep: bool  # keep the work folder (database log, locust CSV) for a look afterwards


def main(settings: LoadSettings) -> int:
    work = Path(tempfile.mkdtemp(prefix="pcref-load-"))
    print(f"Work folder: {work}")
    with ThrowawayPostgres() as postgres:
        # Every Django process of the load (setting up, the web app, the check) starts with
        # these: this process has read its own settings already, so it never opens Django.
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "pcref.settings",
            "DATABASE_URL": postgres.url,
            "PCREF_VAR_DIR": str(work / "var"),
            "PCREF_CLIENT_ADDRESS_HEADER": "X-Forwarded-For",  # as behind the trust's proxy
            "PCREF_DEBUG": "0",
        }
        env.setdefault("PCREF_INSIGHTS_DEMO_PEOPLE", "2000")  # dashboards; not what is measured
        env.pop("PCREF_TASKS_BACKEND", None)
        staff_file = work / "staff.json"
        accounts = str(settings.people // 4 + 2)
        print("Setting up the database and the demo…", flush=True)
        _database("prepare", str(staff_file), accounts, env=env)
        port = free_port()
        server = _serve(port, settings.web_workers, work, env)
        try:
            stats = _run_locust(settings, port, staff_file, work, env)
            report = json.loads(_database("check", str(work / "results"), env=env))
        finally:
            _stop(server)
    code = _print_report(stats, report, settings)
    if settings.keep:
        print(f"Kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return code


def _database(*arguments: str, env: dict) -> str:
    """`python -m pcref.loadtest.database ...` in a fresh process with the load's settings."""
    result = subprocess.run(
        [sys.executable, "-m", "pcref.loadtest.database", *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"pcref.loadtest.database {arguments[0]} failed:\n{result.stderr[-3000:]}"
        )
    return result.stdout


def _serve(port: int, workers: int, work: Path, env: dict) -> subprocess.Popen:
    """gunicorn, as docs/operations.md runs it, on 127.0.0.1 only."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "pcref.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
            "--error-logfile",
            str(work / "gunicorn.log"),
        ],
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    _stop(server)
    raise RuntimeError(f"gunicorn did not answer on port {port}; see {work / 'gunicorn.log'}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def staff_mix(people: int) -> dict[str, int]:
    """Officers and analysts among `people` users: about 2 and 1 in 19 (a busy day's mix), at
    least one of each so every part of the load is exercised, and never all of the users."""
    officers = max(1, round(people * 2 / 19))
    analysts = max(1, round(people / 19))
    if officers + analysts >= people:
        raise ValueError(
            f"--users {people}: at least 3 are needed (an officer, an analyst, a person)"
        )
    return {"LOAD_OFFICERS": str(officers), "LOAD_ANALYSTS": str(analysts)}


def _run_locust(
    settings: LoadSettings, port: int, staff_file: Path, work: Path, env: dict
) -> list[dict]:
    spawn_rate = max(1, settings.people // 2)  # everyone has started within about 2 s
    ramp = settings.people / spawn_rate
    print(
        f"Load: {settings.people} users for {settings.seconds} s after a {ramp:.0f} s ramp, "
        f"against gunicorn with {settings.web_workers} workers…",
        flush=True,
    )
    command = [
        str(settings.locust),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--only-summary",
        "--users",
        str(settings.people),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{settings.seconds + ramp:.0f}s",
        "--reset-stats",
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(work / "locust"),
        "--stop-timeout",
        "30",
        "--loglevel",
        "WARNING",
    ]
    env = {
        **env,
        **staff_mix(settings.people),
        "LOAD_STAFF": str(staff_file),
        "LOAD_RESULTS": str(work / "results"),
    }
    result = subprocess.run(command, env=env, check=False, capture_output=True, text=True)
    if not (work / "locust_stats.csv").exists():
        raise RuntimeError(
            f"locust did not run (exit {result.returncode}):\n{result.stderr[-3000:]}"
        )
    with (work / "locust_stats.csv").open(newline="") as stats:
        return list(csv.DictReader(stats))


def compare(confirmed: list[dict], stored: Iterable[tuple[str, str]]) -> dict:
    """Every confirmation a person received names a submission stored exactly once, with the
    words they sent (their marker); and no journey was stored twice.

    Args:
        confirmed: {"reference", "marker"} for each confirmation page a person saw.
        stored: (reference, text) of the load's stored submissions.
    """
    count = Counter()
    marker_of = {}
    for reference, text in stored:
        marker = MARKER.search(text)
        if marker:
            count[marker.group(1)] += 1
            marker_of[reference] = marker.group(1)
    return {
        "confirmed": len(confirmed),
        "stored": sum(count.values()),
        "missing": [
            item for item in confirmed if marker_of.get(item["reference"]) != item["marker"]
        ],
        "duplicated": [marker for marker, times in count.items() if times > 1],
        "stored_without_confirmation": len(set(count) - {item["marker"] for item in confirmed}),
    }


def _row(stats: list[dict], name: str) -> dict:
    return next(row for row in stats if row["Name"] == name)


def _print_report(stats: list[dict], check: dict, settings: LoadSettings) -> int:
    every = _row(stats, "Aggregated")
    submit = _row(stats, SUBMIT)
    print("\nRequests (after the ramp):")
    print(
        f"  {'name':<34}{'count':>8}{'errors':>8}{'per s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
    )
    for row in stats:
        print(
            f"  {row['Name'][:33]:<34}{row['Request Count']:>8}{row['Failure Count']:>8}"
            f"{float(row['Requests/s']):>8.1f}{row['50%']:>8}{row['95%']:>8}{row['99%']:>8}"
        )
    errors = int(every["Failure Count"])
    rate = float(submit["Requests/s"])
    p95 = float(every["95%"])
    print("\nGoals (this machine; reported, not asserted):")
    print(
        f"  feedback submissions per second: {rate:.1f} (goal ≥ {GOAL_SUBMISSIONS_PER_SECOND}) "
        + ("met" if rate >= GOAL_SUBMISSIONS_PER_SECOND else "MISSED")
    )
    print(
        f"  p95 of every request: {p95:.0f} ms (goal < {GOAL_P95_MS} ms) "
        + ("met" if p95 < GOAL_P95_MS else "MISSED")
    )
    print(f"  errors: {errors} (goal 0) " + ("met" if errors == 0 else "MISSED"))
    print("\nDatabase check (the whole run, ramp included):")
    print(f"  confirmations received: {check['confirmed']}")
    print(f"  submissions stored: {check['stored']}")
    print(f"  confirmed but not stored as sent: {len(check['missing'])}")
    print(f"  stored twice or more: {len(check['duplicated'])}")
    print(
        f"  stored, confirmation not received (a response lost at the end of the run): "
        f"{check['stored_without_confirmation']}"
    )
    lost = bool(check["missing"] or check["duplicated"])
    print("\nZero-loss check: " + ("FAILED" if lost else "passed"))
    return 1 if lost or errors else 0
