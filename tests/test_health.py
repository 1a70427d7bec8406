"""/healthz, for compose health checks and monitoring: real services, and really broken ones.
It answers one word; which part failed goes only to the log."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.databases import current_test_database_url

BASE_DIR = Path(__file__).resolve().parent.parent

PROBE = """
import django, json
django.setup()
from django.test import Client

from tests.databases import current_test_database_url
found = {}
for path in ("/healthz", "/healthz/all"):
    response = Client().get(path, HTTP_HOST="any-host.invalid")
    found[path] = {"status": response.status_code, "body": response.content.decode()}
print(json.dumps(found))
"""


def healthz_in_a_process_with(**environment: str) -> dict:
    """Ask /healthz from a fresh process whose settings point at the given services; its log
    (standard error) comes back as "log"."""
    environment.setdefault("DATABASE_URL", current_test_database_url())
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_CONNECT_TIMEOUT": "2",
        "CELERY_BROKER_CONNECTION_TIMEOUT": "2",
        **environment,
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return {**json.loads(result.stdout.strip().splitlines()[-1]), "log": result.stderr}


def test_healthz_reports_a_reachable_database_and_broker(db, redis_url, settings):
    settings.CELERY_BROKER_URL = redis_url
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("address", ["203.0.113.9", "127.0.0.1"])
def test_healthz_tells_callers_nothing_about_versions_timings_or_parts(address, db, redis_url, settings):
    settings.CELERY_BROKER_URL = redis_url
    page = Client(REMOTE_ADDR=address).get("/healthz").content.decode().lower()
    assert page == "ok"
    for word in ("postgres", "redis", "database", "broker", "version", "millisecond", "transport"):
        assert word not in page


def test_healthz_answers_without_sign_in_over_plain_http_on_any_host(db, redis_url, settings):
    settings.CELERY_BROKER_URL = redis_url
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["caf.example.gov.uk"]
    response = Client().get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_healthz_reports_a_broken_database_as_unhealthy(db, redis_url):
    result = healthz_in_a_process_with(
        DATABASE_URL="postgres://postgres@127.0.0.1:1/caf", REDIS_URL=redis_url, CELERY_BROKER_URL=redis_url
    )
    assert result["/healthz"] == result["/healthz/all"] == {"status": 503, "body": "failing"}
    assert "the database does not answer" in result["log"]
    assert "the broker does not answer" not in result["log"]


def test_a_broken_broker_leaves_the_web_tier_in_service_and_fails_the_full_check(db):
    """The load balancer keeps the web instances through a Redis outage (pages work without the
    broker); monitoring's /healthz/all hears of it, and the log says which part."""
    result = healthz_in_a_process_with(REDIS_URL="redis://127.0.0.1:1/0", CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    assert result["/healthz"] == {"status": 200, "body": "ok"}
    assert result["/healthz/all"] == {"status": 503, "body": "failing"}
    assert "the broker does not answer" in result["log"]
    assert "the database does not answer" not in result["log"]


def test_healthz_works_with_the_filesystem_broker_of_make_run(db, tmp_path):
    result = healthz_in_a_process_with(CELERY_BROKER_URL="filesystem://", CELERY_FILESYSTEM_BROKER_DIR=str(tmp_path))
    assert result["/healthz"] == result["/healthz/all"] == {"status": 200, "body": "ok"}


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_changes_nothing_and_only_answers_reads(method, db):
    response = getattr(Client(), method)("/healthz")
    assert response.status_code in (302, 403, 404, 405)
