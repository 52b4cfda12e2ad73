"""What links an action to the rest of the hub: milestones, measures read from the latest metric
run, the feedback themes it answers, and evidence on its progress updates (a file, feedback,
"You said, we did" entries). Each change is checked, audited without anyone's words, and saved
whole or not at all; another organisation's records answer 404."""

import datetime as dt
import html
import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from pcref.core.models import AuditEntry
from pcref.core.roles import Role
from pcref.feedback import services as feedback_services
from pcref.feedback.models import Theme
from pcref.governance import measures, queries, services
from pcref.governance.measures import Movement, movement
from pcref.governance.models import (
    ActionMeasure,
    DeliveryAction,
    EvidenceFile,
    Milestone,
    ProgressUpdate,
)

pytestmark = pytest.mark.django_db


def assert_error(response, field, message):
    """The error summary links to the field, and the field shows the message."""
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert f'href="#id_{field}"' in page, page
    error = re.search(rf'id="id_{field}-error">(.*?)\n\s*</span>', page, re.S)
    assert error and message in error.group(1), (field, error and error.group(1))


@pytest.fixture
def action(add_action):
    return add_action(due_on=timezone.localdate() + timedelta(days=60))


@pytest.fixture
def reader(trust, make_staff):
    return make_staff(trust, Role.BOARD_VIEWER)


@pytest.fixture
def outsider(other_trust, make_staff):
    return make_staff(other_trust, Role.STEERING_GROUP_MEMBER)


def a_theme(key="racism_or_discrimination"):
    return Theme.objects.get(key=key)


def triaged(give_feedback, trust, officer, theme, when):
    submission = give_feedback(trust, "prefer-not-to-say", "poor", when=when)
    feedback_services.confirm_triage(
        submission,
        {
            "themes": [theme],
            "sentiment": "negative",
            "safeguarding": False,
            "formal_complaint": False,
        },
        by=officer,
    )
    return submission


# --- Whether a measure moves the right way (pure) ------------------------------------------


@pytest.mark.parametrize(
    ("current", "target", "direction", "start", "expected"),
    [
        (None, 2.0, "down", 3.0, Movement.NO_FIGURE),
        (float("nan"), 2.0, "down", 3.0, Movement.NO_FIGURE),
        (2.0, 2.0, "down", 3.0, Movement.MET),  # equal to the target is met
        (1.5, 2.0, "down", None, Movement.MET),
        (95.0, 95.0, "up", 80.0, Movement.MET),
        (96.0, 95.0, "up", None, Movement.MET),
        (2.5, 2.0, "down", 3.0, Movement.TOWARDS),
        (3.5, 2.0, "down", 3.0, Movement.AWAY),
        (90.0, 95.0, "up", 86.0, Movement.TOWARDS),
        (84.0, 95.0, "up", 86.0, Movement.AWAY),
        (3.0, 2.0, "down", 3.0, Movement.NO_CHANGE),
        (3.0, 2.0, "down", None, Movement.NO_CHANGE),  # no baseline and no earlier figure
        (3.0, 2.0, "down", float("nan"), Movement.NO_CHANGE),
    ],
)
def test_movement_says_in_words_how_a_measure_stands(current, target, direction, start, expected):
    assert movement(current, target, direction, start) is expected


def test_the_movement_words_are_the_boards():
    assert str(Movement.MET.value) == "Met the target"
    assert str(Movement.TOWARDS.value) == "Moving towards the target"
    assert str(Movement.AWAY.value) == "Moving away from the target"
    assert str(Movement.NO_FIGURE.value) == "No figure yet"


# --- Milestones -----------------------------------------------------------------------------


