"""The audit trail: every change through a service is recorded, and nothing can rewrite it."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from pcref.core import audit, services
from pcref.core.models import AuditEntry, Organisation, ServiceTeam
from pcref.core.roles import Role

pytestmark = pytest.mark.django_db


def latest(action):
    return AuditEntry.objects.filter(action=action).latest("occurred_at")


def test_every_core_service_writes_an_entry_with_its_actor(trust, make_staff):
    admin = make_staff(trust, Role.ADMINISTRATOR)
    services.update_organisation(trust, {"patient_experience_phone": "0116 111 2222"}, by=admin)
    entry = latest("organisation.updated")
    assert entry.actor == admin and entry.actor_label == admin.username
    assert entry.target_id == str(trust.pk) and entry.organisation_id == trust.pk
    assert entry.changes == {"patient_experience_phone": ["", "0116 111 2222"]}

    team = services.add_service_team(trust, {"name": "Crisis Team", "kind": "crisis"}, by=admin)
    assert latest("service_team.created").changes["name"] == [None, "Crisis Team"]
    services.update_service_team(team, {"name": "Crisis Team", "is_active": False}, by=admin)
    assert latest("service_team.updated").changes == {"is_active": [True, False]}

    person = services.create_staff_user(
        trust,
        username="new.person",
        email="new.person@example.nhs.uk",
        first_name="New",
        last_name="Person",
        roles=[Role.ANALYST],
        password=None,
        by=admin,
    )
    created = latest("staff_user.created")
    assert created.changes["roles"] == [None, ["analyst"]]
    services.set_roles(person, [Role.ANALYST, Role.BOARD_VIEWER], by=admin)
    assert latest("staff_user.roles_changed").changes == {
        "roles": [["analyst"], ["analyst", "board_viewer"]]
    }
    services.set_active(person, False, by=admin)
    assert latest("staff_user.deactivated").changes == {"is_active": [True, False]}
    programme = services.create_programme("Joint programme", "", [trust], by="demo")
    entry = latest("programme.created")
    assert (
        entry.actor is None and entry.system_actor == "demo" and entry.actor_label == "system:demo"
    )
    assert entry.target_id == str(programme.pk)


def test_personal_values_are_masked_and_only_changes_are_kept(trust, make_staff):
    admin = make_staff(trust, Role.ADMINISTRATOR)
    services.create_staff_user(
        trust,
        username="masked",
        email="secret.person@example.nhs.uk",
        first_name="Secret",
        last_name="Person",
        roles=[],
        password=None,
        by=admin,
    )
    entry = latest("staff_user.created")
    assert entry.target_label == "masked"  # the username, never the person's name
    changes = entry.changes
    assert changes["email"] == changes["first_name"] == changes["last_name"] == audit.MASK
    assert "secret" not in str(changes).lower()
    services.update_organisation(trust, {"name": trust.name, "ods_code": "RT5"}, by=admin)
    assert latest("organisation.updated").changes == {}


def test_a_change_that_fails_validation_saves_nothing_and_records_nothing(trust, make_staff):
    admin = make_staff(trust, Role.ADMINISTRATOR)
    before = AuditEntry.objects.count()
    with pytest.raises(Exception) as error:
        services.update_organisation(trust, {"ods_code": "not an ods code"}, by=admin)
    assert "not an ods code" in str(error.value)
    trust.refresh_from_db()
    assert trust.ods_code == "RT5"
    assert AuditEntry.objects.count() == before


def test_audit_needs_a_person_or_a_named_system_process(trust):
    with pytest.raises(ValueError, match="unknown system actor 'someone'"):
        audit.record(action="x", by="someone")
    with pytest.raises(ValueError, match="saved user"):
        audit.record(action="x", by=None)


def test_entries_cannot_be_updated_or_deleted_by_the_app(trust):
    entry = AuditEntry.objects.filter(target_id=str(trust.pk)).first()
    entry.action = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="rewritten")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "organisation.created"


def test_the_database_refuses_updates_to_entries(trust):
    entry = AuditEntry.objects.filter(target_id=str(trust.pk)).first()
    table = AuditEntry._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET action = 'rewritten' WHERE id = %s", [entry.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "organisation.created"


def _all_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _all_patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def test_no_address_can_change_or_delete_an_audit_entry(trust, make_staff, signed_in):
    """The only audit page reads; no view in the project is given an audit entry to change."""
    audit_views = [
        route for route, pattern in _all_patterns() if "audit" in route or "audit" in pattern.name
    ]
    assert audit_views == ["staff/audit/"]
    admin = make_staff(trust, Role.ADMINISTRATOR)
    client = signed_in(admin)
    count = AuditEntry.objects.count()
    for method in (client.post, client.put, client.patch, client.delete):
        assert method(reverse("core_staff:audit_log"), {"action": "x"}).status_code == 405
    assert AuditEntry.objects.count() == count


def test_administrator_can_search_the_audit_log(trust, make_staff, signed_in):
    admin = make_staff(trust, Role.ADMINISTRATOR)
    services.add_service_team(trust, {"name": "Belvoir Ward", "kind": "inpatient_ward"}, by=admin)
    client = signed_in(admin)
    page = client.get(
        reverse("core_staff:audit_log"), {"action": "service_team", "who": admin.username}
    )
    text = page.content.decode()
    assert "service_team.created" in text and "Belvoir Ward" in text
    assert "organisation.created" not in text
    empty = client.get(reverse("core_staff:audit_log"), {"record": "no such record"})
    assert "0 entries" in empty.content.decode()
    for dates, said in (
        ({"date_from": "2026-11-27", "date_to": "2026-01-01"}, "same as or after the From"),
        ({"date_from": "2026-02-31"}, "Enter a valid date"),
    ):
        refused = client.get(reverse("core_staff:audit_log"), dates).content.decode()
        assert said in refused and "0 entries" in refused, dates  # not every entry listed


def test_audit_log_shows_only_the_administrators_own_organisation(
    trust, other_trust, make_staff, signed_in
):
    services.add_service_team(
        other_trust, {"name": "Their Ward", "kind": "inpatient_ward"}, by="demo"
    )
    admin = make_staff(trust, Role.ADMINISTRATOR)
    text = signed_in(admin).get(reverse("core_staff:audit_log")).content.decode()
    assert "Their Ward" not in text
    assert ServiceTeam.objects.filter(name="Their Ward").exists()
    assert Organisation.objects.count() == 2
