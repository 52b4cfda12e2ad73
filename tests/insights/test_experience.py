"""The experience page: feedback volume against the catchment population, positive experience
and confirmed themes by ethnic group, checked against counts made here from the rows."""

import csv
import datetime as dt
import html
import math
import re
import shutil
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from pcref.analytics.extract.load import ingest
from pcref.core.roles import Role
from pcref.feedback import services as feedback_services
from pcref.feedback.models import FeedbackSubmission, Theme
from pcref.insights import experience, files, presenters_experience

pytestmark = pytest.mark.django_db

# Written out here, not taken from pcref.analytics.ethnicity, so the test checks the mapping.
BROAD_OF_CODE = {
    **dict.fromkeys("ABC", "White"),
    **dict.fromkeys("DEFG", "Mixed"),
    **dict.fromkeys("HJKL", "Asian"),
    **dict.fromkeys("MNP", "Black"),
    **dict.fromkeys("RS", "Other"),  # Chinese counts in Other, as NHS England publishes it
}
# Census 2021 ethnic group (1-19) → NHS broad group and the code a person in it is given.
CENSUS = {
    1: ("Asian", "K"),
    2: ("Other", "R"),
    3: ("Asian", "H"),
    4: ("Asian", "J"),
    5: ("Asian", "L"),
    6: ("Black", "N"),
    7: ("Black", "M"),
    8: ("Black", "P"),
    9: ("Mixed", "F"),
    10: ("Mixed", "E"),
    11: ("Mixed", "D"),
    12: ("Mixed", "G"),
    13: ("White", "A"),
    14: ("White", "B"),
    15: ("White", "C"),  # Gypsy or Irish Traveller: C, as the feedback form stores them
    16: ("White", "C"),  # Roma
    17: ("White", "C"),
    18: ("Other", "S"),  # Arab
    19: ("Other", "S"),
}
POSITIVE, ANSWERS = {"very_good", "good"}, {"very_good", "good", "neither", "poor", "very_poor"}
Z95 = 1.959963984540054
IN_PERIOD = dt.datetime(2025, 6, 15, 12, 0)
START, END = dt.date(2025, 4, 1), dt.date(2026, 3, 31)

# (form answer, overall experience, how many): a spread across groups, inside 2025-26.
SPREAD = [
    ("white-british", "very_good", 8),
    ("white-british", "good", 6),
    ("white-british", "neither", 2),
    ("white-british", "poor", 2),
    ("white-british", "dont_know", 2),
    ("white-irish", "good", 2),
    ("white-roma", "poor", 1),
    ("asian-indian", "good", 3),
    ("asian-indian", "poor", 2),
    ("asian-indian", "", 1),
    ("asian-pakistani", "very_good", 1),
    ("asian-pakistani", "very_poor", 2),
    ("asian-pakistani", "neither", 1),
    ("asian-chinese", "good", 2),
    ("black-african", "good", 1),
    ("black-african", "poor", 2),
    ("black-caribbean", "very_poor", 1),
    ("black-caribbean", "dont_know", 1),
    ("mixed-white-and-asian", "good", 2),
    ("other-arab", "neither", 1),
    ("prefer-not-to-say", "good", 2),
    ("prefer-not-to-say", "poor", 1),
    ("", "very_good", 1),
    ("", "", 3),
]


@pytest.fixture
def receive(give_feedback):
    """receive(trust, ethnic_group, overall, when=IN_PERIOD, text=...): online feedback."""

    def receive(trust, ethnic_group, overall, when=IN_PERIOD, text="The ward was noisy."):
        return give_feedback(trust, ethnic_group, overall, text=text, when=when)

    return receive


@pytest.fixture
def spread(trust, receive):
    return [
        receive(trust, group, overall) for group, overall, times in SPREAD for _ in range(times)
    ]


@pytest.fixture(scope="session")
def ingested(good_extract, tmp_path_factory):
    """The synthetic extract ingested once; tests copy its dataset version into place."""
    datasets = tmp_path_factory.mktemp("experience-datasets")
    result = ingest(good_extract, datasets)
    assert result.ok
    return datasets


@pytest.fixture
def with_dataset(trust, ingested):
    shutil.copytree(ingested, files.datasets_dir(trust))


