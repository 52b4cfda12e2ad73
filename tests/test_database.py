"""The suite runs on the database DATABASE_URL names: CI proves PostgreSQL this way."""

import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_tests_run_on_the_configured_database():
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected
