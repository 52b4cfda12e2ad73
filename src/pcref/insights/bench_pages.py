"""Benchmark of the insights pages with trust-scale results loaded: `pcref bench --only pages`.

The results come from the real engine on a synthetic trust (250,000 people by default; kept in
the work folder and reused when `--work-dir` is given). The pages are then served by the whole
Django stack (middleware, sign-in with a second factor, templates) through Django's test
client, in a new interpreter whose database is a throwaway SQLite file, so the figures are
server time: no network and no WSGI server. The load test (`make load`) measures those.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

TRUST_PEOPLE = 250_000
SEED = 20_260_401
GOAL_P95_MS = 300.0
# (label, URL name, arguments, query): pages that are not installed yet are skipped.
PAGES = [
    ("overview dashboard", "insights_staff:dashboard", [], ""),
    ("metric page: MHA detentions", "insights_staff:metric", ["MHA1.people"], ""),
    (
        "metric page, detailed groups",
        "insights_staff:metric",
        ["MHA1.people"],
        "?group_scheme=detailed",
    ),
    ("data quality", "insights_staff:quality", [], ""),
    ("experience", "insights_staff:experience", [], ""),
    ("public data", "insights:data", [], ""),
]


def trust_results(work_dir: Path, people: int = TRUST_PEOPLE, seed: int = SEED) -> Path:
    """A folder holding results.parquet for a synthetic trust: made once, then reused."""
    from pcref.analytics.bench_engine import _in_process

    results = work_dir / f"results-{people}-{seed}"
    if (results / "results.parquet").is_file():
        return results
    _in_process(_results_phase, str(work_dir), str(results), people, seed)
    return results


def _results_phase(work_dir: str, results: str, people: int, seed: int) -> None:
    from pcref.analytics.engine import run_metrics, write_results
    from pcref.analytics.extract.load import ingest
    from pcref.analytics.synth.generator import generate

    raw, store = Path(work_dir) / "extract", Path(work_dir) / "datasets"
    generate(raw, people=people, seed=seed, file_format="parquet")
    loaded = ingest(raw, store)
    if not loaded.ok:
        raise RuntimeError(f"the synthetic extract did not load:\n{loaded.summary()}")
    write_results(run_metrics(loaded.dataset.path), results)


def percentile(times: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (share 0.95 → p95) of the times."""
    ordered = sorted(times)
    rank = max(1, -(-len(ordered) * share // 1))  # ceil without floats drifting
    return ordered[int(rank) - 1]


def signed_in_site():
    """With Django set up on a throwaway database: migrate, add a trust and an analyst with a
    confirmed authenticator, and sign the analyst in with the second factor. Returns the trust
    and a test client holding that session (`pcref bench --only pages` and `--only uploads`)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pcref.core import services
    from pcref.core.models import Organisation
    from pcref.core.roles import Role

    call_command("migrate", verbosity=0)
    trust = Organisation.objects.create(
        name=settings.TRUST_NAME, kind="nhs_trust", ods_code=settings.TRUST_ODS_CODE
    )
    analyst = services.create_staff_user(
        trust,
        username="bench-analyst",
        email="bench-analyst@example.nhs.uk",
        first_name="Bench",
        last_name="Analyst",
        roles=[Role.ANALYST],
        password=None,
        by="command-line",
    )
    services.confirm_totp_enrolment(analyst, services.start_totp_enrolment(analyst), by=analyst)
    client = Client()
    client.force_login(analyst)
    session = client.session
    session["otp_device_id"] = TOTPDevice.objects.get(user=analyst).persistent_id
    session.save()
    return trust, client


def serve_pages(results: Path, requests: int) -> list[dict]:
    """In this interpreter (its environment already pointing at a throwaway database and
    insights folder): set up a trust, an analyst and a finished run on `results`, then time
    `requests` GETs of each page after three unmeasured ones."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pcref.settings")
    django.setup()
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from pcref.insights.models import MetricRun

    trust, client = signed_in_site()
    now = timezone.now()
    MetricRun.objects.create(
        organisation=trust,
        dataset_number=1,
        status=MetricRun.Status.DONE,
        started_by_system="command-line",
        results_path=str(results),
        finished_at=now,
        published_at=now,
    )

    measured = []
    for label, name, arguments, query in PAGES:
        try:
            address = reverse(name, args=arguments) + query
        except NoReverseMatch:
            continue
        times, first, status = [], None, None
        for attempt in range(requests + 3):
            started = time.perf_counter()
            response = client.get(address)
            elapsed = (time.perf_counter() - started) * 1000
            status = response.status_code
            if status != 200:
                raise RuntimeError(f"GET {address} answered {status}, not 200")
            first = elapsed if first is None else first
            if attempt >= 3:
                times.append(elapsed)
        measured.append(
            {
                "page": label,
                "address": address,
                "status": status,
                "requests": len(times),
                "first_ms": round(first, 1),  # cold: templates compiled, charts drawn
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(percentile(times, 0.95), 1),
                "max_ms": round(max(times), 1),
            }
        )
    return measured


def pages_benchmark(work_dir: Path, requests: int = 50, people: int = TRUST_PEOPLE) -> dict:
    """Results for a trust of `people`, then page times measured in a fresh interpreter."""
    started = time.perf_counter()
    results = trust_results(work_dir, people)
    results_seconds = time.perf_counter() - started
    site = Path(tempfile.mkdtemp(prefix="pages-", dir=work_dir))
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pcref.settings",
        "DATABASE_URL": f"sqlite:///{site / 'bench.sqlite3'}",
        "PCREF_INSIGHTS_DIR": str(site / "insights"),
        "PCREF_ALLOWED_HOSTS": "testserver",  # Django's test client
    }
    command = [sys.executable, "-m", "pcref.insights.bench_pages", "--serve", str(results)]
    command += ["--requests", str(requests)]
    finished = subprocess.run(command, env=environment, capture_output=True, text=True)
    if finished.returncode != 0:
        raise RuntimeError(f"the page benchmark failed:\n{finished.stderr[-3000:]}")
    result_rows = _result_rows(results)
    return {
        "people": people,
        "result_rows": result_rows,
        "results_seconds": round(results_seconds, 1),
        "pages": json.loads(finished.stdout.strip().splitlines()[-1]),
    }