@pytest.fixture
def population_by_census_group(good_extract):
    counts = Counter()
    with (good_extract / "population.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            counts[int(row["census2021_ethnic_group"])] += int(row["population"])
    return counts


def wilson(x, n):
    spread = Z95 * math.sqrt(Z95 * Z95 + 4 * x * (1 - x / n))
    return (
        (2 * x + Z95 * Z95 - spread) / (2 * (n + Z95 * Z95)) * 100,
        (2 * x + Z95 * Z95 + spread) / (2 * (n + Z95 * Z95)) * 100,
    )


def group_of(code, detailed=False):
    if code in BROAD_OF_CODE:
        return code if detailed else BROAD_OF_CODE[code]
    return "not_stated" if code == "Z" else "not_known"


def test_volumes_and_shares_equal_counts_from_the_rows_and_the_population_table(
    trust, spread, with_dataset, population_by_census_group
):
    figures = experience.summary(trust, START, END)
    codes = list(FeedbackSubmission.objects.values_list("ethnic_category_code", flat=True))
    counted = Counter(group_of(code) for code in codes)
    stated = sum(n for group, n in counted.items() if group not in ("not_stated", "not_known"))
    assert (figures.total, figures.stated) == (len(spread), 43)
    residents = sum(population_by_census_group.values())
    population = Counter()
    for code, count in population_by_census_group.items():
        population[CENSUS[code][0]] += count
    assert figures.population.residents == residents
    assert [row.key for row in figures.volumes] == [
        "White", "Mixed", "Asian", "Black", "Other", "not_stated", "not_known",
    ]  # fmt: skip
    for row in figures.volumes:
        assert row.count == counted[row.key], row.key
        if not row.stated:
            assert row.share is row.population_share is row.ratio is None
            continue
        share = counted[row.key] / stated * 100
        lower, upper = wilson(counted[row.key], stated)
        population_share = population[row.key] / residents * 100
        assert row.share == pytest.approx(share, abs=1e-9)
        assert (row.share_lower, row.share_upper) == pytest.approx((lower, upper), abs=1e-9)
        assert row.population == population[row.key]
        assert row.population_share == pytest.approx(population_share, abs=1e-9)
        assert row.ratio == pytest.approx(share / population_share, abs=1e-9)
        assert row.ratio_lower == pytest.approx(lower / population_share, abs=1e-9)
        assert row.ratio_upper == pytest.approx(upper / population_share, abs=1e-9)
        expected = (
            "under" if upper / population_share < 1
            else "over" if lower / population_share > 1
            else "no_clear_difference"
        )  # fmt: skip
        assert row.representation == expected
    assert [row.key for row in figures.under_represented] == sorted(
        (row.key for row in figures.volumes if row.representation == "under"),
        key=lambda key: next(r.ratio for r in figures.volumes if r.key == key),
    )


def test_detailed_groups_count_roma_and_arab_people_where_the_form_stored_them(
    trust, spread, with_dataset, population_by_census_group
):
    figures = experience.summary(trust, START, END, scheme="detailed")
    assert [row.key for row in figures.volumes][:16] == list("ABCDEFGHJKLMNPRS")
    counted = Counter(
        group_of(code, detailed=True)
        for code in FeedbackSubmission.objects.values_list("ethnic_category_code", flat=True)
    )
    assert counted["C"] == 1 and counted["S"] == 1  # Roma and Arab, by the form's local residual
    residents = sum(population_by_census_group.values())
    population = Counter()
    for code, count in population_by_census_group.items():
        population[CENSUS[code][1]] += count
    assert sum(row.population for row in figures.volumes if row.stated) == residents
    for row in figures.volumes:
        assert row.count == counted[row.key], row.key
        if row.stated:
            assert row.population == population[row.key], row.key
            assert row.share == pytest.approx(counted[row.key] / 43 * 100, abs=1e-9)
    labels = {row.key: row.label for row in figures.volumes}
    assert labels["H"] == "Asian: Indian" and labels["R"] == "Other: Chinese"


def test_positive_experience_by_group_with_wilson_intervals(trust, spread):
    figures = experience.summary(trust, START, END)
    rows = list(
        FeedbackSubmission.objects.values_list("ethnic_category_code", "overall_experience")
    )
    positive, answered = Counter(), Counter()
    for code, answer in rows:
        positive[group_of(code)] += answer in POSITIVE
        answered[group_of(code)] += answer in ANSWERS
    overall = figures.positive_overall
    assert (overall.positive, overall.answered) == (sum(positive.values()), sum(answered.values()))
    assert overall.answered == len(spread) - 3 - 1 - 3  # don't know (3) and no answer (4) left out
    assert (overall.lower, overall.upper) == pytest.approx(
        wilson(overall.positive, overall.answered), abs=1e-9
    )
    assert [row.key for row in figures.positive] == [row.key for row in figures.volumes]
    for row in figures.positive:
        assert (row.positive, row.answered) == (positive[row.key], answered[row.key]), row.key
        assert row.percent == pytest.approx(positive[row.key] / answered[row.key] * 100)
        assert (row.lower, row.upper) == pytest.approx(
            wilson(positive[row.key], answered[row.key]), abs=1e-9
        )


def test_top_confirmed_themes_per_broad_group(trust, spread, make_staff, receive):
    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER, username="officer")
    themes = list(Theme.objects.filter(is_active=True).order_by("key")[:7])
    by_code = {}
    for submission in spread:
        by_code.setdefault(submission.ethnic_category_code, []).append(submission)
    confirmed = [
        *[(s, themes[:2]) for s in by_code["A"][:6]],  # White: two themes on six
        *[(s, themes[2:3]) for s in by_code["A"][6:9]],
        *[(s, themes[:1]) for s in by_code["C"]],
        *[(s, themes[3:5]) for s in by_code["H"][:2]],  # Asian
        *[(s, themes) for s in by_code["N"][:1]],  # Black: seven themes, five shown
        *[(s, themes[5:6]) for s in by_code["Z"]],
    ]
    for submission, chosen in confirmed:
        feedback_services.confirm_triage(
            submission,
            {"themes": chosen, "sentiment": "negative", "safeguarding": False,
             "formal_complaint": False},
            by=officer,
        )  # fmt: skip
    # Outside the period: never counted.
    late = receive(trust, "white-british", "good", when=dt.datetime(2026, 4, 1, 9, 0))
    feedback_services.confirm_triage(
        late,
        {"themes": themes[:1], "sentiment": "positive", "safeguarding": False,
         "formal_complaint": False},
        by=officer,
    )  # fmt: skip
    figures = experience.summary(trust, START, END, scheme="detailed")
    assert [group.key for group in figures.themes] == [
        "White",
        "Mixed",
        "Asian",
        "Black",
        "Other",
        "not_stated",
        "not_known",
    ]  # fmt: skip  (themes are by broad group, whatever the scheme)
    expected = {}
    for submission, chosen in confirmed:
        group = group_of(submission.ethnic_category_code)
        for theme in chosen:
            expected.setdefault(group, Counter())[theme.key] += 1
    feedback = Counter(group_of(s.ethnic_category_code) for s in spread)
    for group in figures.themes:
        assert group.feedback == feedback[group.key]
        counts = expected.get(group.key, Counter())
        assert group.triaged == sum(
            1 for s, _ in confirmed if group_of(s.ethnic_category_code) == group.key
        )
        ranked = sorted(
            counts.items(), key=lambda item: (-item[1], Theme.objects.get(key=item[0]).name)
        )
        assert [(t.key, t.count) for t in group.themes] == ranked[: experience.TOP_THEMES]
        for theme in group.themes:
            assert theme.percent == pytest.approx(theme.count / feedback[group.key] * 100)
    white = figures.themes[0]
    assert [(t.key, t.count) for t in white.themes][:2] == [(themes[0].key, 7), (themes[1].key, 6)]
    assert len(figures.themes[3].themes) == 5