def test_a_milestone_is_added_marked_done_and_audited_without_its_words(
    action, steering, signed_in
):
    client = signed_in(steering)
    due = action.due_on - timedelta(days=10)
    response = client.post(
        reverse("governance_staff:milestone_new", args=[action.pk]),
        {"title": "Trainers booked for every ward", "due_on": due.isoformat()},
    )
    assert response["Location"] == reverse("governance_staff:action", args=[action.pk])
    milestone = Milestone.objects.get()
    assert (milestone.action, milestone.title, milestone.due_on) == (
        action,
        "Trainers booked for every ward",
        due,
    )
    entry = AuditEntry.objects.get(action="governance.milestone_added")
    assert entry.actor == steering and entry.target_id == str(action.pk)
    assert "Trainers booked" not in str(entry.changes) + entry.target_label
    page = client.get(response["Location"]).content.decode()
    assert "Trainers booked for every ward" in page and "Mark done" in page

    done = timezone.localdate()
    response = client.post(
        reverse("governance_staff:milestone_done", args=[milestone.pk]),
        {"done_on": done.isoformat()},
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.done_on == done
    assert AuditEntry.objects.get(action="governance.milestone_done").changes["done_on"] == [
        None,
        done.isoformat(),
    ]
    page = html.unescape(client.get(response["Location"]).content.decode())
    assert "Done on" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": " "}, "title", "Enter the milestone"),
        ({"due_on": ""}, "due_on", "Enter the milestone's due date"),
        ({"due_on": "31/02/2026"}, "due_on", "Enter a real date"),
        ({"due_on": "AFTER"}, "due_on", "after the action's own due date"),
    ],
)
def test_a_bad_milestone_is_refused_naming_the_field(
    action, steering, signed_in, changes, field, message
):
    data = {"title": "Trainers booked", "due_on": action.due_on.isoformat(), **changes}
    if data["due_on"] == "AFTER":
        data["due_on"] = (action.due_on + timedelta(days=1)).isoformat()
    response = signed_in(steering).post(
        reverse("governance_staff:milestone_new", args=[action.pk]), data
    )
    assert_error(response, field, message)
    assert not Milestone.objects.exists()
    assert not AuditEntry.objects.filter(action="governance.milestone_added").exists()


def test_a_milestone_cannot_be_done_in_the_future(action, steering, signed_in):
    milestone = services.add_milestone(
        action, {"title": "Trainers booked", "due_on": action.due_on}, by=steering
    )
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = signed_in(steering).post(
        reverse("governance_staff:milestone_done", args=[milestone.pk]),
        {"done_on": tomorrow.isoformat()},
    )
    assert_error(response, "done_on", "cannot be in the future")
    milestone.refresh_from_db()
    assert milestone.done_on is None


