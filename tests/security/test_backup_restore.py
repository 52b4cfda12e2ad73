"""Backups restore: the demo's database is dumped and restored the way docs/operations.md says,
and every table of the copy has the same rows as the original (count and checksum).

On PostgreSQL: `pg_dump -Fc` of the test database, `pg_restore` into a new database on the same
server, compared table by table, then the new database is dropped. The tools must be of the
server's major version (CI installs PostgreSQL 15: /usr/lib/postgresql/15/bin). On SQLite: the
backup API the docs give for a trial site (`sqlite3.Connection.backup`).
"""

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from pcref.demo import load_everything

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees only committed rows

# Tables the demo fills: a restore that lost any of them would be no restore.
KEY_TABLES = [
    "core_organisation",
    "core_user",
    "core_auditentry",
    "feedback_feedbacksubmission",
    "feedback_triagedecision",
    "feedback_yousaidwedidentry",
    "involvement_involvementregistration",
    "governance_deliveryplan",
]
OPERATIONS = Path(settings.REPO_DIR) / "docs" / "operations.md"


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def differences(before: dict, after: dict) -> list[str]:
    """Tables whose row count or checksum differ, or that one side lacks."""
    return [
        f"{table}: {before.get(table)} != {after.get(table)}"
        for table in sorted(set(before) | set(after))
        if before.get(table) != after.get(table)
    ]


def check_key_tables(fingerprints: dict) -> None:
    empty = [table for table in KEY_TABLES if fingerprints.get(table, (0,))[0] == 0]
    assert not empty, f"the demo left these tables empty, so the test proves nothing: {empty}"


# PostgreSQL ----------------------------------------------------------------------------------


def pg_fingerprints(cursor) -> dict[str, tuple[int, str]]:
    """Each table's row count and the md5 of its rows as text, in a fixed order."""
    cursor.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    tables = [row[0] for row in cursor.fetchall()]
    result = {}
    for table in tables:
        cursor.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
            f'FROM "{table}" AS t'
        )
        count, checksum = cursor.fetchone()
        result[table] = (count, checksum)
    return result


def pg_tool(name: str, server_major: int) -> str:
    """The server's own major version of a client tool (a newer server refuses an older
    pg_dump; Debian's /usr/bin wrapper may pick another installed version)."""
    candidates = [Path(f"/usr/lib/postgresql/{server_major}/bin/{name}")]
    found = shutil.which(name)
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if not candidate.exists():
            continue
        version = subprocess.run(
            [str(candidate), "--version"], capture_output=True, text=True, check=True
        ).stdout
        found_version = re.search(r"\(PostgreSQL\)\s+(\d+)", version)
        if found_version and int(found_version.group(1)) == server_major:
            return str(candidate)
    pytest.skip(f"no {name} of PostgreSQL {server_major} on this machine")


def pg_environment(database: dict) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env.update(
        PGHOST=str(database.get("HOST") or "127.0.0.1"),
        PGPORT=str(database.get("PORT") or 5432),
        PGUSER=str(database.get("USER") or ""),
        PGPASSWORD=str(database.get("PASSWORD") or ""),
    )
    return env


