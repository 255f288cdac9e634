"""Beatbook settings: every value comes from an environment variable.

Each variable is listed in `.env.example`. A value that cannot be parsed stops
start-up with a message naming the variable, rather than being silently ignored.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        # Docker/Kubernetes secrets arrive as files; reading them here keeps them out of `env`.
        try:
            return Path(file_path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_path!r} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from exc
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE), or DEBUG=true for local use."
        )
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-true"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_NAME = env_str("SITE_NAME", "Beatbook") or "Beatbook"
SITE_URL = (env_str("SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "beatbook.core",
    "beatbook.accounts",
    "beatbook.areas",
    "beatbook.crime",
    "beatbook.activity",
    "beatbook.surveys",
    "beatbook.insight",
    "beatbook.messaging",
    "beatbook.public",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "beatbook.core.middleware.SecurityHeadersMiddleware",
    "beatbook.accounts.middleware.RequireTwoFactorMiddleware",
    # Axes must be last so that it sees the final response of a failed login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "beatbook.urls"
WSGI_APPLICATION = "beatbook.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "beatbook.core.context_processors.site",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{PROJECT_DIR / 'beatbook.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL that Beatbook understands: {exc}") from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and the task worker share one SQLite file.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# PostgreSQL: server-side binding sends values apart from the SQL text, which lets psycopg
# prepare a statement once a connection has run it DB_PREPARE_THRESHOLD times (0: never); a
# prepared statement is not parsed or planned again, which saves PostgreSQL's CPU on hot paths
# (the public survey form). Leave both off behind a pooler in transaction mode (PgBouncer
# before 1.21), where a prepared statement may be missing on the next server connection.
DB_SERVER_SIDE_BINDING = env_bool("DB_SERVER_SIDE_BINDING", False)
DB_PREPARE_THRESHOLD = env_int("DB_PREPARE_THRESHOLD", 0, minimum=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    if DB_SERVER_SIDE_BINDING:
        DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
    if DB_PREPARE_THRESHOLD:
        if not DB_SERVER_SIDE_BINDING:
            raise ImproperlyConfigured(
                f"DB_PREPARE_THRESHOLD={DB_PREPARE_THRESHOLD} needs DB_SERVER_SIDE_BINDING=true "
                "(statements sent with their values in the text cannot be prepared)."
            )
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = DB_PREPARE_THRESHOLD
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "areas:home"
LOGOUT_REDIRECT_URL = "public:home"

# Login throttling: lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# Number of reverse proxies in front of Beatbook that append to X-Forwarded-For; the
# client's address is read that many entries from the right (see accounts.http.client_ip).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "beatbook.accounts.http.client_ip"

OTP_TOTP_ISSUER = SITE_NAME

LANGUAGE_CODE = "en-gb"
LANGUAGES = [
    ("en-gb", "English"),
    ("cy", "Cymraeg"),
    ("ur", "اردو"),
    ("pa", "ਪੰਜਾਬੀ"),
    ("gu", "ગુજરાતી"),
    ("pl", "Polski"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or PROJECT_DIR / "staticfiles")
NODE_MODULES = PROJECT_DIR / "node_modules"
# Front-end packages are installed from npm at set-up (never committed); the compiled
# stylesheet is written to build/ by `npm run build`.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("build", PROJECT_DIR / "build"),
    ("vendor/govuk-frontend", NODE_MODULES / "govuk-frontend" / "dist" / "govuk"),
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
]
# Production serves hashed, compressed files made by `collectstatic`; local runs and
# tests serve straight from the source folders.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

# Security headers and cookies. Production sits behind TLS; local runs do not.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60, minimum=60)
X_FRAME_OPTIONS = "DENY"
MAP_TILE_URL = env_str("MAP_TILE_URL", "") or ""
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "") or ""


def _tile_origin(url: str) -> str:
    """The scheme and host of a Leaflet tile URL template, for the CSP's img-src."""
    if not url:
        return ""
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}", "*"))
    if parts.scheme not in {"https", "http"} or not parts.netloc:
        raise ImproperlyConfigured(f"MAP_TILE_URL={url!r} is not an http(s) URL template.")
    return f"{parts.scheme}://{parts.netloc}"


CONTENT_SECURITY_POLICY = (
    f"default-src 'self'; img-src 'self' data: {_tile_origin(MAP_TILE_URL)}".rstrip()
    + "; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "beatbook@localhost")

# Messaging
# Uploaded files (message signature photos). Served by the web server in production.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or PROJECT_DIR / "var" / "media")
MEDIA_URL = "/media/"
# "smtp" sends email through EMAIL_BACKEND; "notify" through GOV.UK Notify.
MESSAGING_EMAIL_PROVIDER = env_str("MESSAGING_EMAIL_PROVIDER", "smtp") or "smtp"
# "notify" sends texts through GOV.UK Notify; "log" writes them to the log (demo, development).
MESSAGING_SMS_PROVIDER = env_str("MESSAGING_SMS_PROVIDER", "log") or "log"
for _name, _value, _allowed in (
    ("MESSAGING_EMAIL_PROVIDER", MESSAGING_EMAIL_PROVIDER, {"smtp", "notify"}),
    ("MESSAGING_SMS_PROVIDER", MESSAGING_SMS_PROVIDER, {"notify", "log"}),
):
    if _value not in _allowed:
        raise ImproperlyConfigured(f"{_name}={_value!r}: expected one of {', '.join(sorted(_allowed))}.")
NOTIFY_API_KEY = env_str("NOTIFY_API_KEY", "") or ""
NOTIFY_BASE_URL = env_str("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk") or ""
NOTIFY_EMAIL_TEMPLATE_ID = env_str("NOTIFY_EMAIL_TEMPLATE_ID", "") or ""
NOTIFY_SMS_TEMPLATE_ID = env_str("NOTIFY_SMS_TEMPLATE_ID", "") or ""
# Notify sends this bearer token with its delivery-status callbacks.
NOTIFY_CALLBACK_TOKEN = env_str("NOTIFY_CALLBACK_TOKEN", "") or ""
if "notify" in {MESSAGING_EMAIL_PROVIDER, MESSAGING_SMS_PROVIDER} and not NOTIFY_API_KEY:
    raise ImproperlyConfigured("GOV.UK Notify is chosen as a messaging provider but NOTIFY_API_KEY is not set.")
# Most messages a second the sender hands to each provider (0 = no limit).
MESSAGING_EMAIL_RATE = env_int("MESSAGING_EMAIL_RATE", 0, minimum=0)
MESSAGING_SMS_RATE = env_int("MESSAGING_SMS_RATE", 0, minimum=0)
MESSAGING_BATCH_SIZE = env_int("MESSAGING_BATCH_SIZE", 200, minimum=1)
# Each worker notes here every email the server accepted until the outcome is in the database,
# so a worker killed between the two does not send it again (see messaging/delivery.py).
MESSAGING_JOURNAL_DIR = Path(env_str("MESSAGING_JOURNAL_DIR") or PROJECT_DIR / "var" / "messaging-journal")

# Areas and imports
# Crime rows (Parquet, one file per force-month) live here; counts live in the database.
CRIME_DATA_DIR = Path(env_str("CRIME_DATA_DIR") or PROJECT_DIR / "var" / "crime")
SHARED_DATA_DIR = Path(env_str("BEATBOOK_SHARED_DATA") or PROJECT_DIR.parent / "shared" / "data")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