def test_milestones_of_another_organisation_answer_404_and_readers_cannot_add(
    action, steering, reader, outsider, signed_in
):
    milestone = services.add_milestone(
        action, {"title": "Trainers booked", "due_on": action.due_on}, by=steering
    )
    outside = signed_in(outsider)
    for url in (
        reverse("governance_staff:milestone_new", args=[action.pk]),
        reverse("governance_staff:milestone_done", args=[milestone.pk]),
    ):
        assert outside.get(url).status_code == 404
        assert outside.post(url, {"title": "x", "due_on": "2026-01-01"}).status_code == 404
    board = signed_in(reader)
    assert board.get(reverse("governance_staff:milestone_new", args=[action.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        services.add_milestone(action, {"title": "x", "due_on": action.due_on}, by=reader)
    assert Milestone.objects.count() == 1


def test_the_board_names_the_next_milestone_and_the_overdue_ones(plan, action, steering, signed_in):
    today = timezone.localdate()
    services.add_milestone(
        action, {"title": "Trainers booked", "due_on": today - timedelta(days=3)}, by=steering
    )
    services.add_milestone(
        action,
        {"title": "Half the wards trained", "due_on": today + timedelta(days=9)},
        by=steering,
    )
    done = services.add_milestone(
        action, {"title": "Plan agreed", "due_on": today - timedelta(days=20)}, by=steering
    )
    services.mark_milestone_done(done, today - timedelta(days=21), by=steering)
    page = html.unescape(
        signed_in(steering).get(reverse("governance_staff:board", args=[plan.pk])).content.decode()
    )
    assert "Next: Half the wards trained, due on" in page
    assert "1 overdue milestone: Trainers booked (due on" in page
    assert "Plan agreed" not in page


# --- Measures -------------------------------------------------------------------------------


MEASURE = {
    "metric_id": "MHA1.people",
    "group": "Black",
    "statistic": "ratio",
    "baseline": "3.5",
    "target": "2",
    "direction": "down",
    "target_on": "2027-03-31",
}


def test_an_editor_links_a_measure_and_it_is_audited(action, steering, signed_in):
    client = signed_in(steering)
    form = client.get(reverse("governance_staff:measure_new", args=[action.pk])).content.decode()
    assert 'value="MHA1.people"' in form and 'value="DQ1"' in form and 'value="Black"' in form
    response = client.post(reverse("governance_staff:measure_new", args=[action.pk]), MEASURE)
    assert response["Location"] == reverse("governance_staff:action", args=[action.pk])
    measure = ActionMeasure.objects.get()
    assert (measure.metric_id, measure.group_scheme, measure.group, measure.statistic) == (
        "MHA1.people",
        "broad",
        "Black",
        "ratio",
    )
    assert (measure.baseline, measure.target, measure.direction) == (3.5, 2.0, "down")
    assert measure.target_on == date(2027, 3, 31)
    entry = AuditEntry.objects.get(action="governance.measure_linked")
    assert entry.changes["metric_id"] == [None, "MHA1.people"] and entry.actor == steering
    page = html.unescape(client.get(response["Location"]).content.decode())
    assert reverse("insights_staff:metric", args=["MHA1.people"]) in page
    assert "No figure yet" in page  # no metric run yet


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"metric_id": "NOPE.1"}, "metric_id", "NOPE.1 is not a metric of the catalogue"),
        ({"metric_id": ""}, "metric_id", "Choose a metric"),
        ({"group": "Martian"}, "group", "Martian is not a group we report"),
        ({"metric_id": "DQ1", "statistic": "value"}, "group", "DQ1 is reported for all people"),
        ({"group": "White"}, "statistic", "has no ratio to White for White"),
        ({"group": ""}, "statistic", "has no ratio to White for all people"),
        ({"target": ""}, "target", "Enter the target"),
        ({"target": "two"}, "target", "Enter a number"),
        ({"baseline": "nan"}, "baseline", "Enter a number"),
        ({"direction": ""}, "direction", "Choose whether lower or higher is better"),
        ({"target_on": "soon"}, "target_on", "Enter a real date"),
    ],
)
def test_a_bad_measure_is_refused_naming_the_field(
    action, steering, signed_in, changes, field, message
):
    response = signed_in(steering).post(
        reverse("governance_staff:measure_new", args=[action.pk]), {**MEASURE, **changes}
    )
    assert_error(response, field, message)
    assert not ActionMeasure.objects.exists()
    assert not AuditEntry.objects.filter(action="governance.measure_linked").exists()


def test_the_service_refuses_an_unknown_metric_and_a_second_copy(action, steering):
    data = {**MEASURE, "baseline": 3.5, "target": 2.0, "target_on": None}
    with pytest.raises(ValidationError) as refused:
        services.link_measure(action, {**data, "metric_id": "MHA9"}, by=steering)
    assert "MHA9 is not a metric of the catalogue" in refused.value.message_dict["metric_id"][0]
    services.link_measure(action, data, by=steering)
    with pytest.raises(ValidationError) as refused:
        services.link_measure(action, data, by=steering)
    assert "already has that measure" in refused.value.message_dict["metric_id"][0]
    assert ActionMeasure.objects.count() == 1


def test_measures_of_another_organisation_answer_404_and_readers_cannot_link(
    action, reader, outsider, signed_in
):
    url = reverse("governance_staff:measure_new", args=[action.pk])
    assert signed_in(outsider).post(url, MEASURE).status_code == 404
    assert signed_in(reader).post(url, MEASURE).status_code == 403
    assert not ActionMeasure.objects.exists()


