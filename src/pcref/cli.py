"""The `pcref` command: the front door to the demo, the site's jobs and the analytics."""

import argparse
import os
import signal
import sys

DEFAULT_ADDRESS = "127.0.0.1:8000"
BENCH_PARTS = ("stats", "themes", "engine", "pages", "uploads")
WORKER_RETRY_SECONDS = 5  # `pcref worker`: the wait before it tries a database that went away


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pcref.settings")
    import django

    django.setup()


def _prepare_database(verbosity: int = 0) -> None:
    from django.conf import settings
    from django.core.management import call_command

    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=verbosity)


def demo(args) -> int:
    """Migrate, load the demo (keeping what exists) and serve it."""
    _django()
    from django.conf import settings
    from django.core.management import call_command

    from pcref.demo import load_everything

    _prepare_database()
    people = load_everything()
    address = args.address
    print(f"\nPCREF Hub demo for {settings.TRUST_NAME}: http://{address}/")
    print(f"Staff sign in at http://{address}/staff/sign-in/ with password '{_demo_password()}'.")
    print("After the password, enter the code that `.venv/bin/pcref demo-code USERNAME` prints.\n")
    width = max(len(person.username) for person in people)
    for person in people:
        print(f"  {person.username:<{width}}  {', '.join(person.roles)} ({person.organisation})")
    print()
    sys.stdout.flush()
    if args.no_serve:
        return 0
    worker = _start_worker()
    # Stopped with SIGTERM too (not only Ctrl+C), the server still stops its worker.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(0))
    try:
        call_command("runserver", address, use_reloader=False, use_threading=True)
    finally:
        _stop_worker(worker)
    return 0


def _start_worker():
    """The background worker that checks uploads and runs metrics, beside the demo server."""
    import subprocess

    from django.conf import settings

    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return None
    print("Background worker started (uploads and metric runs); it stops with the server.")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pcref.cli",
            "worker",
            "--verbosity",
            "0",
        ]
    )


def _stop_worker(worker) -> None:
    if worker is None or worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=10)
    except Exception:  # noqa: BLE001 - a worker that ignores SIGTERM is killed
        worker.kill()
        worker.wait()


def _demo_password() -> str:
    from pcref.core.demo import demo_spec

    return demo_spec()["staff_password"]


def demo_code(args) -> int:
    """Print the current sign-in code of a demo user (demo only)."""
    _django()
    from pcref.core.demo import demo_code as current_code

    try:
        print(current_code(args.username))
    except LookupError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


def add_organisation(args) -> int:
    """Create an organisation, as a trust does once when it starts using PCREF Hub."""
    _django()
    from django.core.exceptions import ValidationError

    from pcref.core import services

    try:
        organisation = services.create_organisation(
            {"name": args.name, "kind": args.kind, "ods_code": (args.ods_code or "").upper()},
            by="command-line",
        )
    except ValidationError as error:
        return _refuse(error)
    print(f"Created {organisation.name} ({organisation.get_kind_display()}), id {organisation.pk}")
    return 0


