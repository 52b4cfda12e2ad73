"""Faults on the way to the database (issue #8): PostgreSQL restarted while people are giving
feedback, and a double click on "Send". The site runs as in production, gunicorn on a
PostgreSQL server of this module's own (so restarting it touches no other test), and people are
real HTTP clients. The check is the load test's: every confirmation a person received names a
submission stored exactly once, with their words; a person who met the restart was told, with
503, to send the page again, and doing so lost nothing."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from pcref.loadtest.postgres import PostgresUnavailable, ThrowawayPostgres, free_port

pytestmark = [pytest.mark.xdist_group("database-faults"), pytest.mark.slow]

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REFERENCE = re.compile(r"\bFB-[A-Z0-9]{4}-[A-Z0-9]{4}\b")
UNAVAILABLE = "Sorry, the service is not available just now"
STEPS = (
    ("who", {"respondent_type": "patient"}),
    ("service", {"service_team": ""}),
    ("what-happened", None),  # the text, with the person's marker
    ("topics", {}),
    ("overall", {"overall_experience": "poor"}),
    ("reply", {"wants_reply": "no"}),
    ("about-you", {"ethnic_group": "black-african"}),
)


@dataclass
class Site:
    url: str
    postgres: ThrowawayPostgres
    worker: subprocess.Popen
    worker_log: Path

    def stored(self) -> Counter:
        """How many times each person's marker is stored, and under which reference."""
        with psycopg.connect(self.postgres.url.replace("postgres://", "postgresql://")) as db:
            rows = db.execute("SELECT reference, text FROM feedback_feedbacksubmission").fetchall()
        found = Counter()
        for reference, text in rows:
            marker = re.search(r"\[fault ([0-9a-f]{32})\]", text)
            if marker:
                found[(reference, marker.group(1))] += 1
        return found


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    try:
        postgres = ThrowawayPostgres().start()
    except PostgresUnavailable as error:
        pytest.skip(f"needs a PostgreSQL server of its own: {error}")
    folder = tmp_path_factory.mktemp("database-faults")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pcref.settings",
        "DATABASE_URL": postgres.url,
        "PCREF_VAR_DIR": str(folder / "var"),
        "PCREF_CLIENT_ADDRESS_HEADER": "X-Forwarded-For",
        "PCREF_TRUST_ODS_CODE": "RT5",
        "PCREF_DEBUG": "0",
    }
    bin_dir = Path(sys.executable).parent
    server = worker = None
    try:
        subprocess.run([bin_dir / "pcref", "manage", "migrate", "-v", "0"], env=env, check=True)
        subprocess.run(
            [
                bin_dir / "pcref",
                "add-organisation",
                "--name",
                "Test Partnership NHS Trust",
                "--kind",
                "nhs_trust",
                "--ods-code",
                "RT5",
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        port = free_port()
        server = subprocess.Popen(
            [
                bin_dir / "gunicorn",
                "pcref.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "30",
                "--error-logfile",
                str(folder / "gunicorn.log"),
            ],
            env=env,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        worker_log = folder / "worker.log"
        with worker_log.open("w") as log:
            worker = subprocess.Popen(
                [bin_dir / "pcref", "worker", "--interval", "0.2"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_for(url)
        yield Site(url, postgres, worker, worker_log)
    finally:
        for process in (server, worker):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
        postgres.remove()


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/", timeout=5).close()
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"gunicorn did not answer at {url}")


@dataclass
class Person:
    """Someone with a browser: cookies, their own address, and the patience to send a page again
    when the site says it is not available just now."""

    url: str
    marker: str = field(default_factory=lambda: uuid.uuid4().hex)
    unavailable: list[str] = field(default_factory=list)  # pages answered 503
    other_errors: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.address = (
            f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
        )

    def request(self, path: str, data: dict | None = None, *, retry: bool = True) -> str:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        for _attempt in range(120):
            request = urllib.request.Request(
                self.url + path, data=body, headers={"X-Forwarded-For": self.address}
            )
            try:
                with self.opener.open(request, timeout=30) as response:
                    return response.read().decode()
            except urllib.error.HTTPError as error:
                page = error.read().decode(errors="replace")
                if error.code == 503:
                    self.unavailable.append(path)
                    assert UNAVAILABLE in page, f"503 without the message on {path}"
                    assert error.headers.get("Retry-After"), "503 without Retry-After"
                    if retry:
                        time.sleep(0.3)
                        continue
                else:
                    self.other_errors.append(f"{error.code} on {path}")
                return page
            except (urllib.error.URLError, ConnectionError) as error:
                self.other_errors.append(f"{error} on {path}")
                return ""
        raise AssertionError(f"{path} was still not available after 120 tries")

    def answer_everything(self) -> str:
        """Every step of the journey; returns the check page."""
        self.request("/feedback/")
        for slug, answers in STEPS:
            page = self.request(f"/feedback/{slug}/")
            if answers is None:
                answers = {"text": f"Nobody called me back. [fault {self.marker}]", "website": ""}
            self.request(f"/feedback/{slug}/", {"csrfmiddlewaretoken": _csrf(page), **answers})
        return self.request("/feedback/check/")

    def send(self, check_page: str) -> str | None:
        page = self.request(
            "/feedback/check/", {"csrfmiddlewaretoken": _csrf(check_page), "website": ""}
        )
        found = REFERENCE.search(page)
        return found.group(0) if found else None


def _csrf(page: str) -> str:
    found = CSRF.search(page)
    assert found, f"no form on the page: {page[:300]}"
    return found.group(1)


def test_restarting_postgresql_while_people_give_feedback_loses_and_doubles_nothing(site):
    confirmations: list[tuple[str, str]] = []
    people: list[Person] = []
    stop = threading.Event()

    def give_feedback_until_stopped():
        while not stop.is_set():
            person = Person(site.url)
            people.append(person)
            reference = person.send(person.answer_everything())
            if reference:
                confirmations.append((reference, person.marker))

    threads = [threading.Thread(target=give_feedback_until_stopped) for _ in range(6)]
    for thread in threads:
        thread.start()
    try:
        _wait_until(lambda: len(confirmations) >= 6, "6 confirmations before the restart")
        before = len(confirmations)
        site.postgres.restart(down_seconds=2)
        _wait_until(lambda: len(confirmations) >= before + 6, "6 confirmations after the restart")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)

    # The background worker met the restart too, and carried on rather than exit.
    assert site.worker.poll() is None, site.worker_log.read_text()[-2000:]
    assert "the worker starts again" in site.worker_log.read_text()

    unavailable = [path for person in people for path in person.unavailable]
    other_errors = [error for person in people for error in person.other_errors]
    assert unavailable, "nobody met the restart: the test did not test it"
    assert not other_errors, other_errors  # no 500s, no dropped connections: only 503s
    stored = site.stored()
    by_marker = Counter(marker for (_reference, marker) in stored.elements())
    for reference, marker in confirmations:
        assert stored[(reference, marker)] == 1, f"{reference} confirmed but not stored once"
    assert all(count == 1 for count in by_marker.values()), "a journey was stored twice"
    # (the module's other test stores its own people's feedback in the same database)
    ours = {person.marker for person in people}
    unconfirmed = set(by_marker) & ours - {marker for _reference, marker in confirmations}
    assert not unconfirmed, "stored, though its sender never got a confirmation"


def test_a_double_click_on_send_stores_one_submission_and_confirms_it_twice(site):
    for _ in range(5):
        person = Person(site.url)
        check_page = person.answer_everything()
        references = _click_twice_at_once(person, check_page)
        assert len(references) == 2 and references[0] and references[0] == references[1]
        assert not person.other_errors
        # A third click, after both answers came back: the confirmation again, not the start.
        assert person.send(check_page) == references[0]
        stored = site.stored()
        assert [key for key in stored if key[1] == person.marker] == [
            (references[0], person.marker)
        ]
        assert stored[(references[0], person.marker)] == 1


def _click_twice_at_once(person: Person, check_page: str) -> list[str | None]:
    both = threading.Barrier(2)
    references = []

    def click():
        both.wait()
        references.append(person.send(check_page))

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=60)
    return references


def _wait_until(condition, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
