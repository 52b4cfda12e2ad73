"""The demo loads through the services, twice without change, and the CLI lists its commands."""

import subprocess
import sys

import pytest

from pcref.core.demo import demo_code, demo_usernames, load_demo
from pcref.core.models import AuditEntry, Organisation, Programme, ServiceTeam, User
from pcref.core.roles import Role

pytestmark = pytest.mark.django_db


def test_demo_has_two_trusts_sharing_one_programme_and_every_role():
    people = load_demo()
    programme = Programme.objects.get(name="Together Against Racism")
    trusts = programme.organisations.filter(kind=Organisation.Kind.NHS_TRUST)
    assert trusts.count() == 2
    roles = {role for user in User.objects.all() for role in user.roles}
    assert roles == set(Role)
    assert {person.username for person in people} == set(demo_usernames())
    assert Organisation.objects.filter(kind=Organisation.Kind.VCSE_PARTNER).exists()
    assert ServiceTeam.objects.filter(kind=ServiceTeam.Kind.INPATIENT_WARD).count() >= 2


def test_demo_is_idempotent_and_audited_as_the_demo():
    load_demo()
    counts = (Organisation.objects.count(), ServiceTeam.objects.count(), User.objects.count())
    entries = AuditEntry.objects.count()
    load_demo()
    assert (
        Organisation.objects.count(),
        ServiceTeam.objects.count(),
        User.objects.count(),
    ) == counts
    assert AuditEntry.objects.count() == entries
    assert AuditEntry.objects.filter(system_actor="demo").count() == entries


def test_demo_code_is_a_working_code_for_demo_users_only(client):
    load_demo()
    code = demo_code("admin")
    assert len(code) == 6 and code.isdigit()
    with pytest.raises(LookupError, match="not a demo user"):
        demo_code("someone-else")


def test_pcref_help_lists_the_subcommands():
    result = subprocess.run(
        [sys.executable, "-m", "pcref.cli", "--help"], capture_output=True, text=True, check=True
    )
    commands = ("demo", "demo-code", "add-organisation", "add-staff", "bench", "manage")
    for command in (*commands, "synth", "ingest", "metrics", "feedback", "retention"):
        assert command in result.stdout


def test_demo_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(RuntimeError, match="production"):
        load_demo()
    with pytest.raises(RuntimeError, match="production"):
        demo_code("admin")


def test_cli_adds_an_organisation_and_an_administrator(monkeypatch, capsys):
    from pcref import cli

    assert (
        cli.main(
            ["add-organisation", "--name", "New Trust", "--kind", "nhs_trust", "--ods-code", "rxx"]
        )
        == 0
    )
    assert Organisation.objects.get(ods_code="RXX").name == "New Trust"
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("a-long-first-password-2026\n"))
    code = cli.main(
        [
            "add-staff",
            "first.admin",
            "--organisation",
            "RXX",
            "--email",
            "first.admin@example.nhs.uk",
            "--first-name",
            "First",
            "--last-name",
            "Admin",
            "--role",
            "administrator",
            "--password-stdin",
        ]
    )
    assert code == 0
    admin = User.objects.get(username="first.admin")
    assert admin.check_password("a-long-first-password-2026") and admin.roles == {
        Role.ADMINISTRATOR
    }
    assert AuditEntry.objects.filter(
        action="staff_user.created", system_actor="command-line"
    ).exists()


def test_cli_refuses_bad_input_naming_the_field(capsys):
    from pcref import cli

    assert (
        cli.main(["add-organisation", "--name", "Bad", "--kind", "nhs_trust", "--ods-code", "R-5"])
        == 2
    )
    assert (
        "ods_code" in capsys.readouterr().err
        and not Organisation.objects.filter(name="Bad").exists()
    )
    assert (
        cli.main(
            [
                "add-staff",
                "x",
                "--organisation",
                "NOPE",
                "--email",
                "x@example.nhs.uk",
                "--first-name",
                "X",
                "--last-name",
                "Y",
                "--role",
                "analyst",
            ]
        )
        == 2
    )
    assert "No organisation with ODS code or name 'NOPE'" in capsys.readouterr().err


def test_pcref_bench_runs_the_statistics_benchmark():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pcref.cli",
            "bench",
            "--only",
            "stats",
            "--size",
            "1000",
            "--repeats",
            "1",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert (
        "rate" in result.stdout and "proportion" in result.stdout and "1,000 rows" in result.stdout
    )


def test_pcref_bench_refuses_an_unknown_part(capsys):
    from pcref.cli import main

    assert main(["bench", "--only", "stats,speed"]) == 1
    assert "speed" in capsys.readouterr().err
