"""The public plan page /our-plan/: shown only once published, progress in words, no names;
publishing and unpublishing: who may, and the audit log."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation

from pcref.core.models import AuditEntry, User
from pcref.core.roles import Role
from pcref.demo import load_everything
from pcref.governance import services
from pcref.governance.models import DeliveryPlan

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def page(client) -> str:
    response = client.get(reverse("governance:our_plan"))
    assert response.status_code == 200
    return response.content.decode()


def test_an_unpublished_plan_is_not_shown(client, plan, add_action):
    add_action(title="Cultural awareness training for ward staff")
    content = page(client)
    assert "will be published here" in content
    assert "Cultural awareness training" not in content and plan.title not in content


def test_a_steering_group_member_publishes_and_unpublishes_with_audit(
    client, plan, steering, signed_in, add_action
):
    add_action()
    staff = signed_in(steering)
    url = reverse("governance_staff:plan_publish", args=[plan.pk])
    assert staff.get(url).status_code == 405  # a POST only
    response = staff.post(url, {"publish": "1"})
    assert response["Location"] == reverse("governance_staff:plan", args=[plan.pk])
    plan.refresh_from_db()
    assert plan.published_at is not None and plan.published_by == steering
    assert "Published on the public website" in staff.get(response["Location"]).content.decode()
    assert "Cultural awareness training for ward staff" in page(client)
    entry = AuditEntry.objects.get(action="governance.plan_published")
    assert entry.actor == steering and entry.organisation_id == plan.organisation_id
    staff.post(url, {"publish": "1"})  # already published: nothing changes, nothing logged
    assert AuditEntry.objects.filter(action="governance.plan_published").count() == 1
    staff.post(url, {"publish": "0"})
    plan.refresh_from_db()
    assert plan.published_at is None and plan.published_by is None
    assert AuditEntry.objects.filter(action="governance.plan_unpublished").count() == 1
    assert "will be published here" in page(client)


@pytest.mark.parametrize("role", [Role.BOARD_VIEWER, Role.ANALYST])
def test_readers_may_not_publish(plan, trust, make_staff, signed_in, role):
    reader = make_staff(trust, role)
    response = signed_in(reader).post(
        reverse("governance_staff:plan_publish", args=[plan.pk]), {"publish": "1"}
    )
    assert response.status_code == 403
    assert "Publish" not in signed_in(reader).get(
        reverse("governance_staff:plan", args=[plan.pk])
    ).content.decode().replace("Published", "")
    with pytest.raises(PermissionDenied):
        services.publish_plan(plan, by=reader)
    assert DeliveryPlan.objects.get().published_at is None
    assert not AuditEntry.objects.filter(action="governance.plan_published").exists()


def test_another_trusts_steering_group_may_not_publish(plan, other_trust, make_staff, signed_in):
    other = make_staff(other_trust, Role.STEERING_GROUP_MEMBER)
    url = reverse("governance_staff:plan_publish", args=[plan.pk])
    assert signed_in(other).post(url, {"publish": "1"}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.publish_plan(plan, by=other)


def test_the_page_shows_progress_in_words_and_a_summary_per_workstream(
    client, plan, steering, add_action
):
    today = timezone.localdate()
    add_action(title="Done action", status="complete", due_on=today - timedelta(days=3))
    add_action(title="On track action")
    late = add_action(title="Behind action", due_on=today - timedelta(days=1))
    services.add_progress_update(
        late, {"text": "Waiting for the venue.", "recorded_on": today}, by=steering
    )
    overridden = add_action(title="Overridden action")
    services.override_rag(overridden, "amber", "The trainer has left.", by=steering)
    services.publish_plan(plan, by=steering)
    content = page(client)
    assert "4 actions: 1 done, 1 on track, 1 at risk, 1 behind" in content
    for title, words in [
        ("Done action", "Done"),
        ("On track action", "On track"),
        ("Behind action", "Behind"),
        ("Overridden action", "At risk"),  # the override counts
    ]:
        section = content.split(f"<h3>{title}</h3>")[1].split("</dl>")[0]
        assert f">{words}</strong>" in section, title
    assert "Waiting for the venue." in content
    assert "The trainer has left." not in content  # the override's reason is for staff
    assert "Approved by Transformation and Quality Improvement Committee" in content
    assert steering.last_name not in content and steering.email not in content


def test_the_demo_plan_is_published_with_no_names_or_emails(client):
    load_everything(insights=False)
    plan = DeliveryPlan.objects.get(year="2025/26")
    assert plan.published_at is not None
    assert AuditEntry.objects.filter(action="governance.plan_published").count() == 1
    content = page(client)
    assert plan.title in content and "Behind" in content and "Done" in content
    owners = User.objects.filter(owned_delivery_actions__workstream__plan=plan).distinct()
    assert owners.count() >= 4
    for owner in owners:
        for detail in (owner.get_full_name(), owner.last_name, owner.email):
            assert detail and detail not in content, detail


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_published_plan_renders_in_every_language(client, plan, steering, add_action, language):
    add_action()
    services.publish_plan(plan, by=steering)
    with translation.override(language):
        url = reverse("governance:our_plan")
    response = client.get(url)
    assert response.status_code == 200
    assert "Cultural awareness training for ward staff" in response.content.decode()
