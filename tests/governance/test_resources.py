"""The resources page: editors keep the links (add, change, order, show or hide, remove), with
the audit log; bad addresses are refused naming the field; another organisation's link answers
404; the public page /resources/ shows the published links by kind, in every language."""

import json
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from pcref.core.models import AuditEntry
from pcref.core.roles import Role
from pcref.demo import load_everything
from pcref.governance import resources as services
from pcref.governance.models import Resource

pytestmark = pytest.mark.django_db

GUIDANCE = {
    "title": "Patient and carer race equality framework",
    "url": "https://www.england.nhs.uk/mental-health/advancing-mental-health-equalities/pcref/",
    "kind": "national_guidance",
    "description": "What PCREF is and what every trust must do.",
}


def add(organisation, by, **changes) -> Resource:
    return services.add_resource(organisation, {**GUIDANCE, **changes}, by=by)


def public_page(client, language="en") -> str:
    with translation.override(language):
        url = reverse("governance:resources")
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_steering_group_member_adds_a_resource_and_the_public_sees_it(
    client, trust, steering, signed_in
):
    staff = signed_in(steering)
    assert (
        "There are no resources yet"
        in staff.get(reverse("governance_staff:resources")).content.decode()
    )
    assert "will add links to guidance" in public_page(client)
    response = staff.post(reverse("governance_staff:resource_new"), GUIDANCE)
    assert response.status_code == 302
    assert response["Location"] == reverse("governance_staff:resources")
    resource = Resource.objects.get()
    assert (resource.organisation, resource.updated_by, resource.position) == (trust, steering, 0)
    assert resource.is_published
    listed = staff.get(response["Location"]).content.decode()
    assert GUIDANCE["title"] in listed and "Resource added to the public resources page" in listed
    page = public_page(client)
    assert f'<a href="{GUIDANCE["url"]}" rel="external">{GUIDANCE["title"]}</a>' in page
    assert "External website: www.england.nhs.uk" in page
    assert '<h2 id="national_guidance">National guidance</h2>' in page
    entry = AuditEntry.objects.get(action="governance.resource_added")
    assert entry.actor == steering and entry.organisation_id == trust.pk
    assert entry.changes["url"] == [None, GUIDANCE["url"]]
    assert entry.changes["description"] == [None, "changed"]  # free text is never copied
    assert GUIDANCE["description"] not in json.dumps(entry.changes)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://files.example.org/guide.pdf",
        "mailto:someone@example.org",
        "www.england.nhs.uk/pcref",
        "https://",
    ],
)
def test_only_web_addresses_are_accepted_and_the_field_is_named(
    client, trust, steering, signed_in, url
):
    response = signed_in(steering).post(
        reverse("governance_staff:resource_new"), {**GUIDANCE, "url": url}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert 'href="#id_url"' in text  # the error summary links to the field
    assert "Enter an address that starts with https:// or http://" in text
    assert re.search(r'id="id_url-error"', text) or "nhsuk-error-message" in text
    with pytest.raises(ValidationError) as refused:
        add(trust, steering, url=url)
    assert list(refused.value.message_dict) == ["url"]
    assert not Resource.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="governance.resource").exists()
    assert url not in public_page(client)


def test_missing_answers_are_named_and_nothing_is_saved(steering, signed_in):
    response = signed_in(steering).post(reverse("governance_staff:resource_new"), {})
    assert response.status_code == 400
    text = response.content.decode()
    for message in (
        "Enter the title of the resource",
        "Enter the address of the page, like https://www.nhs.uk",
        "Choose what kind of resource this is",
    ):
        assert message in text
    assert not Resource.objects.exists()