def add_staff(args) -> int:
    """Create a staff account with roles; the password is read from standard input."""
    _django()
    from django.core.exceptions import ValidationError

    from pcref.core import services
    from pcref.core.models import Organisation
    from pcref.core.roles import Role

    organisation = Organisation.objects.filter(ods_code=args.organisation.upper()).first()
    organisation = organisation or Organisation.objects.filter(name=args.organisation).first()
    if organisation is None:
        print(f"No organisation with ODS code or name {args.organisation!r}", file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    try:
        user = services.create_staff_user(
            organisation,
            username=args.username,
            email=args.email,
            first_name=args.first_name,
            last_name=args.last_name,
            roles=[Role(role) for role in args.role],
            password=password,
            by="command-line",
        )
    except ValidationError as error:
        return _refuse(error)
    print(f"Created {user.username} at {organisation.name}: {', '.join(args.role)}")
    print("At first sign-in they set up an authenticator app (QR code) and get backup codes.")
    return 0


def _refuse(error) -> int:
    messages = getattr(error, "message_dict", None) or {"": error.messages}
    for field, problems in messages.items():
        for problem in problems:
            print(f"{field + ': ' if field else ''}{problem}", file=sys.stderr)
    return 2


def retention(args) -> int:
    """Delete contact details of long-closed feedback and of involvement sign-ups past their period."""
    _django()
    from pcref.core.once import prune_sent_forms
    from pcref.feedback.services import apply_retention, prune_submission_attempts
    from pcref.involvement.services import apply_retention as apply_involvement_retention

    references = apply_retention(days=args.days, dry_run=args.dry_run)
    verb = "Would delete" if args.dry_run else "Deleted"
    print(f"{verb} contact details of {len(references)} closed case(s)")
    for reference in references:
        print(f"  {reference}")
    # The involvement register keeps its own period (PCREF_INVOLVEMENT_RETENTION_DAYS).
    withdrawn = apply_involvement_retention(dry_run=args.dry_run)
    print(f"{verb} details of {len(withdrawn)} involvement sign-up(s) past their retention period")
    for reference in withdrawn:
        print(f"  {reference}")
    # The rate limit's keyed address hashes: only the last hour counts, so a day is plenty.
    pruned = prune_submission_attempts(dry_run=args.dry_run)
    print(f"{verb} {pruned} rate-limit address hash(es) older than a day")
    forms = prune_sent_forms(dry_run=args.dry_run)
    print(f"{verb} {forms} one-time key(s) of staff forms sent more than 30 days ago")
    return 0


def feedback_train(args) -> int:
    """Train theme suggestions on the trust's own coded feedback; used from the next feedback."""
    _django()
    from django.conf import settings

    from pcref.analytics.text.train import TrainingDataError, train_from_csv
    from pcref.core import audit

    target = settings.FEEDBACK_SUGGESTER_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.stem}.training.npz")  # never a half-written model
    try:
        report = train_from_csv(args.labels, staged, text_column=args.text_column, kind=args.kind)
    except (TrainingDataError, ValueError, OSError) as error:
        staged.unlink(missing_ok=True)
        print(f"pcref: {error}", file=sys.stderr)
        return 1
    staged.replace(target)
    audit.record(
        action="feedback.suggester_trained",
        by="command-line",
        after={"model_version": report.model_version, "kind": report.kind},
        context={"rows": report.rows_used, "themes": len(report.positives)},
    )
    print(
        f"Trained {report.kind} suggestions ({report.model_version}) on {report.rows_used:,} "
        f"rows and {len(report.positives)} themes in {report.fit_seconds:.1f} s: {target}"
    )
    if report.rows_without_text:
        print(f"Skipped {report.rows_without_text:,} rows without text.")
    if report.few_examples:
        print(f"Fewer than 10 examples, so weak suggestions: {', '.join(report.few_examples)}")
    return 0


def feedback_responses(args) -> int:
    """Write the feedback_responses table into an extract folder for the experience metrics."""
    _django()
    from pcref.analytics.commands import parse_date
    from pcref.core.models import Organisation
    from pcref.feedback.experience import write_responses

    organisation = Organisation.objects.filter(ods_code=args.organisation.upper()).first()
    if organisation is None:
        print(f"pcref: no organisation with ODS code {args.organisation!r}", file=sys.stderr)
        return 1
    try:
        since, until = parse_date(args.since, "--since"), parse_date(args.until, "--until")
        path, rows = write_responses(args.out, organisation, since=since, until=until)
    except ValueError as error:
        print(f"pcref: {error}", file=sys.stderr)
        return 1
    print(f"Wrote {rows:,} feedback answers of {organisation.name} to {path}")
    print(f"Next: pcref ingest {args.out}")
    return 0


def bench(args) -> int:
    """Measure speed, memory and quality: statistics, theme suggestions, the engine (no Django),
    the insights pages with trust-scale results (Django, in a fresh interpreter), and a large
    upload through a real web server."""
    parts = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = sorted(set(parts) - set(BENCH_PARTS))
    if unknown:
        print(f"pcref: unknown bench part(s) {unknown}; choose from {BENCH_PARTS}", file=sys.stderr)
        return 1
    if "stats" in parts:
        from pcref.analytics.bench import main as stats_bench

        print("== Statistics library")
        stats_bench(["--size", str(args.size), "--repeats", str(args.repeats)])
    if "themes" in parts:
        from pcref.analytics.text.bench_themes import main as themes_bench

        print("\n== Theme suggestions (NHS patient experience comments, 80/20 split)")
        themes_bench([])
    if "engine" in parts:
        from pcref.analytics.bench_engine import print_scale_benchmarks

        print("\n== Ingest and metric engine (synthetic extracts)")
        scales = [scale.strip() for scale in args.scales.split(",") if scale.strip()]
        print_scale_benchmarks(scales, work_dir=args.work_dir)
    if "pages" in parts:
        from pcref.insights.bench_pages import print_pages_benchmark

        print("\n== Insights pages with trust-scale results (Django in a fresh interpreter)")
        print_pages_benchmark(args.work_dir)
    if "uploads" in parts:
        from pcref.insights.bench_uploads import print_uploads_benchmark

        print("\n== A large upload through a real web server (peak memory of the server)")
        print_uploads_benchmark(args.upload_gb, args.work_dir)
    return 0