def test_measures_are_read_from_the_latest_finished_run(
    plan, action, steering, finished_run, signed_in
):
    ratio = services.link_measure(
        action,
        {
            "metric_id": "MHA1.people",
            "group": "Black",
            "statistic": "ratio",
            "baseline": None,
            "target": 0.0001,
            "direction": "down",
        },
        by=steering,
    )
    recording = services.link_measure(
        action,
        {
            "metric_id": "DQ1",
            "group": "",
            "statistic": "value",
            "baseline": 0.0,
            "target": 100.5,
            "direction": "up",
        },
        by=steering,
    )
    missing = services.link_measure(
        action,
        {
            "metric_id": "MHA1.people",
            "group": "Other",
            "statistic": "value",
            "baseline": None,
            "target": 0.0,
            "direction": "down",
        },
        by=steering,
    )
    by_measure = {
        r.measure.pk: r for r in measures.readings(plan.organisation_id, [ratio, recording])
    }

    # The real results, read the way the metric page reads them.
    from pcref.insights.metric_page import read_metric_rows

    every_row = read_metric_rows(finished_run.results_path, "MHA1.people")
    complete = measures.complete_financial_years(every_row)
    assert complete  # the synthetic extract covers whole years
    rows = [
        row
        for row in every_row
        if row["period_type"] == "financial_year"
        and row["period"] in complete
        and (row["organisation"], row["service"], row["group_scheme"], row["group"])
        == ("all", "all", "broad", "Black")
        and row["comparison_group"] == "White"
        and row["ratio"] is not None
    ]
    latest = max(rows, key=lambda row: row["period"])
    earliest = min(rows, key=lambda row: row["period"])
    reading = by_measure[ratio.pk]
    assert reading.current.value == pytest.approx(latest["ratio"])
    assert reading.current.lower == pytest.approx(latest["ratio_lower"])
    assert reading.current.period == latest["period"]
    assert reading.earliest.value == pytest.approx(earliest["ratio"])
    assert reading.movement is movement(latest["ratio"], 0.0001, "down", earliest["ratio"])

    dq = by_measure[recording.pk]
    assert dq.current is not None and 0 < dq.current.value <= 100
    assert dq.movement is Movement.TOWARDS  # above a baseline of 0, below a target of 100.5

    page = html.unescape(
        signed_in(steering)
        .get(reverse("governance_staff:action", args=[action.pk]))
        .content.decode()
    )
    assert f"in {latest['period']}" in page and "95% interval" in page
    board = html.unescape(
        signed_in(steering).get(reverse("governance_staff:board", args=[plan.pk])).content.decode()
    )
    assert str(dq.words) in board and reverse("insights_staff:metric", args=["DQ1"]) in board
    assert missing.pk  # a group with no detentions may have no ratio: never an error


def result_row(period_type, period, value, *, group_scheme="all", group="all", **more):
    return {
        "period_type": period_type,
        "period": period,
        "organisation": "all",
        "service": "all",
        "group_scheme": group_scheme,
        "group": group,
        "value": value,
        "lower": None,
        "upper": None,
        "comparison_group": None,
        "ratio": None,
        "ratio_lower": None,
        "ratio_upper": None,
        **more,
    }


def months(first_year):
    return [f"{first_year}-{m:02d}" for m in range(4, 13)] + [
        f"{first_year + 1}-{m:02d}" for m in range(1, 4)
    ]


def test_a_year_the_extract_only_partly_covers_is_left_out():
    rows = [result_row("month", month, 80.0) for month in months(2023) + months(2024)[:5]]
    rows += [
        result_row("financial_year", "2023/24", 82.0),
        result_row("financial_year", "2024/25", 99.0),  # five months only
        result_row("financial_year", "2022/23", None),  # no figure: never the earliest
    ]
    assert measures.complete_financial_years(rows) == {"2023/24"}
    measure = ActionMeasure(metric_id="DQ1", group_scheme="all", group="", statistic="value")
    latest, earliest = measures.figures(rows, measure)
    assert (latest.period, latest.value) == ("2023/24", 82.0) == (earliest.period, earliest.value)
    # With no complete year, the latest year there is.
    latest, _ = measures.figures(rows[-3:], measure)
    assert (latest.period, latest.value) == ("2024/25", 99.0)
    # With no financial year, the latest month.
    latest, earliest = measures.figures(rows[:17], measure)
    assert (latest.period, earliest.period) == ("August 2024", "April 2023")


def test_a_ratio_is_read_against_white_for_the_group():
    rows = [
        result_row(
            "financial_year",
            "2024/25",
            30.0,
            group_scheme="broad",
            group="Black",
            comparison_group=group,
            ratio=ratio,
            ratio_lower=1.0,
            ratio_upper=5.0,
        )
        for group, ratio in (("White British", 9.0), ("White", 3.2))
    ] + [result_row("financial_year", "2024/25", 10.0)]
    measure = ActionMeasure(
        metric_id="MHA1.people",
        group_scheme="broad",
        group="Black",
        statistic="ratio",
        target=2.0,
        direction="down",
        baseline=3.5,
    )
    reading = measures.read(measure, rows)
    assert (reading.current.value, reading.current.lower) == (3.2, 1.0)
    assert reading.movement is Movement.TOWARDS
    assert reading.current_text == "3.20 (95% interval 1.00 to 5.00) in 2024/25"


