"""Production settings (issue #8, hardening): `manage.py check --deploy` is clean; cookies are
secure and HSTS is sent; the secret key comes only from the environment and the site refuses
to start without it; every dependency is pinned.

Production settings are read once, at start-up, from the environment (pcref.settings), so
each check runs in its own process with production's variables (docs/configuration.md)."""

import json
import os
import re
import secrets
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from pcref.paths import REPO_DIR

HOST = "pcref.example.nhs.uk"


def production_environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    """This process's environment without any PCREF_ setting of its own (or its database),
    plus what production needs: PCREF_ENV, a secret key, the host names and a database."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not (name.startswith("PCREF_") and name != "PCREF_NODE_MODULES")
        and name not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "pcref.settings",
            "PCREF_ENV": "production",
            "PCREF_SECRET_KEY": secrets.token_urlsafe(50),
            "PCREF_ALLOWED_HOSTS": HOST,
            "PCREF_CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
            "PCREF_VAR_DIR": str(tmp_path / "var"),
            # the checks and the probe need no server: SQLite whatever the tests run on
            "DATABASE_URL": "sqlite://:memory:",
        }
    )
    environment.update(variables)
    return environment


def run(arguments: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *arguments],
        env=environment,
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        timeout=180,
    )


def check_deploy(environment) -> subprocess.CompletedProcess:
    return run(
        ["-m", "pcref.cli", "manage", "check", "--deploy", "--fail-level", "WARNING"], environment
    )


def test_check_deploy_is_clean_in_production(tmp_path):
    result = check_deploy(production_environment(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("variables", "warning"),
    [
        ({"PCREF_DEBUG": "true"}, "security.W018"),  # DEBUG on
        ({"PCREF_SECRET_KEY": "too-short"}, "security.W009"),  # a weak key
        ({"PCREF_SSL_REDIRECT": "false"}, "security.W008"),  # plain HTTP answered
    ],
    ids=["debug", "weak-key", "no-https-redirect"],
)
def test_check_deploy_fails_on_an_unsafe_production_setting(tmp_path, variables, warning):
    """The check above can fail: each unsafe setting is a warning, and warnings fail it."""
    result = check_deploy(production_environment(tmp_path, **variables))
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


@pytest.mark.parametrize("secret", [None, ""], ids=["unset", "empty"])
def test_production_refuses_to_start_without_a_secret_key(tmp_path, secret):
    environment = production_environment(tmp_path)
    del environment["PCREF_SECRET_KEY"]
    if secret is not None:
        environment["PCREF_SECRET_KEY"] = secret
    result = run(["-c", "import django; django.setup()"], environment)
    assert result.returncode != 0
    assert "ImproperlyConfigured: PCREF_SECRET_KEY must be set in production" in result.stderr


# Run in production's process: its settings as JSON, then real requests through every
# middleware, as a reverse proxy passes them on (X-Forwarded-Proto).
PROBE = """
import json
import django

django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings

from pcref.core import services

found = {
    name: getattr(settings, name, None)
    for name in (
        "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY",
        "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_CONTENT_TYPE_NOSNIFF",
        "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS",
        "OIDC_RP_CLIENT_SECRET",
    )
}
found["SECURE_PROXY_SSL_HEADER"] = list(found["SECURE_PROXY_SSL_HEADER"] or [])
found["MIDDLEWARE"] = settings.MIDDLEWARE

call_command("migrate", verbosity=0)
services.create_organisation(
    {"name": "Test Trust", "kind": "nhs_trust", "ods_code": settings.TRUST_ODS_CODE}, by="demo"
)
# Production serves collected, hashed static files; collecting them all takes a minute, so
# the pages here name their files without the manifest. Nothing else is changed.
plain_files = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
with override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain_files}):
    http = Client(HTTP_HOST="%(host)s").get("/feedback/")
    found["http"] = {"status": http.status_code, "location": http.get("Location")}
    browser = Client(HTTP_HOST="%(host)s", HTTP_X_FORWARDED_PROTO="https")
    found["pages"] = {}
    for url in ("/feedback/", "/feedback/who/", "/staff/sign-in/"):
        response = browser.get(url)
        found["pages"][url] = {"status": response.status_code, "headers": dict(response.headers)}
    answer = browser.post("/feedback/who/", {"respondent_type": "carer"})  # kept in the session
    found["answer"] = {"status": answer.status_code, "location": answer.get("Location")}
    found["cookies"] = {
        name: {
            "secure": bool(morsel["secure"]),
            "httponly": bool(morsel["httponly"]),
            "samesite": morsel["samesite"],
        }
        for name, morsel in browser.cookies.items()
    }
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """What production's settings and responses are, from a process of its own."""
    tmp_path = tmp_path_factory.mktemp("production")
    environment = production_environment(
        tmp_path,
        PCREF_EMAIL_HOST_PASSWORD="mail-secret-from-the-environment",
        PCREF_OIDC_CLIENT_ID="pcref-hub",
        PCREF_OIDC_CLIENT_SECRET="oidc-secret-from-the-environment",
    )
    result = run(["-c", PROBE % {"host": HOST}], environment)
    assert result.returncode == 0, result.stderr
    return environment, json.loads(result.stdout.strip().splitlines()[-1])


def test_secrets_come_from_the_environment(production):
    environment, found = production
    assert found["DEBUG"] is False
    assert found["SECRET_KEY"] == environment["PCREF_SECRET_KEY"]
    assert found["EMAIL_HOST_PASSWORD"] == environment["PCREF_EMAIL_HOST_PASSWORD"]
    assert found["OIDC_RP_CLIENT_SECRET"] == environment["PCREF_OIDC_CLIENT_SECRET"]
    assert found["ALLOWED_HOSTS"] == [HOST]
    # the development key in settings.py is never production's
    assert "development-only" not in found["SECRET_KEY"]