def load(args) -> int:
    """Put the site under load on PostgreSQL and gunicorn, then check nothing was lost."""
    from pathlib import Path

    from pcref.loadtest.run import LoadSettings, main, staff_mix

    try:
        staff_mix(args.users)
    except ValueError as error:
        print(f"pcref: {error}", file=sys.stderr)
        return 2
    locust = Path(args.locust)
    if not locust.exists():
        print(f"pcref: no locust program at {locust}; `make load` installs it", file=sys.stderr)
        return 1
    return main(
        LoadSettings(
            people=args.users,
            seconds=args.seconds,
            web_workers=args.web_workers,
            locust=locust,
            keep=args.keep,
        )
    )


def manage(args) -> int:
    """Run a Django management command (migrate, db_worker, createsuperuser, ...)."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pcref manage", *args.arguments])
    return 0


def worker(args) -> int:
    """Run the background worker (django-tasks-db's `db_worker`), and put back in its queue any
    job whose worker was killed part way: at start, then every JOB_LEASE_SECONDS."""
    _django()
    import logging
    import threading
    import time

    from django.core.management import execute_from_command_line
    from django.db import InterfaceError, OperationalError, connections

    from pcref.insights.jobs import keep_recovering

    stop = threading.Event()
    recovering = threading.Thread(
        target=keep_recovering, args=(stop,), name="recover-interrupted-jobs", daemon=True
    )
    recovering.start()
    try:
        while True:
            try:
                execute_from_command_line(
                    ["pcref worker", "db_worker", "--no-reload", *args.arguments]
                )
                break  # stopped (SIGTERM, Ctrl+C, or --batch with nothing left)
            except (OperationalError, InterfaceError):
                # The database went away (restarted, failed over): django-tasks-db's worker
                # gives up, which would leave the queue unserved until someone noticed. Wait
                # and carry on; a job it was running is put back after the lease.
                logging.getLogger("pcref.worker").warning(
                    "the database is not available; the worker starts again in %s s",
                    WORKER_RETRY_SECONDS,
                    exc_info=True,
                )
                connections.close_all()
                time.sleep(WORKER_RETRY_SECONDS)
    finally:
        stop.set()
        recovering.join(timeout=10)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pcref",
        description="PCREF Hub: race equality in NHS mental health services.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    command = commands.add_parser("demo", help="set up the demo database and serve the site")
    command.add_argument("--address", default=DEFAULT_ADDRESS, help="host:port to serve on")
    command.add_argument("--no-serve", action="store_true", help="set up the demo, then stop")
    command.set_defaults(handler=demo)

    command = commands.add_parser("demo-code", help="print a demo user's current sign-in code")
    command.add_argument("username", help="a demo username, such as admin")
    command.set_defaults(handler=demo_code)

    from pcref.core.roles import Role

    kinds = ["nhs_trust", "vcse_partner", "statutory_partner", "community_group"]
    command = commands.add_parser("add-organisation", help="create an organisation")
    command.add_argument("--name", required=True)
    command.add_argument("--kind", required=True, choices=kinds)
    command.add_argument("--ods-code", default="", help="ODS code, if it has one (e.g. RT5)")
    command.set_defaults(handler=add_organisation)

    command = commands.add_parser("add-staff", help="create a staff account with roles")
    command.add_argument("username")
    command.add_argument("--organisation", required=True, help="ODS code or exact name")
    command.add_argument("--email", required=True)
    command.add_argument("--first-name", required=True)
    command.add_argument("--last-name", required=True)
    command.add_argument(
        "--role", action="append", required=True, choices=[str(role) for role in Role]
    )
    command.add_argument(
        "--password-stdin",
        action="store_true",
        help="read a password from standard input (otherwise only single sign-on works)",
    )
    command.set_defaults(handler=add_staff)

    command = commands.add_parser(
        "retention", help="delete contact details of long-closed feedback"
    )
    command.add_argument("--days", type=int, default=None, help="override the retention period")
    command.add_argument("--dry-run", action="store_true", help="list what would be deleted")
    command.set_defaults(handler=retention)

    command = commands.add_parser("feedback", help="feedback jobs: train theme suggestions")
    jobs = command.add_subparsers(title="jobs", metavar="JOB", required=True)
    command = jobs.add_parser(
        "train",
        help="train theme suggestions on the trust's own coded feedback",
        description="Train theme suggestions from a UTF-8 CSV with one text column and one "
        "0/1 column per theme (docs/theme-suggestions.md). The new model is used for feedback "
        "that arrives afterwards; nothing is replaced if the file is refused.",
    )
    command.add_argument("--labels", required=True, help="the coded CSV")
    command.add_argument("--text-column", help="the text column (default: found)")
    command.add_argument("--kind", default="light", choices=["light", "nlp"])
    command.set_defaults(handler=feedback_train)

    command = jobs.add_parser(
        "responses",
        help="write feedback answers as an extract table for the experience metrics",
        description="Write feedback_responses.csv (docs/data-specification.md) into the "
        "trust's extract folder, so `pcref ingest` and `pcref metrics` measure positive "
        "experience by ethnic group (EXP1, EXP2). Codes only: no text or contact details.",
    )
    command.add_argument("--out", required=True, help="the extract folder")
    command.add_argument("--organisation", required=True, help="the trust's ODS code")
    command.add_argument("--since", help="first day of feedback, YYYY-MM-DD")
    command.add_argument("--until", help="last day of feedback, YYYY-MM-DD")
    command.set_defaults(handler=feedback_responses)

    from pcref.analytics.commands import add_commands

    add_commands(commands)

    command = commands.add_parser(
        "bench",
        help="measure the statistics, theme suggestions, the metric engine, insights pages and "
        "uploads",
        description="Benchmarks: the statistics library on a million rows; theme suggestion "
        "quality on the shared NHS comments (skipped when absent); ingest and the full metric "
        "suite on synthetic trust-scale and national-scale extracts; the insights pages' "
        "server time with a trust's results loaded; the web server's peak memory while a 2 GiB "
        "extract is uploaded.",
    )
    command.add_argument("--only", default=",".join(BENCH_PARTS), help="parts, comma-separated")
    command.add_argument("--scales", default="trust,national", help="engine scales: trust,national")
    command.add_argument("--work-dir", help="where the synthetic extracts go (default: temporary)")
    command.add_argument("--size", type=int, default=1_000_000, help="statistics rows per call")
    command.add_argument("--repeats", type=int, default=3, help="timed runs; the best is kept")
    command.add_argument("--upload-gb", type=float, default=2.0, help="uploads: file size in GiB")
    command.set_defaults(handler=bench)

    command = commands.add_parser(
        "load",
        help="load test: the site on gunicorn and PostgreSQL under locust, then a zero-loss check",
        description="Start a throwaway PostgreSQL server and gunicorn on 127.0.0.1 with the "
        "demo, run locust headless (people giving feedback in seven languages, officers "
        "triaging, analysts on dashboards), print throughput and latency, then check every "
        "confirmed submission is stored exactly once. Exit 1 on any error, loss or duplicate.",
    )
    command.add_argument("--users", type=int, default=12, help="simultaneous users in all")
    command.add_argument("--seconds", type=int, default=60, help="measured time, after the ramp")
    command.add_argument("--web-workers", type=int, default=4, help="gunicorn worker processes")
    command.add_argument("--locust", default=".venv-load/bin/locust", help="the locust program")
    command.add_argument("--keep", action="store_true", help="keep the work folder afterwards")
    command.set_defaults(handler=load)

    command = commands.add_parser(
        "worker",
        help="run the background worker: checks uploads, runs metrics, makes reports",
        description="Run the background worker (django-tasks-db's db_worker; its options, "
        "such as --queue-name, --interval or --verbosity, may follow). It also starts again any "
        "job whose worker was killed part way: at start, then every PCREF_JOB_LEASE_SECONDS "
        '(docs/operations.md, "If the worker stops"). SIGTERM lets the job in hand finish.',
    )
    command.add_argument("arguments", nargs=argparse.REMAINDER, help="options for db_worker")
    command.set_defaults(handler=worker)

    command = commands.add_parser("manage", help="run a Django management command")
    command.add_argument("arguments", nargs=argparse.REMAINDER, help="the command and its options")
    command.set_defaults(handler=manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    if argv[:1] == ["worker"] and not {"-h", "--help"} & set(argv[1:]):
        # db_worker's options pass through as given (argparse would refuse them as ours).
        return worker(argparse.Namespace(arguments=argv[1:]))
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