def test_staff_of_a_shared_plans_other_organisation_see_measures_without_figures(
    plan, action, trust, other_trust, steering, make_staff, finished_run, signed_in
):
    from pcref.core import services as core_services

    programme = core_services.create_programme("Together", "", [trust, other_trust], by="demo")
    plan.programme = programme
    plan.save()
    services.link_measure(
        action,
        {
            "metric_id": "DQ1",
            "group": "",
            "statistic": "value",
            "baseline": None,
            "target": 95.0,
            "direction": "up",
        },
        by=steering,
    )
    metric_link = reverse("insights_staff:metric", args=["DQ1"])
    own = html.unescape(
        signed_in(steering)
        .get(reverse("governance_staff:action", args=[action.pk]))
        .content.decode()
    )
    assert metric_link in own and "95% interval" in own
    colleague = signed_in(make_staff(other_trust, Role.BOARD_VIEWER))
    for url in (
        reverse("governance_staff:action", args=[action.pk]),
        reverse("governance_staff:board", args=[plan.pk]),
    ):
        page = html.unescape(colleague.get(url).content.decode())
        assert "Ethnicity recorded with a valid national code" in page
        assert metric_link not in page and "95% interval" not in page
        assert f"results of {trust.name}" in page and "shown to its staff only" in page


def test_with_no_run_every_measure_has_no_figure_yet(plan, action, steering):
    measure = services.link_measure(
        action,
        {
            "metric_id": "DQ1",
            "group": "",
            "statistic": "value",
            "baseline": None,
            "target": 95.0,
            "direction": "up",
        },
        by=steering,
    )
    (reading,) = measures.readings(plan.organisation_id, [measure])
    assert reading.movement is Movement.NO_FIGURE and reading.current is None
    assert reading.current_text == "No figure yet"


# --- Themes ---------------------------------------------------------------------------------


def test_an_action_answers_feedback_themes_counted_by_year(
    plan, action, trust, steering, make_staff, give_feedback, signed_in
):
    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER)
    racism, language = a_theme(), a_theme("language_and_interpreters")
    client = signed_in(steering)
    form = client.get(reverse("governance_staff:action_edit", args=[action.pk])).content.decode()
    assert f'value="{racism.pk}"' in form  # active themes offered as checkboxes
    data = {
        "title": action.title,
        "description": action.description,
        "workstream": str(action.workstream_id),
        "owner": str(steering.pk),
        "lead_organisation": str(trust.pk),
        "component": action.component,
        "competency": action.competency,
        "due_on": action.due_on.isoformat(),
        "status": action.status,
        "themes": [str(racism.pk), str(language.pk)],
    }
    response = client.post(reverse("governance_staff:action_edit", args=[action.pk]), data)
    assert response.status_code == 302
    assert set(action.themes.all()) == {racism, language}
    entry = AuditEntry.objects.get(action="governance.action_changed")
    assert entry.changes["themes"] == [[], sorted([racism.key, language.key])]

    # The plan's year is 2025/26: two this year, one the year before, one too old to count.
    for when in (
        dt.datetime(2025, 4, 1, 9),
        dt.datetime(2026, 3, 31, 20),
        dt.datetime(2025, 3, 31, 20),
        dt.datetime(2023, 6, 1, 9),
    ):
        triaged(give_feedback, trust, officer, racism, when)
    give_feedback(
        trust, "prefer-not-to-say", "poor", when=dt.datetime(2025, 6, 1, 9)
    )  # not triaged
    assert queries.theme_counts(plan, [racism, language]) == {
        racism.pk: (2, 1),
        language.pk: (0, 0),
    }
    page = html.unescape(client.get(response["Location"]).content.decode())
    assert racism.name in page and "Year before" in page
    board = html.unescape(
        client.get(reverse("governance_staff:board", args=[plan.pk])).content.decode()
    )
    assert f"Feedback about {racism.name}: 2 in 2025/26, 1 in 2024/25" in board


