"""Shared fixtures: organisations, staff in each role, clients signed in with a second factor,
the real engine's results on a synthetic extract as a finished metric run, feedback, and a
delivery plan with the four workstreams."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from pcref.analytics.engine import run_metrics, write_results
from pcref.analytics.extract.load import ingest, open_dataset
from pcref.analytics.synth import generate
from pcref.core import services
from pcref.core import urls as core_urls
from pcref.core.models import Organisation
from pcref.core.roles import Role
from pcref.feedback import services as feedback_services
from pcref.feedback.models import FeedbackSubmission
from pcref.governance import services as governance_services
from pcref.insights import files
from pcref.insights.models import MetricRun

PASSWORD = "a-long-test-password-2026"


@pytest.fixture(autouse=True)
def english_by_default():
    """Each test starts in English: a request in another language leaves it active in the
    thread, and reverse() would then give that language's addresses."""
    translation.activate("en")
    yield
    translation.deactivate()


SITE_PASSWORD_HASHERS = None  # the site's own list, before quick_password_hashing


@pytest.fixture(autouse=True)
def quick_password_hashing(settings):
    """Passwords are hashed with a quick hasher in tests: the site's Argon2 takes 0.2 s a hash
    and again a check, and the tests make and sign in hundreds of staff. The site's hashers
    stay after it, and test_sign_in checks that the site itself hashes with Argon2
    (`site_password_hashing`)."""
    global SITE_PASSWORD_HASHERS
    if SITE_PASSWORD_HASHERS is None:
        SITE_PASSWORD_HASHERS = list(settings.PASSWORD_HASHERS)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PASSWORD_HASHERS += SITE_PASSWORD_HASHERS


@pytest.fixture
def site_password_hashing(settings):
    """The site's own password hashers, as in production."""
    settings.PASSWORD_HASHERS = SITE_PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def own_insights_folder(settings, tmp_path):
    """Uploads, results and reports of a test go to its own folder, never var/; the demo's
    synthetic trust is small, so tests that load the whole demo stay quick."""
    settings.INSIGHTS_DIR = tmp_path / "insights"
    settings.INSIGHTS_DEMO_PEOPLE = 1_000
    settings.GOVERNANCE_DIR = tmp_path / "governance"


@pytest.fixture
def trust(db):
    return services.create_organisation(
        {
            "name": "Test Partnership NHS Trust",
            "kind": Organisation.Kind.NHS_TRUST,
            "ods_code": "RT5",
            "patient_experience_email": "px@example.nhs.uk",
        },
        by="demo",
    )


@pytest.fixture
def other_trust(db):
    return services.create_organisation(
        {
            "name": "Other NHS Foundation Trust",
            "kind": Organisation.Kind.NHS_TRUST,
            "ods_code": "RP1",
        },
        by="demo",
    )


@pytest.fixture
def partner_organisation(db):
    return services.create_organisation(
        {"name": "Community Voices", "kind": Organisation.Kind.VCSE_PARTNER}, by="demo"
    )


@pytest.fixture
def make_staff(db):
    """A staff member with the given roles and a confirmed authenticator."""

    def make(organisation, *roles: Role, username: str | None = None, authenticator: bool = True):
        username = (
            username
            or f"{'-'.join(roles) or 'none'}-{organisation.ods_code or organisation.pk.hex[:6]}"
        )
        user = services.create_staff_user(
            organisation,
            username=username,
            email=f"{username}@example.nhs.uk",
            first_name="Test",
            last_name=username.title(),
            roles=roles,
            password=PASSWORD,
            by="demo",
        )
        if authenticator:
            device = services.start_totp_enrolment(user)
            services.confirm_totp_enrolment(user, device, by=user)
        return user

    return make


def verified_client(user) -> Client:
    """A client signed in as the user, with the second factor already verified."""
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def signed_in():
    """signed_in(user) gives a client with the password and second factor done."""
    return verified_client


# Every public page that needs no answers first (the journey's own steps have their own tests).
PUBLIC_PAGE_NAMES = [f"core:{pattern.name}" for pattern in core_urls.public_urlpatterns[0]] + [
    "feedback:start",
    "feedback:easy_read_start",
    "feedback:you_said_we_did",
    "insights:data",
    "insights:annual_report",
    "involvement:start",
    "involvement:sign_up",
    "governance:our_plan",
    "governance:resources",
]


def core_staff_urls(organisation, team, person) -> list[str]:
    """Every core staff page, for an organisation, one of its teams and one of its staff."""
    return [
        reverse("core_staff:staff_home"),
        reverse("core_staff:account"),
        reverse("core_staff:backup_codes"),
        reverse("core_staff:sign_out"),
        reverse("core_staff:organisation_list"),
        reverse("core_staff:organisation_detail", args=[organisation.pk]),
        reverse("core_staff:organisation_edit", args=[organisation.pk]),
        reverse("core_staff:service_team_add", args=[organisation.pk]),
        reverse("core_staff:service_team_edit", args=[team.pk]),
        reverse("core_staff:staff_list"),
        reverse("core_staff:staff_add"),
        reverse("core_staff:staff_roles", args=[person.pk]),
        reverse("core_staff:audit_log"),
    ]