def test_a_resource_is_changed_moved_hidden_and_removed_with_audit(
    client, trust, steering, signed_in
):
    first = add(trust, steering, title="First guide", url="https://example.org/first")
    second = add(trust, steering, title="Second guide", url="https://example.org/second")
    third = add(trust, steering, title="Third guide", url="https://example.org/third")
    assert [r.position for r in (first, second, third)] == [0, 1, 2]
    staff = signed_in(steering)

    page = public_page(client)
    assert page.index("First guide") < page.index("Second guide") < page.index("Third guide")
    staff.post(reverse("governance_staff:resource_move", args=[third.pk]), {"direction": "up"})
    page = public_page(client)
    assert page.index("First guide") < page.index("Third guide") < page.index("Second guide")
    staff.post(reverse("governance_staff:resource_move", args=[first.pk]), {"direction": "up"})
    # already first: nothing changes, nothing is logged
    assert AuditEntry.objects.filter(action="governance.resource_moved").count() == 1
    staff.post(reverse("governance_staff:resource_move", args=[first.pk]), {"direction": "down"})
    page = public_page(client)
    assert page.index("Third guide") < page.index("First guide") < page.index("Second guide")
    assert staff.get(reverse("governance_staff:resource_move", args=[first.pk])).status_code == 405

    response = staff.post(
        reverse("governance_staff:resource_edit", args=[second.pk]),
        {
            **GUIDANCE,
            "title": "Easy Read guide",
            "url": "http://example.org/easy",
            "kind": "easy_read",
        },
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert (second.title, second.kind, second.position) == ("Easy Read guide", "easy_read", 0)
    page = public_page(client)
    assert '<h2 id="easy_read">Easy Read documents</h2>' in page
    easy_read = page[page.index('id="easy_read"') :]
    assert "Easy Read guide" in easy_read and ">Easy Read</strong>" in easy_read
    changed = AuditEntry.objects.get(action="governance.resource_changed")
    assert changed.changes["kind"] == ["national_guidance", "easy_read"]
    assert changed.changes["title"] == ["Second guide", "Easy Read guide"]

    staff.post(reverse("governance_staff:resource_publish", args=[first.pk]), {"publish": "0"})
    first.refresh_from_db()
    assert not first.is_published
    assert "First guide" not in public_page(client)
    assert "Hidden" in staff.get(reverse("governance_staff:resources")).content.decode()
    assert AuditEntry.objects.filter(action="governance.resource_hidden").count() == 1
    staff.post(reverse("governance_staff:resource_publish", args=[first.pk]), {"publish": "1"})
    assert "First guide" in public_page(client)
    assert AuditEntry.objects.filter(action="governance.resource_published").count() == 1

    confirm = staff.get(reverse("governance_staff:resource_remove", args=[third.pk]))
    assert confirm.status_code == 200 and "Remove “Third guide”?" in confirm.content.decode()
    assert Resource.objects.filter(pk=third.pk).exists()  # asking first removes nothing
    staff.post(reverse("governance_staff:resource_remove", args=[third.pk]))
    assert not Resource.objects.filter(pk=third.pk).exists()
    assert "Third guide" not in public_page(client)
    removed = AuditEntry.objects.get(action="governance.resource_removed")
    assert removed.target_id == str(third.pk) and removed.actor == steering


@pytest.mark.parametrize("role", [Role.BOARD_VIEWER, Role.ANALYST, Role.PATIENT_EXPERIENCE_OFFICER])
def test_only_editors_of_the_plan_may_edit_the_resources(
    trust, steering, make_staff, signed_in, role
):
    resource = add(trust, steering)
    reader = make_staff(trust, role)
    client = signed_in(reader)
    for url in (
        reverse("governance_staff:resources"),
        reverse("governance_staff:resource_new"),
        reverse("governance_staff:resource_edit", args=[resource.pk]),
        reverse("governance_staff:resource_remove", args=[resource.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("governance_staff:resource_new"), GUIDANCE).status_code == 403
    assert (
        client.post(
            reverse("governance_staff:resource_publish", args=[resource.pk]), {"publish": "0"}
        ).status_code
        == 403
    )
    with pytest.raises(PermissionDenied):
        add(trust, reader, title="Not allowed")
    with pytest.raises(PermissionDenied):
        services.remove_resource(resource, by=reader)
    assert Resource.objects.count() == 1 and Resource.objects.get().is_published
    admin = make_staff(trust, Role.ADMINISTRATOR)
    assert signed_in(admin).get(reverse("governance_staff:resources")).status_code == 200


def test_another_organisation_and_partner_users_get_404_and_change_nothing(
    client, trust, other_trust, partner_organisation, steering, make_staff, signed_in
):
    resource = add(trust, steering)
    other = make_staff(other_trust, Role.STEERING_GROUP_MEMBER)
    partner = make_staff(partner_organisation, Role.PARTNER_USER)
    for user in (other, partner):
        staff = signed_in(user)
        for url in (
            reverse("governance_staff:resource_edit", args=[resource.pk]),
            reverse("governance_staff:resource_remove", args=[resource.pk]),
        ):
            assert staff.get(url).status_code == 404, (user.username, url)
        for url, data in (
            (reverse("governance_staff:resource_edit", args=[resource.pk]), GUIDANCE),
            (reverse("governance_staff:resource_remove", args=[resource.pk]), {}),
            (reverse("governance_staff:resource_move", args=[resource.pk]), {"direction": "up"}),
            (reverse("governance_staff:resource_publish", args=[resource.pk]), {"publish": "0"}),
        ):
            assert staff.post(url, data).status_code == 404, (user.username, url)
        with pytest.raises(PermissionDenied):
            services.set_published(resource, False, by=user)
    # the other trust's steering group keeps its own list, which does not show ours
    listed = signed_in(other).get(reverse("governance_staff:resources"))
    assert listed.status_code == 200 and GUIDANCE["title"] not in listed.content.decode()
    assert signed_in(partner).get(reverse("governance_staff:resources")).status_code == 403
    resource.refresh_from_db()
    assert resource.is_published and resource.title == GUIDANCE["title"]
    assert (
        not AuditEntry.objects.exclude(actor=steering)
        .filter(action__startswith="governance.resource")
        .exists()
    )


def test_the_public_page_shows_only_the_public_trusts_published_links(
    client, trust, other_trust, steering, make_staff
):
    add(trust, steering, title="Our published guide", url="https://example.org/ours")
    hidden = add(trust, steering, title="Our hidden guide", url="https://example.org/hidden")
    services.set_published(hidden, False, by=steering)
    other = make_staff(other_trust, Role.STEERING_GROUP_MEMBER)
    add(other_trust, other, title="Their guide", url="https://example.org/theirs")
    page = public_page(client)
    assert "Our published guide" in page
    assert "Our hidden guide" not in page and "Their guide" not in page


def test_the_public_page_is_translated_and_right_to_left_in_urdu(client, trust, steering):
    add(trust, steering)
    add(trust, steering, title="Easy Read leaflet", url="https://example.org/er", kind="easy_read")
    page = public_page(client, "ur")
    assert re.search(r"<html[^>]*>", page).group() == '<html lang="ur" dir="rtl">'
    assert GUIDANCE["title"] in page and "Easy Read leaflet" in page
    assert "Skip to main content" not in page  # the page's frame is in Urdu
    english = public_page(client)
    for heading in ("National guidance", "Easy Read documents"):
        assert heading in english


def test_the_page_is_linked_from_the_plan_about_pcref_and_the_staff_plans(
    client, trust, steering, signed_in
):
    link = f'href="{reverse("governance:resources")}"'
    assert link in client.get(reverse("governance:our_plan")).content.decode()
    assert link in client.get(reverse("core:about_pcref")).content.decode()
    plans = signed_in(steering).get(reverse("governance_staff:plans")).content.decode()
    assert f'href="{reverse("governance_staff:resources")}"' in plans


def test_the_demo_loads_real_links_once():
    load_everything(insights=False)
    load_everything(insights=False)
    links = list(Resource.objects.all())
    assert 6 <= len(links) <= 8
    assert {r.kind for r in links} == set(Resource.Kind.values)
    assert all(r.url.startswith("https://") for r in links)
    assert any("england.nhs.uk" in r.url and "pcref" in r.url for r in links)
    assert AuditEntry.objects.filter(action="governance.resource_added").count() == len(links)
