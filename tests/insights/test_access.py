"""Who may reach the insights pages, and what each organisation sees."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from pcref.core.roles import Role
from pcref.insights import services
from pcref.insights.models import ExtractUpload, MetricRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def an_upload(analyst, trust):
    upload = ExtractUpload.objects.create(
        organisation=trust,
        uploaded_by=analyst,
        files=[{"name": "mhs001_patients.csv", "bytes": 10}],
        status=ExtractUpload.Status.VALID,
        dataset_number=1,
    )
    run = MetricRun.objects.create(organisation=trust, upload=upload, dataset_number=1)
    return upload, run


def pages(upload, run):
    return [
        reverse("insights_staff:history"),
        reverse("insights_staff:upload_new"),
        reverse("insights_staff:upload", args=[upload.pk]),
        reverse("insights_staff:run", args=[run.pk]),
    ]


@pytest.mark.parametrize("role", [Role.ANALYST, Role.ADMINISTRATOR])
def test_analysts_and_administrators_reach_every_page(
    role, trust, make_staff, signed_in, an_upload
):
    client = signed_in(make_staff(trust, role, username=f"{role}-x"))
    for url in pages(*an_upload):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "role",
    [Role.PATIENT_EXPERIENCE_OFFICER, Role.BOARD_VIEWER, Role.STEERING_GROUP_MEMBER],
)
def test_other_roles_are_refused(role, trust, make_staff, signed_in, an_upload):
    client = signed_in(make_staff(trust, role))
    for url in pages(*an_upload):
        assert client.get(url).status_code in (403, 404), url
    assert client.get(reverse("insights_staff:upload_new")).status_code == 403
    assert client.post(reverse("insights_staff:upload_new"), {}).status_code == 403


def test_a_partner_user_cannot_upload(partner_organisation, make_staff, signed_in):
    partner = make_staff(partner_organisation, Role.PARTNER_USER, Role.ANALYST)
    client = signed_in(partner)
    assert client.get(reverse("insights_staff:upload_new")).status_code == 403
    assert client.post(reverse("insights_staff:upload_new"), {}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.receive_upload([], by=partner)


def test_another_organisation_sees_nothing(other_trust, make_staff, signed_in, an_upload):
    outsider = make_staff(other_trust, Role.ANALYST)
    client = signed_in(outsider)
    upload, run = an_upload
    assert client.get(reverse("insights_staff:upload", args=[upload.pk])).status_code == 404
    assert client.get(reverse("insights_staff:run", args=[run.pk])).status_code == 404
    assert client.get(reverse("insights_staff:report", args=[upload.pk])).status_code == 404
    history = client.get(reverse("insights_staff:history")).content.decode()
    assert "v0001" not in history
    assert not ExtractUpload.objects.visible_to(outsider).exists()
    assert not MetricRun.objects.visible_to(outsider).exists()


def test_the_history_lists_uploads_datasets_and_runs_with_who_and_when(
    analyst, signed_in, an_upload
):
    body = signed_in(analyst).get(reverse("insights_staff:history")).content.decode()
    assert "Dataset version v0001" in body
    assert "Metrics on dataset version v0001" in body
    assert "Test Analyst" in body
    assert "the system" in body or "Waiting to start" in body


def test_the_staff_menu_shows_data_uploads_to_analysts_only(trust, make_staff, signed_in, analyst):
    assert (
        "Data uploads" in signed_in(analyst).get(reverse("core_staff:staff_home")).content.decode()
    )
    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER)
    home = signed_in(officer).get(reverse("core_staff:staff_home")).content.decode()
    assert "Data uploads" not in home


def test_only_analysts_and_administrators_run_metrics_again(
    trust, make_staff, signed_in, an_upload
):
    _upload, run = an_upload
    board = signed_in(make_staff(trust, Role.BOARD_VIEWER))
    assert board.post(reverse("insights_staff:rerun", args=[run.pk])).status_code == 403
    assert MetricRun.objects.count() == 1
