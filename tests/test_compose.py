"""No Docker engine runs here, so the compose file is checked against what the settings read."""

import re
from pathlib import Path

import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
SETTINGS_SOURCE = (BASE_DIR / "config" / "settings.py").read_text()
SETTINGS_NAMES = set(re.findall(r'env(?:_bool|_int|_list)?\("([A-Z_]+)"', SETTINGS_SOURCE))
APP_SERVICES = ["web", "worker", "beat"]


def test_the_compose_file_has_the_production_services():
    assert set(COMPOSE["services"]) == {"web", "worker", "beat", "db", "redis"}
    assert "gunicorn config.wsgi" in COMPOSE["services"]["web"]["command"]
    assert "worker" in COMPOSE["services"]["worker"]["command"]
    assert "beat" in COMPOSE["services"]["beat"]["command"]
    assert COMPOSE["services"]["db"]["image"] == "postgres:15"


def test_every_variable_the_app_services_get_is_one_the_settings_read():
    for name in APP_SERVICES:
        environment = COMPOSE["services"][name]["environment"]
        unknown = set(environment) - SETTINGS_NAMES
        assert not unknown, f"{name} sets variables the settings never read: {sorted(unknown)}"


def test_the_settings_that_production_must_have_are_given():
    for name in APP_SERVICES:
        environment = COMPOSE["services"][name]["environment"]
        for required in [
            "DATABASE_URL",
            "REDIS_URL",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "EMAIL_HOST",
            "DEFAULT_FROM_EMAIL",
        ]:
            assert required in environment, f"{name} lacks {required}"
        assert "DEBUG" not in environment, "production must run with the safe default, DEBUG off"


def test_services_point_at_the_compose_database_and_broker():
    environment = COMPOSE["services"]["web"]["environment"]
    assert "@db:5432/" in environment["DATABASE_URL"]
    assert environment["REDIS_URL"].startswith("redis://redis:6379")


def test_every_long_running_service_has_a_health_check_and_data_is_on_volumes():
    for name in ["web", "worker", "db", "redis"]:
        assert "healthcheck" in COMPOSE["services"][name], name
    assert "/healthz" in " ".join(COMPOSE["services"]["web"]["healthcheck"]["test"])
    assert set(COMPOSE["volumes"]) >= {"postgres-data", "redis-data"}
    assert "postgres-data:/var/lib/postgresql/data" in COMPOSE["services"]["db"]["volumes"]


def test_the_readme_documents_every_variable_the_settings_read():
    readme = (BASE_DIR / "README.md").read_text()
    missing = sorted(name for name in SETTINGS_NAMES if f"`{name}`" not in readme)
    assert not missing, f"README does not document: {missing}"
