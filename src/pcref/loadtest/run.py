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
from dataclasses import dataclass
from pathlib import Path

from pcref.loadtest.postgres import ThrowawayPostgres, free_port

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
SUBMIT = "SUBMIT feedback"  # the locust request name of the final "Send feedback" POST
MARKER = re.compile(r"\[load ([0-9a-f]{32})\]")
STAFF_PASSWORD = "pcref-load-2026-not-a-real-password"

# The goals on this 2-core machine (printed as met or missed, never asserted).
GOAL_SUBMISSIONS_PER_SECOND = 100
GOAL_P95_MS = 300


@dataclass(frozen=True)
class LoadSettings:
    people: int  # locust users in all; the mix is set by each user class's weight
    seconds: int  # measured time, after every user has started
    web_workers: int
    locust: Path  # the locust program
    keep: bool  # keep the work folder (database log, locust CSV) for a look afterwards


def main(settings: LoadSettings) -> int:
    work = Path(tempfile.mkdtemp(prefix="pcref-load-"))
    print(f"Work folder: {work}")
    with ThrowawayPostgres() as postgres:
        os.environ.update(
            DATABASE_URL=postgres.url,
            PCREF_VAR_DIR=str(work / "var"),
            PCREF_CLIENT_ADDRESS_HEADER="X-Forwarded-For",  # as behind the trust's proxy
            PCREF_INSIGHTS_DEMO_PEOPLE="2000",  # dashboards to open; not what is measured
            PCREF_DEBUG="0",
        )
        os.environ.pop("PCREF_TASKS_BACKEND", None)
        staff_file = work / "staff.json"
        _prepare(staff_file, officers=settings.people // 4 + 2, analysts=settings.people // 4 + 2)
        port = free_port()
        server = _serve(port, settings.web_workers, work)
        try:
            started = time.time()
            stats = _run_locust(settings, port, staff_file, work)
            report = _check_database(work / "results", since=started)
        finally:
            _stop(server)
    code = _print_report(stats, report, settings)
    if settings.keep:
        print(f"Kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return code


def _prepare(staff_file: Path, *, officers: int, analysts: int) -> None:
    """Migrate, load the demo, and make staff accounts for the load's officers and analysts
    (one each: an authenticator code may be used once, so people cannot share an account)."""
    from pcref.cli import _django, _prepare_database

    _django()
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pcref.core import services
    from pcref.core.demo import demo_totp_key
    from pcref.core.models import Organisation
    from pcref.core.roles import Role
    from pcref.demo import load_everything

    print("Setting up the database and the demo…", flush=True)
    _prepare_database()
    load_everything()
    trust = Organisation.objects.get(ods_code=_trust_code())
    accounts = {"password": STAFF_PASSWORD, "officer": [], "analyst": []}
    for kind, role, count in (
        ("officer", Role.PATIENT_EXPERIENCE_OFFICER, officers),
        ("analyst", Role.ANALYST, analysts),
    ):
        for number in range(1, count + 1):
            username = f"load-{kind}-{number}"
            user = services.create_staff_user(
                trust,
                username=username,
                email=f"{username}@example.nhs.uk",
                first_name="Load",
                last_name=f"{kind.title()} {number}",
                roles=[role],
                password=STAFF_PASSWORD,
                by="demo",
            )
            key = demo_totp_key(username)
            device = TOTPDevice.objects.create(user=user, name="Load", key=key, confirmed=False)
            services.confirm_totp_enrolment(user, device, by="demo")
            accounts[kind].append({"username": username, "key": key})
    staff_file.write_text(json.dumps(accounts))
    from django.db import connections

    connections.close_all()  # the server and the check open their own


def _trust_code() -> str:
    from django.conf import settings

    return settings.TRUST_ODS_CODE


def _serve(port: int, workers: int, work: Path) -> subprocess.Popen:
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


def _run_locust(settings: LoadSettings, port: int, staff_file: Path, work: Path) -> list[dict]:
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
    env = {**os.environ, "LOAD_STAFF": str(staff_file), "LOAD_RESULTS": str(work / "results")}
    result = subprocess.run(command, env=env, check=False, capture_output=True, text=True)
    if not (work / "locust_stats.csv").exists():
        raise RuntimeError(
            f"locust did not run (exit {result.returncode}):\n{result.stderr[-3000:]}"
        )
    with (work / "locust_stats.csv").open(newline="") as stats:
        return list(csv.DictReader(stats))


def _check_database(results: Path, *, since: float) -> dict:
    """Every confirmation a person received names a submission stored exactly once, with the
    words they sent; and no journey was stored twice."""
    from django.db import connections

    from pcref.feedback.models import FeedbackSubmission

    connections.close_all()
    confirmed = [
        item
        for path in sorted(results.glob("confirmations-*.json"))
        for item in json.loads(path.read_text())
    ]
    stored = Counter()
    by_reference = {}
    for reference, text in (
        FeedbackSubmission.objects.filter(text__contains="[load ")
        .values_list("reference", "text")
        .iterator()
    ):
        marker = MARKER.search(text)
        if marker:
            stored[marker.group(1)] += 1
            by_reference[reference] = marker.group(1)
    missing = [item for item in confirmed if by_reference.get(item["reference"]) != item["marker"]]
    duplicated = [marker for marker, count in stored.items() if count > 1]
    confirmed_markers = {item["marker"] for item in confirmed}
    return {
        "confirmed": len(confirmed),
        "stored": sum(stored.values()),
        "missing": missing,
        "duplicated": duplicated,
        "stored_without_confirmation": len(set(stored) - confirmed_markers),
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