@pytest.fixture
def public_page_names():
    return PUBLIC_PAGE_NAMES


@pytest.fixture
def staff_urls():
    """staff_urls(organisation, team, person): every core staff page."""
    return core_staff_urls


def synthetic_extract(folder, people=1_000, seed=11):
    """A synthetic extract in `folder`, as CSV table files only (its ground truth removed)."""
    generate(folder, people=people, seed=seed, file_format="csv")
    (folder / "ground_truth.json").unlink()
    return folder


def engine_results(extract, datasets, metrics=None):
    """The real engine's results (all metrics, or those named) on the extract, loaded as
    dataset version 1 under `datasets`."""
    ingest(extract, datasets)
    return run_metrics(open_dataset(datasets, 1).path, metrics=metrics)


def finished_metric_run(organisation, table):
    """A finished metric run of the organisation with `table` written as its results."""
    run = MetricRun.objects.create(
        organisation=organisation,
        dataset_number=1,
        status=MetricRun.Status.DONE,
        started_by_system="import",
        result_rows=table.num_rows,
        finished_at=timezone.now(),
    )
    write_results(table, files.results_dir(run))
    run.results_path = str(files.results_dir(run))
    run.save()
    return run


@pytest.fixture
def write_extract():
    """write_extract(folder, people=1_000, seed=11): a synthetic extract as CSV files."""
    return synthetic_extract


@pytest.fixture(scope="session")
def good_extract(tmp_path_factory):
    """A valid synthetic extract of 1,200 people, as CSV table files only."""
    return synthetic_extract(tmp_path_factory.mktemp("extract"), people=1_200, seed=7)


@pytest.fixture(scope="session")
def results_table(good_extract, tmp_path_factory):
    """The real engine's results on the synthetic extract, worked out once."""
    return engine_results(good_extract, tmp_path_factory.mktemp("dashboard-datasets"))


@pytest.fixture
def finished_run(trust, results_table):
    return finished_metric_run(trust, results_table)


@pytest.fixture
def finish_a_run(tmp_path):
    """finish_a_run(organisation, metrics=None): a finished metric run of the real engine on a
    new synthetic extract of 1,000 people in the test's own folder."""

    def finish(organisation, metrics=None):
        extract = synthetic_extract(tmp_path / "extract")
        table = engine_results(extract, tmp_path / "datasets", metrics)
        return finished_metric_run(organisation, table)

    return finish


def feedback_from(trust, ethnic_group, overall, *, text="The ward was noisy.", when=None):
    """Feedback given online to the trust by a patient, dated `when` (a naive local date and
    time) when given."""
    submission = feedback_services.receive_feedback(
        {
            "respondent_type": "patient",
            "text": text,
            "wants_reply": False,
            "overall_experience": overall,
            "ethnic_group": ethnic_group,
        },
        organisation=trust,
        channel="online",
        interface_language="en",
    )
    if when is not None:
        FeedbackSubmission.objects.filter(pk=submission.pk).update(
            created_at=timezone.make_aware(when)
        )
    return submission


@pytest.fixture
def give_feedback():
    """give_feedback(trust, ethnic_group, overall, text=..., when=None): online feedback."""
    return feedback_from


def pytest_report_header(config):
    from django.db import connection

    return f"database: {connection.vendor} ({connection.settings_dict['NAME']})"


@pytest.fixture
def analyst(trust, make_staff):
    return make_staff(trust, Role.ANALYST, username="analyst")


@pytest.fixture
def steering(trust, make_staff):
    return make_staff(trust, Role.STEERING_GROUP_MEMBER, username="steering")


@pytest.fixture
def batch_worker():
    """batch_worker(worker_id, max_tasks=None): the real database worker (db_worker --batch)
    on the default queue, ready to run() in this process."""
    from django_tasks_db.management.commands.db_worker import Worker

    def make(worker_id, max_tasks=None):
        return Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=[],
        )

    return make


@pytest.fixture
def run_worker(batch_worker):
    """Run the real database worker (db_worker --batch) in this process until the queue is
    empty. Tests that use it on PostgreSQL must be transactional."""
    return lambda: batch_worker("test-worker").run()


@pytest.fixture
def plan(trust, steering):
    return governance_services.create_plan(
        {
            "title": "PCREF delivery plan",
            "year": "2025/26",
            "approved_by": "Transformation and Quality Improvement Committee",
            "approved_on": date(2025, 4, 15),
        },
        governance_services.DEFAULT_WORKSTREAMS,
        organisation=trust,
        by=steering,
    )


@pytest.fixture
def add_action(plan, steering, trust):
    """add_action(**changes): an action in the plan's first workstream, owned by `steering`."""

    def add(**changes):
        data = {
            "workstream": plan.workstreams.first(),
            "title": "Cultural awareness training for ward staff",
            "description": "Every ward team trained.",
            "owner": steering,
            "lead_organisation": trust,
            "component": "leadership_governance",
            "competency": "cultural_awareness",
            "due_on": timezone.localdate() + timedelta(days=60),
            "status": "on_track",
            **changes,
        }
        return governance_services.add_action(plan, data, by=steering)

    return add