def test_the_period_includes_its_first_and_last_days_in_local_time(trust, receive):
    for when in (
        dt.datetime(2025, 3, 31, 23, 59),  # before
        dt.datetime(2025, 4, 1, 0, 0),  # first moment, British Summer Time not yet (BST 30 March)
        dt.datetime(2026, 3, 31, 23, 59),  # last minute
        dt.datetime(2026, 4, 1, 0, 0),  # after
    ):
        receive(trust, "asian-indian", "good", when=when)
    assert experience.summary(trust, START, END).total == 2
    assert experience.summary(trust, dt.date(2025, 4, 1), dt.date(2025, 4, 1)).total == 1
    assert experience.summary(trust, dt.date(2026, 4, 1), dt.date(2026, 4, 30)).total == 1


def said_period(response) -> str:
    body = html.unescape(response.content.decode())
    return re.search(r'id="experience-period">(.*?)</p>', body).group(1)


def test_the_page_filters_by_financial_year_dates_and_by_default_the_latest_year(
    trust, analyst, signed_in, receive
):
    today = timezone.localdate()
    now = timezone.localtime().replace(tzinfo=None)
    receive(trust, "black-african", "good", when=now - dt.timedelta(days=10))
    receive(trust, "black-african", "poor", when=now - dt.timedelta(days=400))
    receive(trust, "white-british", "good", when=dt.datetime(2023, 5, 2, 10, 0))
    client = signed_in(analyst)
    url = reverse("insights_staff:experience")
    page = client.get(url)
    assert page.status_code == 200
    start, end = experience.latest_twelve_months(today)
    assert (end - start).days in (364, 365)
    period = presenters_experience.ExperiencePage(experience.summary(trust, start, end)).period
    assert said_period(page) == f"Feedback received from {period}: 1 piece of feedback."
    year = client.get(url, {"year": "2023-24"})
    assert said_period(year) == (
        "Feedback received from 1 April 2023 to 31 March 2024: 1 piece of feedback."
    )
    dates = client.get(url, {"start": "2023-05-02", "end": "2023-05-02"})
    assert (
        said_period(dates)
        == "Feedback received from 2 May 2023 to 2 May 2023: 1 piece of feedback."
    )
    only_to = client.get(url, {"end": "2024-04-30"})
    assert said_period(only_to).startswith("Feedback received from 1 May 2023 to 30 April 2024")
    detailed = html.unescape(
        client.get(url, {"year": "2023-24", "groups": "detailed"}).content.decode()
    )
    assert 'id="volume-A"' in detailed and 'id="volume-White"' not in detailed
    assert "White: English, Welsh, Scottish, Northern Irish or British" in detailed
    assert f'value="{experience.financial_year_of(today)}"' in page.content.decode()
    for response in (page, only_to):  # the radios say which groups are shown
        assert re.search(r'value="broad"\s+checked', response.content.decode())


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"year": "banana"}, "year", "Financial year: choose a year from the list (not “banana”)"),
        ({"year": "1999-00"}, "year", "Financial year: choose a year from the list"),
        ({"start": "2025-13-01"}, "start", "From: enter a real date, like 2025-04-01"),
        ({"end": "tomorrow"}, "end", "To: enter a real date, like 2026-03-31"),
        ({"start": "1066-10-14"}, "start", "From: enter a date from 2000 to 2099"),
        (
            {"start": "2025-06-01", "end": "2025-05-01"},
            "end",
            "To: the date must be the same as or after the From date",
        ),
        (
            {"year": "2024-25", "start": "2025-01-01"},
            "year",
            "Financial year: choose a year or enter from and to dates, not both",
        ),
        ({"groups": "all"}, "groups", "Ethnic groups: choose broad or detailed (not “all”)"),
    ],
)
def test_bad_filter_values_get_a_message_naming_the_field(
    trust, analyst, signed_in, spread, query, field, message
):
    response = signed_in(analyst).get(reverse("insights_staff:experience"), query)
    assert response.status_code == 400
    body = html.unescape(response.content.decode())
    assert "There is a problem" in body and message in body
    assert f'href="#id_{field}"' in body  # the error summary links to the field
    assert "Correct the problem above to see the figures." in body
    assert 'id="volume-table"' not in body
    assert body.count("<title>Error: ") == 1


def test_summary_refuses_a_backwards_period_and_an_unknown_scheme(trust):
    with pytest.raises(ValueError, match="start must be on or before end; got start 2025-02-01"):
        experience.summary(trust, dt.date(2025, 2, 1), dt.date(2025, 1, 1))
    with pytest.raises(ValueError, match="scheme must be one of broad, detailed; got 'narrow'"):
        experience.summary(trust, START, END, scheme="narrow")
    with pytest.raises(ValueError, match="written like 2025-26; got '2025-27'"):
        experience.financial_year_dates("2025-27")


@pytest.mark.parametrize("role", [Role.BOARD_VIEWER, Role.STEERING_GROUP_MEMBER, Role.ANALYST])
def test_insights_readers_see_only_their_own_organisation(
    role, trust, other_trust, make_staff, signed_in, spread, receive
):
    receive(other_trust, "black-caribbean", "poor")
    client = signed_in(make_staff(trust, role, username=f"reader-{role}"))
    response = client.get(reverse("insights_staff:experience"), {"year": "2025-26"})
    assert response.status_code == 200
    assert said_period(response).endswith(f": {len(spread)} pieces of feedback.")
    outsider = signed_in(make_staff(other_trust, role, username=f"outsider-{role}"))
    theirs = outsider.get(reverse("insights_staff:experience"), {"year": "2025-26"})
    assert said_period(theirs).endswith(": 1 piece of feedback.")


def test_partner_users_officers_and_anonymous_visitors_are_refused(
    trust, partner_organisation, make_staff, signed_in, client
):
    url = reverse("insights_staff:experience")
    partner = make_staff(partner_organisation, Role.PARTNER_USER, Role.ANALYST, username="p")
    assert signed_in(partner).get(url).status_code == 403
    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER, username="pxo")
    assert signed_in(officer).get(url).status_code == 403
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core_staff:sign_in") + "?next=")
    assert signed_in(make_staff(trust, Role.BOARD_VIEWER)).post(url).status_code == 405


