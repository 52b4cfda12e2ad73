"""Staff forms acted on once (`pcref.core.once`): a key is used by the send that saves its work,
and two sends at the same moment make one record."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection, connections

from pcref.core.models import Organisation, SentForm
from pcref.core.once import KEPT_FOR, AlreadySent, once, prune_sent_forms
from pcref.core.roles import Role


@pytest.mark.django_db
def test_a_key_is_used_once_and_not_by_a_send_that_was_refused(trust, make_staff):
    user = make_staff(trust, Role.ADMINISTRATOR)
    key = uuid.uuid4()
    with pytest.raises(ValueError), once(key, by=user):
        Organisation.objects.create(name="Refused", kind=Organisation.Kind.VCSE_PARTNER)
        raise ValueError("the service refused")
    assert not SentForm.objects.exists()
    assert not Organisation.objects.filter(name="Refused").exists()
    with once(key, by=user):
        Organisation.objects.create(name="Made", kind=Organisation.Kind.VCSE_PARTNER)
    with pytest.raises(AlreadySent), once(key, by=user):
        Organisation.objects.create(name="Made", kind=Organisation.Kind.VCSE_PARTNER)
    assert Organisation.objects.filter(name="Made").count() == 1
    with once(None, by=user):  # no key: not guarded
        Organisation.objects.create(name="Unguarded", kind=Organisation.Kind.VCSE_PARTNER)
    assert SentForm.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_the_same_moment_make_one_record(trust, make_staff):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time, so two sends cannot overlap there")
    user = make_staff(trust, Role.ADMINISTRATOR)
    key = uuid.uuid4()
    first_saved, outcomes = threading.Event(), []

    def send(name: str, wait: threading.Event | None) -> None:
        try:
            with once(key, by=user):
                Organisation.objects.create(name=name, kind=Organisation.Kind.VCSE_PARTNER)
                if wait is None:
                    first_saved.set()
                    # Hold the transaction open while the second send tries the same key.
                    threading.Event().wait(1.0)
            outcomes.append(name)
        except AlreadySent:
            outcomes.append("already sent")
        finally:
            connections.close_all()

    first = threading.Thread(target=send, args=("First", None))
    first.start()
    assert first_saved.wait(10)
    second = threading.Thread(target=send, args=("Second", first_saved))
    second.start()
    first.join(20)
    second.join(20)
    assert sorted(outcomes) == ["First", "already sent"]
    assert list(
        Organisation.objects.filter(kind=Organisation.Kind.VCSE_PARTNER).values_list(
            "name", flat=True
        )
    ) == ["First"]


@pytest.mark.django_db
def test_keys_older_than_a_month_are_pruned(trust, make_staff):
    from django.utils import timezone

    user = make_staff(trust, Role.ADMINISTRATOR)
    old, recent = SentForm(key=uuid.uuid4(), sent_by=user), SentForm(key=uuid.uuid4(), sent_by=user)
    old.save(), recent.save()
    SentForm.objects.filter(pk=old.pk).update(
        sent_at=timezone.now() - KEPT_FOR - timedelta(hours=1)
    )
    assert prune_sent_forms(dry_run=True) == 1 and SentForm.objects.count() == 2
    assert prune_sent_forms() == 1
    assert list(SentForm.objects.values_list("key", flat=True)) == [recent.key]