def test_production_settings_are_secure(production):
    _environment, found = production
    assert found["SESSION_COOKIE_SECURE"] is True
    assert found["CSRF_COOKIE_SECURE"] is True
    assert found["SESSION_COOKIE_HTTPONLY"] is True
    assert found["CSRF_COOKIE_HTTPONLY"] is True
    assert found["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert found["SECURE_SSL_REDIRECT"] is True
    assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert found["SECURE_HSTS_SECONDS"] >= 31536000  # a year
    assert found["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert found["SECURE_HSTS_PRELOAD"] is True
    assert found["EMAIL_USE_TLS"] is True
    assert "pcref.core.security.SecurityHeadersMiddleware" in found["MIDDLEWARE"]


def test_production_redirects_plain_http_to_https(production):
    _environment, found = production
    assert found["http"]["status"] == 301
    assert found["http"]["location"] == f"https://{HOST}/feedback/"


def test_production_pages_send_hsts_and_the_policy(production):
    _environment, found = production
    for url, page in found["pages"].items():
        assert page["status"] == 200, url
        headers = page["headers"]
        assert (
            headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        ), url
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self' 'nonce-" in policy, url
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
        assert "frame-ancestors 'none'" in policy, url
        assert "camera=()" in headers["Permissions-Policy"], url
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin", url
        assert headers["Referrer-Policy"] == "same-origin", url
        assert headers["X-Frame-Options"] == "DENY", url
        assert headers["X-Content-Type-Options"] == "nosniff", url


def test_production_cookies_are_secure(production):
    """The real Set-Cookie headers: the session (the feedback journey keeps its answers in
    it) and the CSRF token (its forms), each Secure, HttpOnly and SameSite=Lax."""
    _environment, found = production
    assert found["answer"]["status"] == 302, found["answer"]  # on to the next question
    assert set(found["cookies"]) == {"sessionid", "csrftoken"}
    for name, cookie in found["cookies"].items():
        assert cookie == {"secure": True, "httponly": True, "samesite": "Lax"}, name


# Dependencies: `make` installs from the locks, which `make lock` writes from pyproject.toml.
REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)((?: --hash=\S+)*)$")
HASH = re.compile(r"sha256:[0-9a-f]{64}")
LOCKS = ("requirements.lock", "requirements-dev.lock")


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(name: str) -> dict[str, str]:
    """The lock's packages and versions; every requirement must be `name==version` with the
    sha256 hash of each file pip may install for it (pip then checks every file it fetches)."""
    pins = {}
    text = (REPO_DIR / name).read_text().replace("\\\n", " ")  # a requirement's continued lines
    for line in text.splitlines():
        requirement = " ".join(line.split("#", 1)[0].split())
        if not requirement:
            continue
        match = REQUIREMENT.match(requirement)
        assert match, f"{name}: not pinned with ==: {requirement[:80]!r}"
        hashes = match.group(3).split()
        assert hashes, f"{name}: {match.group(1)} has no --hash"
        for given in hashes:
            assert HASH.fullmatch(given.removeprefix("--hash=")), f"{name}: {given}"
        pins[normalised(match.group(1))] = match.group(2)
    return pins


def declared(requirements: list[str]) -> dict[str, str | None]:
    """pyproject requirements: name and the version pinned there (None if a range)."""
    names = {}
    for requirement in requirements:
        match = re.match(r"([A-Za-z0-9._-]+)(?:\[[^\]]*\])?\s*(==\s*([^,;\s]+))?", requirement)
        names[normalised(match.group(1))] = match.group(3)
    return names


@pytest.mark.parametrize(
    ("lock", "main_package"),
    [
        ("requirements.lock", "django"),
        ("requirements-dev.lock", "django"),
        ("requirements-load.lock", "locust"),
    ],
)
def test_every_locked_dependency_is_pinned_with_hashes(lock, main_package):
    pins = read_lock(lock)
    assert len(pins) > 20, lock
    assert main_package in pins


def test_the_locks_cover_pyproject_and_agree():
    project = tomllib.loads((REPO_DIR / "pyproject.toml").read_text())["project"]
    runtime, development = read_lock(LOCKS[0]), read_lock(LOCKS[1])
    for lock, requirements in (
        (runtime, project["dependencies"]),
        (development, project["dependencies"] + project["optional-dependencies"]["dev"]),
    ):
        for name, pinned in declared(requirements).items():
            assert name in lock, f"{name} is in pyproject.toml but not locked"
            assert pinned is None or lock[name] == pinned, name
    # the development lock adds tools; it never moves a runtime package to another version
    for name, version in runtime.items():
        assert development.get(name) == version, name


def test_what_is_installed_is_what_is_locked():
    for name, version in read_lock(LOCKS[1]).items():
        assert metadata.version(name) == version, name


def test_front_end_packages_are_pinned_with_integrity_hashes():
    package = json.loads((REPO_DIR / "package.json").read_text())
    lock = json.loads((REPO_DIR / "package-lock.json").read_text())
    wanted = {**package["dependencies"], **package["devDependencies"]}
    for name, version in wanted.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} {version} is not exact"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    for path, entry in lock["packages"].items():
        if path:  # "" is the project itself
            assert entry.get("integrity", "").startswith("sha512-"), path