def test_a_theme_no_longer_in_use_is_refused(plan, steering, add_action):
    theme = a_theme()
    Theme.objects.filter(pk=theme.pk).update(is_active=False)
    theme.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        add_action(themes=[theme])
    assert "themes" in refused.value.message_dict
    assert not DeliveryAction.objects.exists()


# --- Evidence on progress updates -----------------------------------------------------------


@pytest.fixture
def officer(trust, make_staff):
    return make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER)


@pytest.fixture
def entry(trust, officer, give_feedback):
    submission = give_feedback(trust, "prefer-not-to-say", "poor")
    return feedback_services.draft_you_said_we_did(
        organisation=trust,
        submissions=[submission],
        theme=a_theme(),
        service_team=None,
        you_said="Staff did not understand racism on the ward.",
        we_did="We trained every ward team with community partners.",
        by=officer,
    )


def upload(name="register.txt", content=b"Ward 1: trained\n"):
    return SimpleUploadedFile(name, content, content_type="text/plain")


def stored_files(settings):
    folder = settings.GOVERNANCE_DIR
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_an_update_carries_a_file_feedback_and_an_entry_as_evidence(
    plan, action, trust, steering, entry, give_feedback, signed_in, settings
):
    first = give_feedback(trust, "prefer-not-to-say", "poor")
    second = give_feedback(trust, "prefer-not-to-say", "good")
    client = signed_in(steering)
    form = client.get(reverse("governance_staff:progress_new", args=[action.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in form and "We trained every ward team" in form
    response = client.post(
        reverse("governance_staff:progress_new", args=[action.pk]),
        {
            "text": "Four of nine wards trained.",
            "recorded_on": timezone.localdate().isoformat(),
            "file": upload(),
            "feedback_references": f"{first.reference.lower()},\n {second.reference}",
            "you_said_we_did": [str(entry.pk)],
        },
    )
    assert response["Location"] == reverse("governance_staff:action", args=[action.pk])
    update = ProgressUpdate.objects.get()
    assert set(update.feedback_items.all()) == {first, second}
    assert list(update.you_said_we_did.all()) == [entry]
    stored = EvidenceFile.objects.get()
    assert (stored.update, stored.name, stored.uploaded_by) == (update, "register.txt", steering)
    assert stored.size == len(b"Ward 1: trained\n") and len(stored_files(settings)) == 1

    added = AuditEntry.objects.get(action="governance.evidence_file_added")
    assert added.changes["sha256"][1] == stored.sha256
    recorded = AuditEntry.objects.get(action="governance.progress_recorded")
    assert recorded.changes["text"] == "changed"
    assert "Four of nine" not in str(recorded.changes) + str(added.changes)

    page = html.unescape(client.get(response["Location"]).content.decode())
    download = reverse("governance_staff:evidence_file", args=[stored.pk])
    assert download in page and "register.txt" in page
    # A steering member may not open feedback cases or entries: named, without links to 403s.
    assert first.reference in page and "We trained every ward team" in page
    assert reverse("feedback_staff:case", args=[first.pk]) not in page
    assert reverse("feedback_staff:you_said_we_did_review", args=[entry.pk]) not in page

    got = client.get(download)
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"Ward 1: trained\n"
    assert got["Content-Disposition"].startswith("attachment")

    # Never on the public plan page.
    services.publish_plan(plan, by=steering)
    public = html.unescape(client.get(reverse("governance:our_plan")).content.decode())
    assert "Four of nine wards trained." in public
    assert "register.txt" not in public and first.reference not in public
    assert "We trained every ward team" not in public


def test_an_evidence_file_uploaded_by_mistake_is_removed_and_its_update_stays(
    action, steering, reader, outsider, signed_in, django_capture_on_commit_callbacks
):
    update = services.add_progress_update(
        action,
        {"text": "Trained.", "recorded_on": None},
        by=steering,
        uploaded=upload("Jo Bloggs sick note.txt"),
    )
    stored = update.files.get()
    path, storage = stored.file.name, stored.file.storage
    url = reverse("governance_staff:evidence_file_remove", args=[stored.pk])
    assert signed_in(reader).get(url).status_code == 403  # a board viewer reads, never removes
    assert signed_in(outsider).post(url).status_code == 404
    client = signed_in(steering)
    page = client.get(reverse("governance_staff:action", args=[action.pk])).content.decode()
    assert f'href="{url}"' in page
    asked = client.get(url)
    assert asked.status_code == 200 and "Remove evidence file" in asked.content.decode()
    assert storage.exists(path)  # asking removes nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response["Location"] == reverse("governance_staff:action", args=[action.pk])
    assert not EvidenceFile.objects.exists() and not storage.exists(path)
    assert ProgressUpdate.objects.filter(pk=update.pk).exists()  # the update stays
    removed = AuditEntry.objects.get(action="governance.evidence_file_removed")
    assert (removed.target_id, removed.changes["sha256"][0]) == (str(action.pk), stored.sha256)
    assert "Bloggs" not in str(removed.changes)
    assert client.post(url).status_code == 404  # sent twice: gone already


def test_evidence_files_answer_404_to_another_organisation(action, steering, outsider, signed_in):
    update = services.add_progress_update(
        action, {"text": "Trained.", "recorded_on": None}, by=steering, uploaded=upload()
    )
    stored = update.files.get()
    url = reverse("governance_staff:evidence_file", args=[stored.pk])
    assert signed_in(outsider).get(url).status_code == 404
    assert signed_in(steering).get(url).status_code == 200


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"file": "EXE"}, "file", "run.exe is not a kind of file we keep"),
        ({"file": "EMPTY"}, "file", "The file you chose is empty"),
        ({"feedback_references": "FB-NOPE"}, "feedback_references", "FB-NOPE is not a feedback"),
        (
            {"feedback_references": "FB-AAAA-BBBB"},
            "feedback_references",
            "FB-AAAA-BBBB is not feedback",
        ),
        ({"feedback_references": "OTHER"}, "feedback_references", "is not feedback to"),
        ({"you_said_we_did": ["OTHER"]}, "you_said_we_did", "Choose entries from the list"),
        ({"text": ""}, "text", "Describe the progress made"),
    ],
)
def test_bad_evidence_saves_nothing_and_names_the_field(
    action,
    steering,
    other_trust,
    make_staff,
    give_feedback,
    signed_in,
    settings,
    changes,
    field,
    message,
):
    data = {
        "text": "Four of nine wards trained.",
        "recorded_on": timezone.localdate().isoformat(),
        "file": upload(),
        **changes,
    }
    if data["file"] == "EXE":
        data["file"] = upload("run.exe", b"MZ")
    elif data["file"] == "EMPTY":
        data["file"] = upload("empty.txt", b"")
    if data.get("feedback_references") == "OTHER":
        data["feedback_references"] = give_feedback(
            other_trust, "prefer-not-to-say", "poor"
        ).reference
    if data.get("you_said_we_did") == ["OTHER"]:
        other_officer = make_staff(other_trust, Role.PATIENT_EXPERIENCE_OFFICER)
        theirs = feedback_services.draft_you_said_we_did(
            organisation=other_trust,
            submissions=[],
            theme=a_theme(),
            service_team=None,
            you_said="x",
            we_did="y",
            by=other_officer,
        )
        data["you_said_we_did"] = [str(theirs.pk)]
    response = signed_in(steering).post(
        reverse("governance_staff:progress_new", args=[action.pk]), data
    )
    assert_error(response, field, message)
    assert not ProgressUpdate.objects.exists() and not EvidenceFile.objects.exists()
    assert not stored_files(settings)
    assert not AuditEntry.objects.filter(action__startswith="governance.evidence").exists()


def test_the_service_refuses_another_organisations_entry(action, steering, other_trust, make_staff):
    other_officer = make_staff(other_trust, Role.PATIENT_EXPERIENCE_OFFICER)
    theirs = feedback_services.draft_you_said_we_did(
        organisation=other_trust,
        submissions=[],
        theme=a_theme(),
        service_team=None,
        you_said="x",
        we_did="y",
        by=other_officer,
    )
    with pytest.raises(ValidationError) as refused:
        services.add_progress_update(
            action, {"text": "Done.", "you_said_we_did": [theirs]}, by=steering, uploaded=upload()
        )
    assert "you_said_we_did" in refused.value.message_dict
    assert not ProgressUpdate.objects.exists() and not EvidenceFile.objects.exists()
