"""The load test's people: run by locust (in its own virtual environment, `make load`), not by
the site. No Django here: everything is done over HTTP, as a browser would.

* People give feedback through the whole public journey, in one of seven languages, from their
  own address, and keep the reference the confirmation page gives them.
* Patient experience officers sign in (password and authenticator code) and triage feedback.
* Analysts sign in and open the insights dashboard and metric pages.

Environment: LOAD_STAFF (a JSON file of staff usernames, password and authenticator keys),
LOAD_RESULTS (a folder where each locust process writes the confirmations it received) and
LOAD_OFFICERS, LOAD_ANALYSTS (how many of each: locust starts these fixed counts before the
people, so staff are signed in and working for the whole measured time even in a short run).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import random
import re
import struct
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

from locust import FastHttpUser, between, events, task

LANGUAGES = ("", "ur", "pl", "pa", "gu", "so", "ar")  # "" is English, the unprefixed address
TEXTS = (
    "The staff on the ward listened to me and explained my medication clearly.",
    "I waited three weeks for a call back and nobody told me why.",
    "My son was not offered an interpreter at his assessment.",
    "The crisis team were kind but the food on the ward did not meet my religious needs.",
    "We felt our family was not involved in decisions about discharge.",
)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REFERENCE = re.compile(r"\bFB-[A-Z0-9]{4}-[A-Z0-9]{4}\b")
TEAM = re.compile(r'<option value="([0-9a-f-]{36})"')
CASE = re.compile(r'href="/staff/feedback/([0-9a-f-]{36})/"')
THEME = re.compile(r'name="triage-themes" type="checkbox" value="([^"]+)"')
VERSION = re.compile(r'name="triage-version" value="(\d+)"')
METRIC = re.compile(r'href="(/staff/insights/metrics/[^"/]+/)"')

ACCOUNT_NUMBERS = {"officer": itertools.count(), "analyst": itertools.count()}
confirmations: list[dict] = []  # this process's: written out when the test stops


def staff_accounts() -> dict:
    return json.loads(Path(os.environ["LOAD_STAFF"]).read_text())


def totp(key_hex: str, at: float, step: int = 30, digits: int = 6) -> str:
    """RFC 6238, as the staff's authenticator app works it out."""
    counter = struct.pack(">Q", int(at) // step)
    digest = hmac.new(bytes.fromhex(key_hex), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10**digits:0{digits}d}"


def csrf_of(response) -> str:
    found = CSRF.search(response.text or "")
    if not found:
        raise AssertionError(f"no form on {response.url} (status {response.status_code})")
    return found.group(1)


class Person(FastHttpUser):
    """Someone giving feedback: a new visitor (new cookies, new address) for each journey.
    Every user who is not staff is one of these."""

    wait_time = between(0.0, 0.05)

    @task
    def give_feedback(self):
        self.client.cookiejar.clear()
        language = random.choice(LANGUAGES)
        prefix = f"/{language}" if language else ""
        # Behind the trust's proxy each person has their own address (PCREF_CLIENT_ADDRESS_HEADER)
        address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        headers = {"X-Forwarded-For": address}
        marker = uuid.uuid4().hex
        text = f"{random.choice(TEXTS)} [load {marker}]"

        def step(slug, data, name):
            page = self.client.get(f"{prefix}/feedback/{slug}/", headers=headers, name=name)
            form = {"csrfmiddlewaretoken": csrf_of(page), **data}
            return page, self.client.post(
                f"{prefix}/feedback/{slug}/", data=form, headers=headers, name=name + " (send)"
            )

        self.client.get(f"{prefix}/feedback/", headers=headers, name="feedback: start")
        step("who", {"respondent_type": random.choice(["patient", "carer", "family"])}, "step 1")
        page = self.client.get(f"{prefix}/feedback/service/", headers=headers, name="step 2")
        form = {
            "csrfmiddlewaretoken": csrf_of(page),
            "service_team": random.choice([*TEAM.findall(page.text or ""), ""]),  # "" not sure
        }
        self.client.post(
            f"{prefix}/feedback/service/", data=form, headers=headers, name="step 2 (send)"
        )
        step("what-happened", {"text": text, "website": ""}, "step 3")
        step(
            "topics",
            {"cultural_needs": "", "family_involvement": "", "sharing_information": ""},
            "step 4",
        )
        step(
            "overall", {"overall_experience": random.choice(["good", "poor", "neither"])}, "step 5"
        )
        step("reply", {"wants_reply": "no"}, "step 6")
        step(
            "about-you",
            {"ethnic_group": random.choice(["white-british", "asian-indian", "black-african", ""])},
            "step 7",
        )
        page = self.client.get(f"{prefix}/feedback/check/", headers=headers, name="check answers")
        form = {"csrfmiddlewaretoken": csrf_of(page), "website": ""}
        with self.client.post(
            f"{prefix}/feedback/check/",
            data=form,
            headers=headers,
            name="SUBMIT feedback",
            catch_response=True,
        ) as sent:
            found = REFERENCE.search(sent.text or "")
            if sent.status_code != 200 or not found:
                sent.failure(f"no confirmation (status {sent.status_code})")
                return
            confirmations.append({"reference": found.group(0), "marker": marker, "at": time.time()})


class StaffUser(FastHttpUser):
    abstract = True
    role = ""

    def on_start(self):
        accounts = staff_accounts()
        # An account each: an authenticator code is accepted once, so two users on one
        # account would refuse each other's sign-in.
        mine = accounts[self.role][next(ACCOUNT_NUMBERS[self.role])]
        page = self.client.get("/staff/sign-in/", name="staff: sign in")
        self.client.post(
            "/staff/sign-in/",
            data={
                "csrfmiddlewaretoken": csrf_of(page),
                "username": mine["username"],
                "password": accounts["password"],
            },
            name="staff: sign in (send)",
        )
        page = self.client.get("/staff/sign-in/verify/", name="staff: security code")
        with self.client.post(
            "/staff/sign-in/verify/",
            data={"csrfmiddlewaretoken": csrf_of(page), "code": totp(mine["key"], time.time())},
            name="staff: security code (send)",
            catch_response=True,
        ) as signed_in:
            if "/sign-in/" in (signed_in.url or ""):
                signed_in.failure(f"{mine['username']} could not sign in")


class Officer(StaffUser):
    """A patient experience officer triaging new feedback."""

    fixed_count = int(os.environ.get("LOAD_OFFICERS", "1"))
    role = "officer"
    wait_time = between(0.5, 1.5)

    @task
    def triage(self):
        inbox = self.client.get("/staff/feedback/?status=new", name="staff: inbox")
        cases = CASE.findall(inbox.text or "")
        if not cases:
            return
        case = random.choice(cases)
        with self.client.get(
            f"/staff/feedback/{case}/", name="staff: feedback case", catch_response=True
        ) as page:
            themes = THEME.findall(page.text or "")
            version = VERSION.search(page.text or "")
            if not (themes and version):
                page.failure("no triage form on the case page")
                return
        with self.client.post(
            f"/staff/feedback/{case}/triage/",
            # two themes: one field sent twice, which locust's own form encoding cannot say
            data=urlencode(
                {
                    "csrfmiddlewaretoken": csrf_of(page),
                    "triage-version": version.group(1),
                    "triage-themes": random.sample(themes, 2),
                    "triage-sentiment": "negative",
                },
                doseq=True,
            ),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            name="staff: triage (send)",
            catch_response=True,
        ) as triaged:
            # Saved: redirected to the case page (200); refused: the form again, with 400. Two
            # officers on one case at once: the second is told someone else changed it, as the
            # site should; any other refusal is an error.
            if triaged.status_code == 400 and "Someone else changed this" in (triaged.text or ""):
                triaged.success()
            elif triaged.status_code != 200 or "Triage saved for" not in (triaged.text or ""):
                triaged.failure(f"triage not saved (status {triaged.status_code})")


class Analyst(StaffUser):
    """An analyst looking at the insights dashboard and a metric's page."""

    fixed_count = int(os.environ.get("LOAD_ANALYSTS", "1"))
    role = "analyst"
    wait_time = between(1, 3)

    @task
    def dashboards(self):
        overview = self.client.get("/staff/insights/", name="staff: insights dashboard")
        metrics = METRIC.findall(overview.text or "")
        if metrics:
            self.client.get(random.choice(metrics), name="staff: insights metric page")


@events.test_stop.add_listener
def write_confirmations(**_kwargs):
    folder = Path(os.environ["LOAD_RESULTS"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"confirmations-{os.getpid()}.json").write_text(json.dumps(confirmations))