def _result_rows(results: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(results / "results.parquet").metadata.num_rows


def print_pages_benchmark(work_dir: str | None, requests: int = 50) -> None:
    with tempfile.TemporaryDirectory(prefix="pcref-bench-pages-") as scratch:
        folder = Path(work_dir) if work_dir else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        figures = pages_benchmark(folder, requests)
    print(
        f"Trust of {figures['people']:,} people: {figures['result_rows']:,} result rows "
        f"(made in {figures['results_seconds']} s; server time through Django's test client)"
    )
    print(
        f"{'page':<34} {'status':>6} {'first ms':>9} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'max ms':>8}"
    )
    for page in figures["pages"]:
        print(
            f"{page['page']:<34} {page['status']:>6} {page['first_ms']:>9} {page['requests']:>4} "
            f"{page['p50_ms']:>8} {page['p95_ms']:>8} {page['max_ms']:>8}"
        )
    overview = next(page for page in figures["pages"] if page["address"].endswith("dashboard/"))
    verdict = "met" if overview["p95_ms"] < GOAL_P95_MS else "MISSED"
    print(
        f"Overview dashboard p95 {overview['p95_ms']} ms: goal under {GOAL_P95_MS:.0f} ms {verdict}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", help="keeps the synthetic trust's results for next time")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # the measuring interpreter
    args = parser.parse_args(argv)
    if args.serve:
        print(json.dumps(serve_pages(Path(args.serve), args.requests)))
        return
    print_pages_benchmark(args.work_dir, args.requests)


if __name__ == "__main__":
    main()