def test_the_page_shows_the_figures_in_tables_and_words_under_represented_first(
    trust, analyst, signed_in, spread, with_dataset, django_assert_max_num_queries
):
    client = signed_in(analyst)
    with django_assert_max_num_queries(15):  # 14: same for any amount of feedback
        response = client.get(reverse("insights_staff:experience"), {"year": "2025-26"})
    body = html.unescape(response.content.decode())
    page = presenters_experience.ExperiencePage(experience.summary(trust, START, END))
    assert "Not for publication: figures are not suppressed" in body
    assert "Feedback received from 1 April 2025 to 31 March 2026: 50 pieces of feedback." in body
    assert "dataset version v0001" in body
    white = page.summary.volumes[0]
    row = body[
        body.index('id="volume-White"') : body.index("</tr>", body.index('id="volume-White"'))
    ]
    assert (
        f"{presenters_experience.figure(white.share)}% ({presenters_experience.figure(white.share_lower)}%"
        in row
    )
    assert presenters_experience.ratio_figure(white.ratio) in row
    ranks = {"under": 0, "no_clear_difference": 1, "over": 2}
    said = [
        next(r for r in page.summary.volumes if words.startswith(r.label + ":"))
        for words in page.volume_words
    ]
    assert [ranks[r.representation] for r in said] == sorted(ranks[r.representation] for r in said)
    for words in page.volume_words:
        assert words in body
    assert page.unstated_words in body
    assert "3 pieces of feedback from people who preferred not to say" in page.unstated_words
    positive_all = body[body.index('id="positive-all"') :]
    assert (
        f"{presenters_experience.figure(page.summary.positive_overall.percent)}%"
        in positive_all[:600]
    )
    assert "No feedback in this period has confirmed themes yet." in body
    # Both charts: a static SVG with its words and its data table, the same figures as above.
    for chart in (page.representation_chart, page.positive_chart):
        assert f'id="{chart.id}"' in body and chart.summary in body
        assert f'id="{chart.id}-table"' in body and 'role="img"' in body
    assert [row[0] for row in page.positive_chart.table.rows] == [
        row.label for row in page.summary.positive
    ]
    assert page.positive_chart.table.rows[0][1:] == [
        presenters_experience.figure(v)
        for v in (
            page.summary.positive[0].percent,
            page.summary.positive[0].lower,
            page.summary.positive[0].upper,
        )
    ]
    assert "Against all feedback (" in page.positive_chart.summary
    assert [row[0] for row in page.representation_chart.table.rows] == [
        "White", "Mixed", "Asian", "Black", "Other",
    ]  # fmt: skip
    # ratios to 2 places, as the volume table shows them
    stated = [row for row in page.summary.volumes if row.stated]
    assert [row[1:] for row in page.representation_chart.table.rows] == [
        [
            presenters_experience.ratio_figure(v)
            for v in (row.ratio, row.ratio_lower, row.ratio_upper)
        ]
        for row in stated
    ]


def test_without_a_dataset_the_page_shows_volumes_only(trust, analyst, signed_in, spread):
    response = signed_in(analyst).get(reverse("insights_staff:experience"), {"year": "2025-26"})
    body = html.unescape(response.content.decode())
    assert experience.summary(trust, START, END).population is None
    assert "Your organisation has no dataset version yet" in body
    assert "Upload an extract with its population file" in body
    assert "Representation ratio" not in body and 'id="volume-table"' in body
    assert "under-represented" not in body
    assert 'id="experience-representation"' not in body and 'id="experience-positive"' in body


def test_the_dashboard_links_to_the_page_with_or_without_results(
    analyst, make_staff, trust, signed_in
):
    for reader in (analyst, make_staff(trust, Role.BOARD_VIEWER)):
        body = signed_in(reader).get(reverse("insights_staff:dashboard")).content.decode()
        link = f'<a href="{reverse("insights_staff:experience")}" id="experience-link">'
        assert link in body and "There are no metric results yet" in body


def test_with_no_feedback_in_the_period_the_page_says_so(trust, make_staff, signed_in):
    board = make_staff(trust, Role.BOARD_VIEWER)
    response = signed_in(board).get(reverse("insights_staff:experience"))
    body = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "No feedback was received in this period." in body
    assert "No one answered the question about the overall experience in this period." in body
    assert "No feedback in this period has confirmed themes yet." in body
    assert "Upload an extract" not in body  # a board viewer cannot upload
    assert re.search(r"Feedback received from .*: 0 pieces of feedback\.", body)
