"""Settings for the CAF case management service.

Everything that differs between machines comes from environment variables (README lists each one).
The defaults are the safe production ones: DEBUG off, HTTPS only, secure cookies, sessions that end
after inactivity. A developer's `make run` and `make test` set the few variables they need.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from error


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set unless DEBUG is true")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.postgres",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_forms_gds",
    "guardian",
    "axes",
    "csp",
    # Two-factor sign-in (accounts/two_factor.py): authenticator apps (TOTP) and recovery codes.
    # Before accounts, whose admin hides their devices' own admin pages.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "thresholds",
    "caf",
    "referrals",
    "home",  # the top layer (Settled question 14): the home pages and the demo
]

MIDDLEWARE = [
    # First, so that load balancers and compose health checks get an answer over plain HTTP
    # from any host name, before the HTTPS redirect and the host check.
    "config.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.security.PermissionsPolicyMiddleware",
    # whitenoise, with hashed files cached for a year (config/static_files.py).
    "config.static_files.StaticFilesMiddleware",
    # Django's, except that a page's background requests (an autosave, the time-left check) do not
    # move the session's expiry (accounts/session_expiry.py).
    "accounts.session_expiry.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A long form posted after the session ended is kept for the person its signed token names
    # (accounts/drafts.py); before LoginRequiredMiddleware, which would send them to sign in without it.
    "accounts.drafts.KeepPostAfterSignOutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Every 403 (PermissionDenied from a view or service) is written to the access log as a refusal.
    "caf.middleware.RefusalLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.service",
            ],
        },
    },
]

# Database: PostgreSQL only. `make run` and `make test` point DATABASE_URL at the machine's
# server or at an embedded one; production sets it explicitly.
DATABASE_URL = env("DATABASE_URL")
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL must be set, e.g. postgres://user:password@host:5432/caf (make run and make test set it for you)"
    )
# Connection pooling (Settled question 29) only in gunicorn's gthread workers: config/gunicorn.py sets
# DATABASE_POOL_MAX_SIZE to the worker's threads in each worker, after the fork and before the app loads,
# so every thread can hold a connection and none waits for another's. Everywhere else (sync workers,
# manage.py, Celery, whose prefork workers would inherit a pool without its threads, and the tests) it is
# unset, and a thread keeps its own connection for DATABASE_CONN_MAX_AGE seconds.
DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 0)
if DATABASE_POOL_MAX_SIZE < 0:
    raise ImproperlyConfigured(f"DATABASE_POOL_MAX_SIZE must be 0 (no pool) or more, not {DATABASE_POOL_MAX_SIZE}")
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 5)


def database_from_url(name: str, url: str) -> dj_database_url.DBConfig:
    """One PostgreSQL database from the URL in the variable `name`, with what every alias shares: health
    checks, the connect timeout, and the pool or the persistent connection of this kind of process."""
    database = dj_database_url.parse(
        url,
        # Django's pool refuses persistent connections: a pooled connection goes back to the pool when the
        # request ends.
        conn_max_age=0 if DATABASE_POOL_MAX_SIZE else env_int("DATABASE_CONN_MAX_AGE", 60),
    )
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(f"{name} must point at PostgreSQL (postgres://...)")
    database["CONN_HEALTH_CHECKS"] = True
    database.setdefault("OPTIONS", {})["connect_timeout"] = DATABASE_CONNECT_TIMEOUT
    if DATABASE_POOL_MAX_SIZE:
        database["OPTIONS"]["pool"] = {
            # One connection kept open while the worker is idle; up to one per thread under load, closed
            # again after ten idle minutes (psycopg_pool's max_idle). Each alias has its own pool, opened
            # when the worker first uses it.
            "min_size": 1,
            "max_size": DATABASE_POOL_MAX_SIZE,
            # With a connection per thread nobody queues for one; this is only how long a request waits
            # while the database does not answer, as for a connection of its own.
            "timeout": DATABASE_CONNECT_TIMEOUT,
        }
    return database


DATABASES = {"default": database_from_url("DATABASE_URL", DATABASE_URL)}
# Optional: a streaming-replication read replica of that database, for the council's figures only
# (aggregate counts that tolerate its lag of seconds), read through core.db_routers.figures_reads().
# Unset, there is no `figures` alias and everything is read from default. `make test` sets it to a
# second database on the test server, so the router is tested against a real one.
DATABASE_FIGURES_URL = env("DATABASE_FIGURES_URL")
if DATABASE_FIGURES_URL:
    DATABASES["figures"] = database_from_url("DATABASE_FIGURES_URL", DATABASE_FIGURES_URL)
# Every write goes to default; reads to `figures` only inside figures_reads() (core/db_routers.py).
DATABASE_ROUTERS = ["core.db_routers.FiguresRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first, so that a locked-out account is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60 * 2)

# Two-factor sign-in (accounts/two_factor.py). A wrong code counts towards the account's lock-out
# like a wrong password (django-axes), so django-otp's own delay after a failure is off: it would
# refuse the right code typed straight after a typo.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
TWO_FACTOR_PENDING_MINUTES = env_int("TWO_FACTOR_PENDING_MINUTES", 10)

# Single sign-on over OpenID Connect (accounts/sso.py). Identity providers' client secrets are kept
# encrypted with a key made from SSO_SECRET_KEY (SECRET_KEY unless set: set it, so that rotating
# SECRET_KEY does not make every council enter its secrets again). The provider's answers are awaited
# at most SSO_TIMEOUT_SECONDS, so a provider that hangs gives a page saying so, never a stuck worker.
SSO_SECRET_KEY = env("SSO_SECRET_KEY") or SECRET_KEY
SSO_TIMEOUT_SECONDS = env_int("SSO_TIMEOUT_SECONDS", 10)

# Sign-in lock-out (django-axes): after AXES_FAILURE_LIMIT failures for one e-mail address the
# account cannot sign in for AXES_COOLOFF_MINUTES, whatever the password.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
# By account, not by IP address: a council's staff share a few office addresses, and locking an
# address would lock out a whole office after one person's mistakes (hence axes.W006 is silenced).
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
# What axes keeps of a failed attempt's post leaves out the security code typed (accounts/two_factor.py).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]

# django-guardian: object permissions are checked through direct foreign-key tables (added by the
# apps that hold children's records). No anonymous user: every page needs a signed-in user.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# Sessions end after SESSION_IDLE_MINUTES without a request, and when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# HTTPS: on unless explicitly turned off (a developer's machine, the test suite).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp): everything from the service itself, no inline scripts or
# styles (scripts live in static/js/), no plug-ins, never framed. A script injected into a page is
# not run even if some text escaped being escaped.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
# Browser features no page uses, switched off (config.security.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
if env_bool("BEHIND_HTTPS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# Production serves hashed, compressed files that collectstatic (run in the Docker image) put in
# STATIC_ROOT; development and tests serve straight from static/ and the apps.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles" if STATIC_MANIFEST else None
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"
CRISPY_GDS_FRONTEND_VERSION = "5.14.0"

# E-mail (password reset now; reminders and alerts in later issues).
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "CAF case management <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("Service team", address) for address in env_list("ADMIN_EMAILS")]

# Celery: Redis is the broker in production and in the test suite. `make run` without REDIS_URL
# uses kombu's filesystem transport under var/broker so that no server is needed.
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 5)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env("CELERY_FILESYSTEM_BROKER_DIR", str(BASE_DIR / "var" / "broker")))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_broker_dir / "control"),
    }
else:
    # Redis hands an unacknowledged task to another worker after this long: longer than any task
    # runs, so a slow task is not run twice (they are idempotent anyway: rows are claimed).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_TASK_IGNORE_RESULT = True
# Acknowledge after the task has run, and requeue it if its worker dies: a lost worker's task is
# redelivered, never lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = env("CELERY_BEAT_SCHEDULE_FILENAME", str(BASE_DIR / "var" / "celerybeat-schedule"))
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "accounts.tasks.expired_sessions_clear",
        "schedule": 60 * 60,
    },
    # Unsaved forms kept past their council's days (accounts.drafts): nightly is soon enough.
    "discard-unused-drafts": {
        "task": "accounts.tasks.unused_drafts_discard",
        "schedule": 24 * 60 * 60,
        "options": {"expires": 60 * 60},
    },
    # Reminders and overdue reviews: a frequent tick that finds what is due (caf.reminders), never
    # long ETA tasks. A tick not taken within its five minutes expires: the next one does its work.
    "reminders-tick": {
        "task": "caf.tasks.reminders_tick",
        "schedule": 5 * 60,
        "options": {"expires": 5 * 60},
    },
    # Referral decisions and step-down pick-ups past their deadlines (referrals.deadlines), likewise.
    "deadlines-tick": {
        "task": "referrals.tasks.deadlines_tick",
        "schedule": 5 * 60,
        "options": {"expires": 5 * 60},
    },
    # The council's figures for last month, to its administrators and early help lead from the first
    # working day of the month (referrals.figures_summary): hourly, each person told once a month.
    "figures-summary-tick": {
        "task": "referrals.tasks.figures_summary_tick",
        "schedule": 60 * 60,
        "options": {"expires": 60 * 60},
    },
    # The council's figures for the last 12 months and this financial year, counted each night at 02:45
    # for the figures page to show at once (referrals.services.figures_snapshots); the page says when.
    "figures-snapshots": {
        "task": "referrals.tasks.figures_snapshots_tick",
        "schedule": crontab(minute="45", hour="2"),
        "options": {"expires": 6 * 60 * 60},
    },
    # The access log's monthly partitions, three months ahead, and the alarm on its default
    # partition (caf.access_log_partitions). Hourly, though a month is made only once a month: an
    # alarm is heard within the hour, and a missed run costs nothing.
    "access-log-partitions": {
        "task": "caf.tasks.access_log_partitions_tick",
        "schedule": 60 * 60,
        "options": {"expires": 60 * 60},
    },
    # Possible duplicate records (caf.services.duplicates): a record is checked when it is made;
    # nightly, every record again, so a change to a name or a date of birth is caught too.
    "possible-duplicates": {
        "task": "caf.tasks.possible_duplicates_tick",
        "schedule": 24 * 60 * 60,
        "options": {"expires": 60 * 60},
    },
    # Retention (caf.services.retention): every night at 02:30, anonymise the families past their
    # retention date (so a record is anonymised the night after its date passes, not up to a month
    # later) and drop the access log's months past the longest council setting. Idempotent and per
    # family, so a run beat missed is made up by the next; it expires after a day.
    "retention": {
        "task": "caf.tasks.retention_tick",
        "schedule": crontab(minute="30", hour="2"),
        "options": {"expires": 24 * 60 * 60},
    },
    # Sends whatever the on-commit enqueue missed (broker down, worker lost); expires so that
    # runs do not pile up while no worker listens.
    "send-notifications": {
        "task": "accounts.tasks.notifications_send",
        "schedule": 60,
        "options": {"expires": 60},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # fontTools (fpdf2's font subsetting, subject access PDFs) logs every table it subsets at INFO.
    "loggers": {"axes": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

SERVICE_NAME = env("SERVICE_NAME", "Early help case management")
# The font of subject access PDFs (caf.subject_access_pdf): a TrueType font with a "-Bold" file beside
# it, so that every name prints as typed. DejaVu Sans is committed with its licence (caf/fonts/), so a
# machine's own fonts never decide whether a family's names print.
SUBJECT_ACCESS_PDF_FONT = env("SUBJECT_ACCESS_PDF_FONT", str(BASE_DIR / "caf" / "fonts" / "DejaVuSans.ttf"))
OTP_TOTP_ISSUER = SERVICE_NAME  # the name authenticator apps show beside the code
# The service's address as people reach it, for links in e-mails.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")
# A notification claimed by a sender that died is sent by another after this long.
NOTIFICATION_CLAIM_LEASE_MINUTES = env_int("NOTIFICATION_CLAIM_LEASE_MINUTES", 10)