def pg_connect(database: dict, name: str):
    import psycopg

    return psycopg.connect(
        host=database.get("HOST") or "127.0.0.1",
        port=database.get("PORT") or 5432,
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        dbname=name,
        autocommit=True,
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_dump and pg_restore need PostgreSQL"
)
def test_a_pg_dump_restores_into_a_new_database_with_every_row(tmp_path):
    load_everything(insights=False)
    database = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        server_major = int(cursor.fetchone()[0]) // 10000
        original = pg_fingerprints(cursor)
    check_key_tables(original)
    pg_dump, pg_restore = pg_tool("pg_dump", server_major), pg_tool("pg_restore", server_major)
    env = pg_environment(database)

    dump = tmp_path / "pcref.dump"
    subprocess.run(
        [pg_dump, "--format=custom", "--file", str(dump), database["NAME"]],
        env=env,
        check=True,
        capture_output=True,
    )
    assert dump.stat().st_size > 0

    restored = f"{database['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    with pg_connect(database, "postgres") as admin:
        admin.execute(f'CREATE DATABASE "{restored}"')
    try:
        subprocess.run(
            [pg_restore, "--exit-on-error", "--no-owner", "--dbname", restored, str(dump)],
            env=env,
            check=True,
            capture_output=True,
        )
        with pg_connect(database, restored) as copy, copy.cursor() as cursor:
            copied = pg_fingerprints(cursor)
            assert differences(original, copied) == []

            # The copy keeps the audit log's guard: its rows still cannot be deleted.
            import psycopg

            with pytest.raises(psycopg.Error, match="append-only"):
                cursor.execute("DELETE FROM core_auditentry")

            # And the comparison would see a restore that lost or changed a row.
            cursor.execute(
                "UPDATE feedback_feedbacksubmission SET text = text || '.' "
                "WHERE id = (SELECT id FROM feedback_feedbacksubmission LIMIT 1)"
            )
            cursor.execute("DELETE FROM involvement_registrationinterest")
            changed = differences(original, pg_fingerprints(cursor))
            assert [line.split(":")[0] for line in changed] == [
                "feedback_feedbacksubmission",
                "involvement_registrationinterest",
            ]
    finally:
        with pg_connect(database, "postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')


# SQLite --------------------------------------------------------------------------------------


def sqlite_fingerprints(db: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    result = {}
    for table in tables:
        # quote() gives each value as SQL text, whatever converters the connection has.
        columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
        as_text = " || ',' || ".join(f'quote("{column}")' for column in columns)
        rows = sorted(row[0] for row in db.execute(f'SELECT {as_text} FROM "{table}"'))
        result[table] = (len(rows), hashlib.md5("|".join(rows).encode()).hexdigest())  # noqa: S324
    return result


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backup is for SQLite sites")
def test_a_sqlite_backup_copies_every_row(tmp_path):
    load_everything(insights=False)
    connection.ensure_connection()
    source = connection.connection  # the sqlite3.Connection Django uses
    original = sqlite_fingerprints(source)
    check_key_tables(original)

    backup_file = tmp_path / "pcref-backup.sqlite3"
    with sqlite3.connect(backup_file) as target:
        source.backup(target)  # what docs/operations.md tells a trial site to run
    copy = sqlite3.connect(backup_file)
    try:
        assert differences(original, sqlite_fingerprints(copy)) == []
        copy.execute("DELETE FROM involvement_registrationinterest")
        changed = differences(original, sqlite_fingerprints(copy))
        assert [line.split(":")[0] for line in changed] == ["involvement_registrationinterest"]
    finally:
        copy.close()


# The documentation ---------------------------------------------------------------------------


def test_the_operations_guide_lists_every_environment_variable():
    """Every PCREF_* variable the code reads is in docs/operations.md, with DATABASE_URL."""
    source = Path(settings.PACKAGE_DIR)
    names = set()
    for module in (source / "settings.py", source / "paths.py"):
        names |= set(re.findall(r"\"(PCREF_[A-Z0-9_]+)\"", module.read_text()))
    names.add("DATABASE_URL")
    guide = OPERATIONS.read_text()
    missing = sorted(name for name in names if f"`{name}`" not in guide)
    assert not missing, f"docs/operations.md does not list {missing}"
    assert "pg_restore" in guide
    assert "subject_access_export" in guide
    assert "backup(" in guide  # the SQLite backup the test above runs


def test_behind_a_proxy_the_sender_is_read_from_the_proxys_header(settings, rf):
    """Every request reaches the site from the proxy: without the header setting, everyone
    would share one per-address feedback limit."""
    from pcref.feedback.views.public import client_address

    request = rf.post(
        "/feedback/",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_REAL_IP="203.0.113.7",
        HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9",
    )
    settings.CLIENT_ADDRESS_HEADER = ""
    assert client_address(request) == "127.0.0.1"
    settings.CLIENT_ADDRESS_HEADER = "X-Real-IP"
    assert client_address(request) == "203.0.113.7"
    settings.CLIENT_ADDRESS_HEADER = "X-Forwarded-For"  # the last address, which our proxy added
    assert client_address(request) == "203.0.113.9"
    settings.CLIENT_ADDRESS_HEADER = "X-Real-IP"
    assert client_address(rf.post("/feedback/", REMOTE_ADDR="127.0.0.1")) == "127.0.0.1"


def test_retention_also_deletes_old_rate_limit_address_hashes(capsys):
    """`pcref retention` (run daily) keeps the limit's address hashes for a day, not for ever."""
    from datetime import timedelta

    from django.utils import timezone

    from pcref import cli
    from pcref.feedback.models import SubmissionAttempt

    old, recent = SubmissionAttempt.objects.bulk_create(
        [SubmissionAttempt(address_hash="a" * 64), SubmissionAttempt(address_hash="b" * 64)]
    )
    SubmissionAttempt.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    assert cli.main(["retention", "--dry-run"]) == 0
    assert "Would delete 1 rate-limit address hash(es)" in capsys.readouterr().out
    assert SubmissionAttempt.objects.count() == 2
    assert cli.main(["retention"]) == 0
    assert "Deleted 1 rate-limit address hash(es)" in capsys.readouterr().out
    assert list(SubmissionAttempt.objects.values_list("pk", flat=True)) == [recent.pk]


def test_a_rotated_secret_key_keeps_staff_signed_in_only_with_the_old_one_as_a_fallback(
    settings, trust, make_staff, signed_in
):
    """docs/operations.md, rotating secrets: PCREF_SECRET_KEY_FALLBACKS carries sessions over
    (each moves to the new key on its next request); without it everyone signs in again."""
    from django.urls import reverse

    from pcref.core.roles import Role

    old_key, new_key = "old-" + "k" * 60, "new-" + "n" * 60
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = old_key, []
    carried = signed_in(make_staff(trust, Role.ADMINISTRATOR, username="carried"))
    dropped = signed_in(make_staff(trust, Role.ADMINISTRATOR, username="dropped"))
    home = reverse("core_staff:staff_home")
    assert carried.get(home).status_code == 200
    assert dropped.get(home).status_code == 200

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = new_key, [old_key]
    assert carried.get(home).status_code == 200  # still signed in, through the fallback

    settings.SECRET_KEY_FALLBACKS = []
    assert carried.get(home).status_code == 200  # its session now carries the new key
    response = dropped.get(home)  # never seen while the fallback was there
    assert response.status_code == 302
    assert reverse("core_staff:sign_in") in response["Location"]
