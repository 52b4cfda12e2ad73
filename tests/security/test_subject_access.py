"""Subject access requests: `pcref manage subject_access_export` gives one person's feedback,
or one involvement register entry, as JSON: all of theirs, nothing of anyone else's."""

import json
import stat
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from pcref import cli
from pcref.core.models import AuditEntry
from pcref.core.roles import Role
from pcref.feedback import services as feedback
from pcref.feedback.models import Theme
from pcref.involvement import services as involvement


def give_feedback(trust, *, text, name, email, cultural_needs=""):
    return feedback.receive_feedback(
        {
            "respondent_type": "carer",
            "text": text,
            "cultural_needs": cultural_needs,
            "overall_experience": "poor",
            "ethnic_group": "asian-indian",
            "wants_reply": True,
            "name": name,
            "email": email,
            "preferred_method": "email",
            "consent": True,
        },
        organisation=trust,
        channel="online",
        interface_language="gu",
        by="public-form",
    )


@pytest.fixture
def two_people(trust, make_staff):
    """Two people's feedback, both triaged, replied to, with actions; one "You said, we did"
    entry made from both."""
    feedback.sync_themes()
    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER, username="officer")
    mine = give_feedback(
        trust,
        text="Nobody on the ward could speak Gujarati with my mother.",
        name="Priya Mistry",
        email="priya@example.com",
        cultural_needs="A Gujarati interpreter at every ward round",
    )
    theirs = give_feedback(
        trust,
        text="The crisis line kept me waiting for an hour.",
        name="Kwame Mensah",
        email="kwame@example.com",
    )
    theme = Theme.objects.filter(is_active=True).order_by("key").first()
    for submission, reply, action in (
        (mine, "Thank you, Priya: we have booked interpreters.", "Book interpreters"),
        (theirs, "Thank you, Kwame: we are adding call handlers.", "Add call handlers"),
    ):
        feedback.confirm_triage(
            submission,
            {
                "themes": [theme],
                "sentiment": "negative",
                "safeguarding": False,
                "formal_complaint": False,
            },
            by=officer,
        )
        feedback.send_reply(submission, body=reply, by=officer)
        feedback.add_action(
            submission, description=action, owner=officer, due_date=date(2026, 6, 1), by=officer
        )
    feedback.draft_you_said_we_did(
        organisation=trust,
        submissions=[mine, theirs],
        theme=theme,
        service_team=None,
        you_said="People told us they could not talk with staff in their own language.",
        we_did="We now book an interpreter for every ward round.",
        by=officer,
    )
    return mine, theirs


def export(reference, tmp_path, name="export.json"):
    out = tmp_path / name
    call_command("subject_access_export", "--reference", reference, "--out", str(out))
    return json.loads(out.read_text(encoding="utf-8")), out


@pytest.mark.django_db
def test_the_export_holds_that_persons_feedback_and_nothing_of_another(two_people, tmp_path):
    mine, theirs = two_people
    data, out = export(mine.reference.lower(), tmp_path)  # as read out on the phone

    assert data["reference"] == mine.reference
    assert data["feedback"]["text"] == mine.text
    assert data["feedback"]["cultural_needs"] == "A Gujarati interpreter at every ward round"
    assert data["feedback"]["ethnicity_as_given"] == "asian-indian"
    assert data["feedback"]["interface_language"] == "gu"
    assert data["contact_details"]["name"] == "Priya Mistry"
    assert data["contact_details"]["email"] == "priya@example.com"
    assert [reply["body"] for reply in data["replies"]] == [
        "Thank you, Priya: we have booked interpreters."
    ]
    assert [action["action"] for action in data["follow_up_actions"]] == ["Book interpreters"]
    assert len(data["themes"]) == 1
    assert (
        data["you_said_we_did"][0]["we_did"] == "We now book an interpreter for every ward round."
    )
    actions = [entry["action"] for entry in data["audit_trail"]]
    assert actions[0] == "feedback.received"
    assert {"feedback.triage_confirmed", "feedback.replied", "feedback.action_added"} <= set(
        actions
    )
    assert {entry["by"] for entry in data["audit_trail"]} <= {"staff", "system:public-form"}

    text = out.read_text(encoding="utf-8")
    for other in ("Kwame", "kwame@example.com", "crisis line", "call handlers", theirs.reference):
        assert other not in text, f"{other!r} belongs to someone else"
    assert "officer" not in text  # staff are not named
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


