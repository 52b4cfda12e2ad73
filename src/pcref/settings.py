"""One settings module for PCREF Hub, configured by environment variables (docs/configuration.md)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django.conf.locale
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from pcref.paths import PACKAGE_DIR, REPO_DIR, VAR_DIR


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false; got {value!r}")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# "production" turns on every transport-security setting and refuses unsafe defaults.
ENVIRONMENT = os.environ.get("PCREF_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured(f"PCREF_ENV must be development or production; got {ENVIRONMENT!r}")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("PCREF_DEBUG", default=False)
SECRET_KEY = os.environ.get("PCREF_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("PCREF_SECRET_KEY must be set in production")
    SECRET_KEY = "development-only-key-never-used-in-production-" + "x" * 20  # noqa: S105
# Earlier keys, still accepted while a new one takes over (docs/operations.md, rotating secrets).
SECRET_KEY_FALLBACKS = env_list("PCREF_SECRET_KEY_FALLBACKS", "")
ALLOWED_HOSTS = env_list("PCREF_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("PCREF_CSRF_TRUSTED_ORIGINS", "")

# Where the running site keeps its files (SQLite database, uploads, reports): VAR_DIR,
# from PCREF_VAR_DIR (pcref.paths).

# The trust whose site this is: shown in the header, page titles and TOTP apps.
TRUST_NAME = os.environ.get("PCREF_TRUST_NAME", "Leicestershire Partnership NHS Trust")
SERVICE_NAME = "PCREF Hub"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "rules.apps.AutodiscoverRulesConfig",
    "django_tasks",
    "django_tasks_db",
    "pcref.core",
    "pcref.feedback",
    "pcref.insights",
    "pcref.involvement",
    "pcref.governance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "pcref.core.security.SecurityHeadersMiddleware",  # CSP, Permissions-Policy (docs/security.md)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "pcref.core.storage.DiskFullMiddleware",  # a full upload temp folder: a page, not a 500
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "pcref.core.middleware.StaffSignInRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pcref.urls"

# Staff navigation beyond core: (address name, permission needed, label, other pages it is the
# menu item of). Core reads this list, so it never imports the feature apps. Without other
# pages, an item is current for addresses below its own.
STAFF_NAVIGATION = [
    ("feedback_staff:inbox", "feedback.view_feedback", _("Feedback"), ()),
    (
        "insights_staff:dashboard",
        "insights.view_insights",
        _("Insights dashboard"),
        ("insights_staff:metric", "insights_staff:quality", "insights_staff:experience"),
    ),
    ("insights_staff:history", "insights.upload_extracts", _("Data uploads"), ()),
    ("insights_staff:reports", "insights.view_insights", _("Reports"), ()),
    ("involvement_staff:register", "involvement.view_register", _("Involvement"), ()),
    ("governance_staff:plans", "governance.view_plans", _("Delivery plans"), ()),
    (
        "governance_staff:groups",
        "governance.view_groups",
        _("Groups and meetings"),
        (
            "governance_staff:group",
            "governance_staff:group_new",
            "governance_staff:member_new",
            "governance_staff:member_edit",
            "governance_staff:meeting_new",
            "governance_staff:meeting",
            "governance_staff:paper_new",
            "governance_staff:attendance",
            "governance_staff:minutes",
            "governance_staff:decision_new",
            "governance_staff:log_item_new",
            "governance_staff:log_item_done",
        ),
    ),
]
WSGI_APPLICATION = "pcref.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "pcref.jinja2.environment",
            "autoescape": True,
            "trim_blocks": True,
            "lstrip_blocks": True,
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.messages.context_processors.messages",
                "pcref.core.context_processors.site",
                "pcref.core.security.csp_nonce",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'pcref.sqlite3'}",
        conn_max_age=60,
        # A kept connection is checked before a request uses it, so after the database restarts
        # each process reconnects instead of failing its next request.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's SQLite: a writer takes the lock when its transaction starts and others wait
    # for it (up to 20 s), instead of failing with "database is locked" when two requests
    # write at once, as a double click on Send did (a 503 although the feedback was stored).
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
CSRF_FAILURE_VIEW = "pcref.core.views.errors.csrf_failure"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: counts failures and refuses locked accounts
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core_staff:sign_in"
LOGIN_REDIRECT_URL = "core_staff:staff_home"

# Idle timeout: the session ends after this many minutes without a request.
SESSION_IDLE_MINUTES = int(os.environ.get("PCREF_SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout after repeated failed sign-ins (django-axes).
AXES_FAILURE_LIMIT = int(os.environ.get("PCREF_SIGN_IN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("PCREF_LOCKOUT_MINUTES", "15")))
# Per account, not per address: a trust's staff share a few outgoing addresses, so locking an
# address would lock out whole wards. Every account also needs a second factor.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "pcref.core.views.account.locked_out"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = TRUST_NAME

# Optional single sign-on (OpenID Connect, e.g. Microsoft Entra ID): docs/configuration.md.
OIDC_ENABLED = bool(os.environ.get("PCREF_OIDC_CLIENT_ID"))
if OIDC_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.append("pcref.core.oidc.StaffOIDCBackend")
    OIDC_RP_CLIENT_ID = os.environ["PCREF_OIDC_CLIENT_ID"]
    OIDC_RP_CLIENT_SECRET = os.environ.get("PCREF_OIDC_CLIENT_SECRET", "")
    OIDC_RP_SIGN_ALGO = os.environ.get("PCREF_OIDC_SIGN_ALGO", "RS256")
    OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("PCREF_OIDC_AUTHORIZATION_ENDPOINT", "")
    OIDC_OP_TOKEN_ENDPOINT = os.environ.get("PCREF_OIDC_TOKEN_ENDPOINT", "")
    OIDC_OP_USER_ENDPOINT = os.environ.get("PCREF_OIDC_USER_ENDPOINT", "")
    OIDC_OP_JWKS_ENDPOINT = os.environ.get("PCREF_OIDC_JWKS_ENDPOINT", "")
    OIDC_RP_SCOPES = "openid email profile"
    OIDC_CREATE_USER = False  # staff accounts are created by an administrator, with roles
    LOGIN_REDIRECT_URL_FAILURE = "core_staff:sign_in"

# Languages of Leicester, Leicestershire and Rutland's communities. Django lacks Gujarati and Somali.
django.conf.locale.LANG_INFO.update(
    {
        "gu": {"bidi": False, "code": "gu", "name": "Gujarati", "name_local": "ગુજરાતી"},
        "so": {"bidi": False, "code": "so", "name": "Somali", "name_local": "Soomaali"},
        # Django names Punjabi in English only; people look for their own script.
        "pa": {"bidi": False, "code": "pa", "name": "Punjabi", "name_local": "ਪੰਜਾਬੀ"},
    }
)
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("gu", _("Gujarati")),
    ("pa", _("Punjabi")),
    ("ur", _("Urdu")),
    ("pl", _("Polish")),
    ("so", _("Somali")),
    ("ar", _("Arabic")),
]
LANGUAGES_BIDI = ["ar", "ur"]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
FORMAT_MODULE_PATH = ["pcref.formats"]
TIME_ZONE = "Europe/London"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static" if PRODUCTION else None  # development serves from finders
# Front-end assets come from npm (package.json); `make` runs npm ci into node_modules.
NODE_MODULES_DIR = Path(os.environ.get("PCREF_NODE_MODULES", REPO_DIR / "node_modules"))
STATICFILES_DIRS = [
    ("nhsuk", NODE_MODULES_DIR / "nhsuk-frontend" / "dist" / "nhsuk"),
    ("vega", NODE_MODULES_DIR / "vega" / "build"),  # charts (ADR 0008)
]
WHITENOISE_USE_FINDERS = not PRODUCTION  # production serves what collectstatic gathered
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Only strictly necessary cookies: the session (staff) and the CSRF token (forms).
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("PCREF_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PCREF_LOG_LEVEL", "WARNING")},
}

# The organisation (by ODS code) whose contact details the public pages show.
TRUST_ODS_CODE = os.environ.get("PCREF_TRUST_ODS_CODE", "RT5")

# Feedback (docs/configuration.md): spam control, routing of flagged feedback, retention, email.
FEEDBACK_SUBMISSIONS_PER_HOUR = int(os.environ.get("PCREF_FEEDBACK_SUBMISSIONS_PER_HOUR", "10"))
# Behind a reverse proxy: the header the proxy sets to the sender's address (e.g. X-Real-IP),
# so the per-address limit counts senders, not the proxy (docs/operations.md).
CLIENT_ADDRESS_HEADER = os.environ.get("PCREF_CLIENT_ADDRESS_HEADER", "")
FEEDBACK_CONTACT_RETENTION_DAYS = int(os.environ.get("PCREF_FEEDBACK_CONTACT_RETENTION_DAYS", "90"))
FEEDBACK_SAFEGUARDING_EMAIL = os.environ.get("PCREF_FEEDBACK_SAFEGUARDING_EMAIL", "")
FEEDBACK_COMPLAINTS_EMAIL = os.environ.get("PCREF_FEEDBACK_COMPLAINTS_EMAIL", "")
# Involvement register (docs/involvement.md): how long a sign-up is kept before it is withdrawn
# by `pcref retention`, as the sign-up page promises.
INVOLVEMENT_RETENTION_DAYS = int(os.environ.get("PCREF_INVOLVEMENT_RETENTION_DAYS", "730"))
# A delivery action with no progress update for more than this many weeks is rated amber.
GOVERNANCE_STALE_WEEKS = int(os.environ.get("PCREF_GOVERNANCE_STALE_WEEKS", "6"))
# Evidence files and meeting papers (pcref.governance.files): kept here, served only to staff
# who may see the plan or group they belong to, never from a public address.
GOVERNANCE_DIR = Path(os.environ.get("PCREF_GOVERNANCE_DIR", VAR_DIR / "governance"))
GOVERNANCE_MAX_FILE_BYTES = int(os.environ.get("PCREF_GOVERNANCE_MAX_FILE_MB", "20")) * 1024**2
FEEDBACK_SUGGESTER_PATH = Path(
    os.environ.get("PCREF_FEEDBACK_SUGGESTER", VAR_DIR / "theme-suggester.npz")
)
EMAIL_BACKEND = os.environ.get(
    "PCREF_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "sent-email"
EMAIL_HOST = os.environ.get("PCREF_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("PCREF_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("PCREF_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("PCREF_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("PCREF_EMAIL_USE_TLS", default=PRODUCTION)
DEFAULT_FROM_EMAIL = os.environ.get("PCREF_FROM_EMAIL", "pcref-hub@localhost")

# Background work (docs/configuration.md): uploads are validated and metrics run by a worker,
# `pcref worker`, from the database queue. PCREF_TASKS_BACKEND may name another
# django-tasks backend (e.g. django_tasks.backends.immediate.ImmediateBackend to run in the
# request, for a one-person trial).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("PCREF_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# A running job touches its record every JOB_HEARTBEAT_SECONDS; one untouched for longer than
# JOB_LEASE_SECONDS lost its worker (killed part way) and `pcref worker` starts it again
# (docs/operations.md, "If the worker stops").
JOB_HEARTBEAT_SECONDS = float(os.environ.get("PCREF_JOB_HEARTBEAT_SECONDS", "10"))
JOB_LEASE_SECONDS = float(os.environ.get("PCREF_JOB_LEASE_SECONDS", "60"))
if not 0 < JOB_HEARTBEAT_SECONDS < JOB_LEASE_SECONDS:
    raise ImproperlyConfigured(
        "PCREF_JOB_HEARTBEAT_SECONDS must be above 0 and below PCREF_JOB_LEASE_SECONDS; got "
        f"{JOB_HEARTBEAT_SECONDS} and {JOB_LEASE_SECONDS}"
    )

# Extract uploads (docs/insights.md). Files stream to disk in chunks: anything over
# FILE_UPLOAD_MAX_MEMORY_SIZE goes to a temporary file, never into memory, so multi-GB files
# upload. Form fields other than files stay small.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB, Django's default, said out loud
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 20
FILE_UPLOAD_TEMP_DIR = os.environ.get("PCREF_UPLOAD_TEMP_DIR") or None  # default: system temp
FILE_UPLOAD_PERMISSIONS = 0o600
INSIGHTS_DIR = Path(os.environ.get("PCREF_INSIGHTS_DIR", VAR_DIR / "insights"))
INSIGHTS_MAX_UPLOAD_BYTES = int(os.environ.get("PCREF_INSIGHTS_MAX_UPLOAD_GB", "20")) * 1024**3
INSIGHTS_MAX_ZIP_RATIO = int(os.environ.get("PCREF_INSIGHTS_MAX_ZIP_RATIO", "200"))
INSIGHTS_MEMORY_LIMIT = os.environ.get("PCREF_INSIGHTS_MEMORY_LIMIT", "1GB")
INSIGHTS_REFRESH_SECONDS = int(os.environ.get("PCREF_INSIGHTS_REFRESH_SECONDS", "3"))
# People in the demo's synthetic extract: a small trust, measured and reported on in seconds.
INSIGHTS_DEMO_PEOPLE = int(os.environ.get("PCREF_INSIGHTS_DEMO_PEOPLE", "20000"))
