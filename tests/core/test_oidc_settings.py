"""Single sign-on is configured by environment variables alone."""

import os
import subprocess
import sys

SCRIPT = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "pcref.settings"
django.setup()
from django.conf import settings
from django.urls import reverse
print("oidc" if settings.OIDC_ENABLED else "no-oidc")
print("pcref.core.oidc.StaffOIDCBackend" in settings.AUTHENTICATION_BACKENDS)
print(reverse("oidc_authentication_init") if settings.OIDC_ENABLED else "-")
"""


def run_settings(extra_env: dict) -> list[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PCREF_OIDC")}
    env.update(extra_env)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, check=True
    )
    return result.stdout.split()


def test_single_sign_on_is_off_by_default():
    assert run_settings({}) == ["no-oidc", "False", "-"]


def test_single_sign_on_turns_on_with_its_environment_variables():
    assert run_settings(
        {
            "PCREF_OIDC_CLIENT_ID": "pcref-hub",
            "PCREF_OIDC_CLIENT_SECRET": "secret",
            "PCREF_OIDC_AUTHORIZATION_ENDPOINT": "https://login.example/authorize",
            "PCREF_OIDC_TOKEN_ENDPOINT": "https://login.example/token",
            "PCREF_OIDC_USER_ENDPOINT": "https://login.example/userinfo",
            "PCREF_OIDC_JWKS_ENDPOINT": "https://login.example/keys",
        }
    ) == ["oidc", "True", "/staff/oidc/authenticate/"]