@pytest.mark.django_db
def test_each_export_is_audited_as_made_from_the_command_line(two_people, tmp_path):
    mine, _theirs = two_people
    export(mine.reference, tmp_path)
    entry = AuditEntry.objects.get(action="feedback.subject_access_exported")
    assert entry.system_actor == "command-line"
    assert entry.target_id == str(mine.pk)
    assert "Priya" not in json.dumps([entry.changes, entry.context])


@pytest.mark.django_db
def test_contact_details_deleted_by_retention_are_not_in_the_export(two_people, tmp_path):
    mine, _theirs = two_people
    mine.contact_details.delete()
    data, out = export(mine.reference, tmp_path)
    assert data["contact_details"] is None
    assert "priya@example.com" not in out.read_text(encoding="utf-8")


@pytest.mark.django_db
def test_an_unknown_reference_is_a_clear_error_and_a_failing_exit(
    trust, tmp_path, capsys, monkeypatch
):
    with pytest.raises(CommandError, match="No feedback has the reference FB-ZZZZ-ZZZZ"):
        call_command("subject_access_export", "--reference", "FB-ZZZZ-ZZZZ")
    with pytest.raises(CommandError, match="not a feedback reference"):
        call_command("subject_access_export", "--reference", "Robert'); DROP TABLE")
    with pytest.raises(CommandError, match="No involvement register entry"):
        call_command("subject_access_export", "--reference", "IR-00000000")

    out = tmp_path / "none.json"
    argv = ["manage", "subject_access_export", "--reference", "FB-ZZZZ-ZZZZ", "--out", str(out)]
    # Django closes every connection after a command line; the test's transaction needs its own.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code != 0
    assert "No feedback has the reference FB-ZZZZ-ZZZZ" in capsys.readouterr().err
    assert not out.exists()
    assert not AuditEntry.objects.filter(action__endswith="subject_access_exported").exists()


@pytest.mark.django_db
def test_an_existing_file_is_never_overwritten(two_people, tmp_path):
    mine, _theirs = two_people
    out = tmp_path / "export.json"
    out.write_text("keep me")
    with pytest.raises(CommandError, match="exists already"):
        call_command("subject_access_export", "--reference", mine.reference, "--out", str(out))
    assert out.read_text() == "keep me"


REGISTER_ANSWERS = {
    "interests": ["steering_group", "events"],
    "ethnic_group": "black-african",
    "consent": True,
}


@pytest.mark.django_db
def test_an_involvement_register_entry_exports_that_person_only(trust, make_staff, tmp_path):
    steering = make_staff(trust, Role.STEERING_GROUP_MEMBER, username="steering")
    amara, _ = involvement.sign_up(
        {
            **REGISTER_ANSWERS,
            "name": "Amara Okafor",
            "email": "amara@example.com",
            "access_needs": "Yoruba interpreter",
        },
        organisation=trust,
        interface_language="en",
    )
    other, _ = involvement.sign_up(
        {**REGISTER_ANSWERS, "name": "Tomasz Nowak", "email": "tomasz@example.com"},
        organisation=trust,
        interface_language="pl",
    )
    opportunity = involvement.add_opportunity(
        {
            "title": "Review the crisis leaflet",
            "description": "Read and comment on the new leaflet.",
            "kind": "review_documents",
            "takes_place_on": date(2026, 5, 1),
        },
        organisation=trust,
        by=steering,
    )
    involvement.invite(opportunity, [amara, other], by=steering)

    data, out = export(amara.reference, tmp_path)
    assert data["kind"] == "involvement_registration"
    assert data["reference"] == amara.reference
    assert data["registration"]["name"] == "Amara Okafor"
    assert data["registration"]["access_needs"] == "Yoruba interpreter"
    assert data["interests"] == ["events", "steering_group"]
    assert data["opportunities"] == [
        {"title": "Review the crisis leaflet", "date": "2026-05-01", "status": "invited"}
    ]
    assert [entry["action"] for entry in data["audit_trail"]] == ["involvement.signed_up"]
    assert [entry["action"] for entry in data["audit_trail_of_opportunities"]] == [
        "involvement.invited"
    ]
    text = out.read_text(encoding="utf-8")
    for someone_else in ("Tomasz", "tomasz@example.com", other.reference):
        assert someone_else not in text
    assert AuditEntry.objects.filter(
        action="involvement.subject_access_exported", target_id=str(amara.pk)
    ).exists()

    involvement.withdraw(amara, by="public-form")
    data, out = export(amara.reference, tmp_path, name="after-withdrawal.json")
    assert data["personal_details_deleted"] is True
    assert "Amara" not in out.read_text(encoding="utf-8")
