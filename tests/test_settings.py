"""Settings come from the environment, with safe production defaults."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DATABASE_URL": "postgres://caf:secret@db.internal:5432/caf",
    "SECRET_KEY": "p" * 20 + "roduction-secret-with-enough-different-characters-0123456789",
    "ALLOWED_HOSTS": "caf.example.gov.uk, www.caf.example.gov.uk",
    "REDIS_URL": "redis://redis.internal:6379/0",
}
SHOW = "import json; from django.conf import settings as s; print(json.dumps({n: str(getattr(s, n)) for n in %r}))"


def run(code: str, environment: dict[str, str]) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", **environment}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_under(environment: dict[str, str], *names: str) -> dict[str, str]:
    import json

    result = run(SHOW % (names,), environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_defaults_are_safe():
    values = settings_under(
        PRODUCTION,
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_AGE",
        "SESSION_SAVE_EVERY_REQUEST",
        "TIME_ZONE",
        "ALLOWED_HOSTS",
        "CELERY_BROKER_URL",
    )
    assert values == {
        "DEBUG": "False",
        "SECURE_SSL_REDIRECT": "True",
        "SESSION_COOKIE_SECURE": "True",
        "CSRF_COOKIE_SECURE": "True",
        "SECURE_HSTS_SECONDS": "31536000",
        "SESSION_COOKIE_AGE": "1800",
        "SESSION_SAVE_EVERY_REQUEST": "True",
        "TIME_ZONE": "Europe/London",
        "ALLOWED_HOSTS": "['caf.example.gov.uk', 'www.caf.example.gov.uk']",
        "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    }


def test_database_and_email_come_from_the_environment():
    values = settings_under(
        {
            **PRODUCTION,
            "EMAIL_HOST": "smtp.council.example",
            "EMAIL_PORT": "2525",
            "EMAIL_USE_TLS": "false",
            "DEFAULT_FROM_EMAIL": "Early help <earlyhelp@council.example>",
            "SESSION_IDLE_MINUTES": "15",
        },
        "DATABASES",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_USE_TLS",
        "DEFAULT_FROM_EMAIL",
        "SESSION_COOKIE_AGE",
    )
    assert "'HOST': 'db.internal'" in values["DATABASES"]
    assert "'NAME': 'caf'" in values["DATABASES"]
    assert values["EMAIL_HOST"] == "smtp.council.example"
    assert values["EMAIL_PORT"] == "2525"
    assert values["EMAIL_USE_TLS"] == "False"
    assert values["DEFAULT_FROM_EMAIL"] == "Early help <earlyhelp@council.example>"
    assert values["SESSION_COOKIE_AGE"] == "900"


def test_check_deploy_reports_nothing_in_production():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=BASE_DIR,
        env={"PATH": os.environ["PATH"], **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run("", {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_only_postgresql_is_accepted():
    result = run("", {**PRODUCTION, "DATABASE_URL": "sqlite:///caf.db"})
    assert result.returncode != 0
    assert "DATABASE_URL must point at PostgreSQL" in result.stderr


def test_a_mistyped_switch_is_refused_with_its_name():
    result = run("", {**PRODUCTION, "DEBUG": "perhaps"})
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_debug_for_a_developer_turns_off_https_only():
    values = settings_under(
        {"DATABASE_URL": PRODUCTION["DATABASE_URL"], "DEBUG": "true"}, "DEBUG", "SECURE_SSL_REDIRECT", "ALLOWED_HOSTS"
    )
    assert values == {"DEBUG": "True", "SECURE_SSL_REDIRECT": "False", "ALLOWED_HOSTS": "['localhost', '127.0.0.1']"}


DATABASES = "import json; from django.conf import settings as s; print(json.dumps(s.DATABASES))"


def databases_under(environment: dict[str, str]) -> dict:
    import json

    result = run(DATABASES, environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def database_under(environment: dict[str, str]) -> dict:
    return databases_under(environment)["default"]


def test_a_gthread_worker_pools_one_connection_per_thread():
    # config/gunicorn.py sets DATABASE_POOL_MAX_SIZE to the threads in each gthread worker.
    database = database_under({**PRODUCTION, "DATABASE_POOL_MAX_SIZE": "4", "DATABASE_CONN_MAX_AGE": "120"})
    assert database["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 4, "timeout": 5}
    assert database["CONN_MAX_AGE"] == 0  # connections go back to the pool, never kept by a thread
    assert database["CONN_HEALTH_CHECKS"] is True


def test_without_gunicorns_threads_connections_are_kept_a_minute_and_not_pooled():
    # manage.py, Celery (whose forked workers would inherit a pool without its threads), sync workers.
    database = database_under(PRODUCTION)
    assert "pool" not in database["OPTIONS"]
    assert database["CONN_MAX_AGE"] == 60
    assert database_under({**PRODUCTION, "DATABASE_POOL_MAX_SIZE": "0"})["CONN_MAX_AGE"] == 60


def test_a_negative_pool_size_is_refused_with_its_name():
    result = run("", {**PRODUCTION, "DATABASE_POOL_MAX_SIZE": "-2"})
    assert result.returncode != 0
    assert "DATABASE_POOL_MAX_SIZE must be 0 (no pool) or more" in result.stderr


REPLICA = "postgres://caf_figures:secret@replica.internal:5432/caf"


def test_the_figures_database_is_optional():
    # Without DATABASE_FIGURES_URL there is no read replica: everything is read from default.
    assert list(databases_under(PRODUCTION)) == ["default"]
    assert list(databases_under({**PRODUCTION, "DATABASE_FIGURES_URL": ""})) == ["default"]


def test_the_figures_database_is_connected_to_as_default_is():
    # The same health checks, connect timeout and pool (one per alias) in a gthread worker...
    databases = databases_under(
        {**PRODUCTION, "DATABASE_FIGURES_URL": REPLICA, "DATABASE_POOL_MAX_SIZE": "4", "DATABASE_CONNECT_TIMEOUT": "3"}
    )
    default, figures = databases["default"], databases["figures"]
    assert (figures["HOST"], figures["NAME"], figures["USER"]) == ("replica.internal", "caf", "caf_figures")
    assert figures["ENGINE"] == default["ENGINE"] == "django.db.backends.postgresql"
    pool = {"min_size": 1, "max_size": 4, "timeout": 3}
    assert figures["OPTIONS"] == default["OPTIONS"] == {"connect_timeout": 3, "pool": pool}
    assert figures["CONN_MAX_AGE"] == default["CONN_MAX_AGE"] == 0
    assert figures["CONN_HEALTH_CHECKS"] is default["CONN_HEALTH_CHECKS"] is True
    # ...and the same kept connections everywhere else.
    figures = databases_under({**PRODUCTION, "DATABASE_FIGURES_URL": REPLICA})["figures"]
    assert figures["CONN_MAX_AGE"] == 60 and "pool" not in figures["OPTIONS"]


def test_the_figures_database_must_be_postgresql_too():
    result = run("", {**PRODUCTION, "DATABASE_FIGURES_URL": "sqlite:///figures.db"})
    assert result.returncode != 0
    assert "DATABASE_FIGURES_URL must point at PostgreSQL" in result.stderr


def test_production_hashes_passwords_with_djangos_strong_default():
    # The test suite hashes with MD5 for speed (tests/conftest.py); production never sets PASSWORD_HASHERS.
    code = (
        "from django.conf import global_settings, settings as s; "
        "print(s.PASSWORD_HASHERS == global_settings.PASSWORD_HASHERS, s.PASSWORD_HASHERS[0])"
    )
    result = run(code, PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
